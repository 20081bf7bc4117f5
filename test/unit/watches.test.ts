import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Rules } from '../../src/rules/rule-settings.js';
import { defaultRules } from '../../src/rules/rule-table.js';
import { type RenderedWatch, renderWatches } from '../../src/setup/watches.js';
import { fixtureSchema } from '../helpers/schema.js';

const validate = fixtureSchema('watch.schema.json');

const byFamily = (ws: RenderedWatch[], family: string, feature?: string) => {
  const w = ws.find((x) => x.family === family && x.feature === feature);
  assert.ok(w, `a ${family} watch${feature ? ` for ${feature}` : ''}`);
  return w;
};
const arrayCompare = (w: RenderedWatch) =>
  Object.values(
    (w.body.condition as { array_compare: Record<string, Record<string, unknown>> }).array_compare,
  )[0] as Record<string, unknown>;
const warnOf = (w: RenderedWatch) => (arrayCompare(w).gte as { value: number }).value;
const filters = (w: RenderedWatch) => w.body.input.search.request.body.query.bool.filter;

test('every rendered watch follows the documented Watch format, throttles only its notifying actions and leaves no placeholder', () => {
  const rules: Rules = { ...defaultRules, minVolume: 200 };
  const watches = renderWatches({ namespace: 'prod', webhookUrl: 'https://ops.example/hook', rules });
  assert.deepEqual(
    watches.map((w) => w.id),
    [
      'mlmon-na-prod',
      'mlmon-unseen-prod',
      'mlmon-oov-prod',
      'mlmon-drift-numeric-prod',
      'mlmon-drift-categorical-prod',
      'mlmon-volume-prod',
      'mlmon-volume-drop-prod',
      'mlmon-version-prod',
    ],
  );
  for (const w of watches) {
    assert.equal(validate(w.body), true, `${w.id}: ${JSON.stringify(validate.errors)}`);
    assert.doesNotMatch(JSON.stringify(w.body), /\$\{/, w.id);
    // Watcher throttles an action from its last run whatever the payload
    // (PeriodThrottler.java in x-pack/plugin/core): a watch-level 30m
    // throttle over a 15m lookback would never index another feature's breach within 30 minutes
    assert.equal('throttle_period' in w.body, false, `${w.id}: no watch-level throttle`);
    assert.equal('throttle_period' in (w.body.actions.index_alerts ?? {}), false, w.id);
    assert.equal(w.body.actions.notify_webhook?.throttle_period, '30m');
    assert.equal(w.body.actions.log?.throttle_period, '30m');
    assert.equal(w.body.trigger.schedule.interval, '5m');
    assert.deepEqual(w.body.input.search.request.indices, ['metrics-mlmon.window-prod']);
    assert.equal(w.body.input.search.request.rest_total_hits_as_int, true);
    const index = w.body.actions.index_alerts?.index as Record<string, unknown>;
    // a data stream takes create only
    assert.deepEqual(index, {
      index: 'logs-mlmon.alerts-prod',
      op_type: 'create',
      execution_time_field: '@timestamp',
    });
    assert.equal(
      (w.body.actions.notify_webhook?.webhook as { url: string } | undefined)?.url,
      'https://ops.example/hook',
    );
    assert.ok(w.body.actions.log?.logging);
    assert.equal(w.body.metadata.managed_by, 'ml-input-monitor');
    // the alert documents' script carries the rule's thresholds
    const transform = w.body.actions.index_alerts?.transform as
      | { script: { params: Record<string, unknown> } }
      | undefined;
    assert.equal(transform?.script.params.namespace, 'prod');
  }
});

test('the conditions carry the job rules: defaults, mlmon.yml values, and the gates in the query', () => {
  const d = renderWatches({ namespace: 'default' });
  // volume is off by default (min_volume 0); no webhook action without a URL
  assert.equal(
    d.some((w) => w.family === 'volume'),
    false,
  );
  assert.equal(
    d.every((w) => w.body.actions.notify_webhook === undefined),
    true,
  );
  assert.deepEqual(arrayCompare(byFamily(d, 'na')), {
    path: '_source.mlmon.metric.na_rate_rise',
    gte: { value: 0.05, quantifier: 'some' },
  });
  assert.equal(warnOf(byFamily(d, 'unseen')), 0.01);
  assert.equal(warnOf(byFamily(d, 'oov')), 0.1);
  assert.equal(warnOf(byFamily(d, 'drift-numeric')), 0.1);
  assert.deepEqual(byFamily(d, 'version').body.condition, {
    compare: { 'ctx.payload.hits.total': { gte: 1 } },
  });
  // a calibrated null cannot be simulated in a watch: it filters on the job's stored verdict of the evidence
  assert.deepEqual(filters(byFamily(d, 'drift-numeric')).slice(1), [
    { term: { 'mlmon.evidence.psi': true } },
    { exists: { field: 'mlmon.metric.psi' } },
  ]);
  assert.deepEqual(filters(byFamily(d, 'oov')).slice(1), [
    { range: { 'mlmon.metric.count': { gte: 100 } } },
    { exists: { field: 'mlmon.metric.oov_rate_rise' } },
  ]);
  assert.deepEqual(filters(byFamily(d, 'na'))[0], { range: { 'mlmon.window.to': { gte: 'now-15m' } } });

  const rules: Rules = {
    ...defaultRules,
    minSamples: 500,
    psi: { warn: 0.25, critical: 0.5 },
    unexpectedVersion: false,
    minVolume: 50,
  };
  const c = renderWatches({
    namespace: 'default',
    rules,
    interval: '1m',
    lookback: '10m',
    throttlePeriod: '2h',
  });
  assert.equal(
    c.some((w) => w.family === 'version'),
    false,
  );
  const drift = byFamily(c, 'drift-numeric');
  assert.equal(warnOf(drift), 0.25);
  assert.deepEqual(filters(drift)[2], { exists: { field: 'mlmon.metric.psi' } });
  assert.deepEqual(filters(drift)[1], { term: { 'mlmon.evidence.psi': true } });
  assert.deepEqual(filters(byFamily(c, 'oov'))[1], { range: { 'mlmon.metric.count': { gte: 500 } } });
  assert.deepEqual(filters(drift)[0], { range: { 'mlmon.window.to': { gte: 'now-10m' } } });
  assert.equal(drift.body.actions.log?.throttle_period, '2h');
  assert.equal(drift.body.trigger.schedule.interval, '1m');
  assert.deepEqual(arrayCompare(byFamily(c, 'volume')), {
    path: '_source.mlmon.window.docs',
    lt: { value: 50, quantifier: 'some' },
  });
  // the drop against the recent windows is on by default: the job's stored share of their median
  assert.deepEqual(arrayCompare(byFamily(d, 'volume-drop')), {
    path: '_source.mlmon.window.docs_ratio',
    lt: { value: 0.2, quantifier: 'some' },
  });
  assert.deepEqual(filters(byFamily(d, 'volume-drop')).slice(1), [
    { exists: { field: 'mlmon.window.docs_ratio' } },
  ]);
  const off = renderWatches({
    namespace: 'default',
    rules: { ...defaultRules, volumeDrop: { warn: 0, critical: 0 } },
  });
  assert.equal(
    off.some((w) => w.family === 'volume-drop'),
    false,
  );
});

test('a feature with its own rules gets its own watch for the families those rules change', () => {
  const rules: Rules = {
    ...defaultRules,
    features: { 'device.os': { psi: { warn: 0.4, critical: 0.8 } }, age: { minSamples: 1000 } },
  };
  const ws = renderWatches({ namespace: 'ns1', rules });
  const main = byFamily(ws, 'drift-numeric');
  assert.deepEqual(main.body.input.search.request.body.query.bool.must_not, [
    { terms: { 'mlmon.feature.name': ['device.os'] } },
  ]);
  const own = byFamily(ws, 'drift-numeric', 'device.os');
  assert.match(own.id, /^mlmon-drift-numeric-ns1-device_os-[0-9a-f]{6}$/);
  assert.equal(warnOf(own), 0.4);
  assert.deepEqual(filters(own).at(-1), { term: { 'mlmon.feature.name': 'device.os' } });
  // age's min_samples touches the one family still gated by it (oov); device.os only the numeric drift one
  const ageOov = byFamily(ws, 'oov', 'age');
  assert.deepEqual(filters(ageOov)[1], { range: { 'mlmon.metric.count': { gte: 1000 } } });
  assert.deepEqual(byFamily(ws, 'oov').body.input.search.request.body.query.bool.must_not, [
    { terms: { 'mlmon.feature.name': ['age'] } },
  ]);
  assert.equal(
    ws.some((w) => w.family === 'na' && w.feature === 'age'),
    false,
  );
  assert.equal(
    ws.some((w) => w.family === 'unseen' && w.feature === 'device.os'),
    false,
  );
  assert.equal(new Set(ws.map((w) => w.id)).size, ws.length);
  for (const w of ws) assert.equal(validate(w.body), true, `${w.id}: ${JSON.stringify(validate.errors)}`);
});

test('bad options are refused with the option named', () => {
  assert.throws(() => renderWatches({ namespace: 'Prod-1' }), /namespace/);
  assert.throws(() => renderWatches({ namespace: 'p', interval: 'often' }), /interval/);
  assert.throws(() => renderWatches({ namespace: 'p', lookback: '5 minutes' }), /lookback/);
  assert.throws(() => renderWatches({ namespace: 'p', webhookUrl: 'ftp://x/y' }), /webhookUrl/);
  assert.throws(() => renderWatches({ namespace: 'p', webhookUrl: 'not a url' }), /webhookUrl/);
  // Elasticsearch date math has no milliseconds, and the lookback is date math
  assert.throws(() => renderWatches({ namespace: 'p', lookback: '500ms' }), /lookback/);
});

test('the schema rejects what Watcher would: no trigger, two action types, an unknown operator, a bad duration', () => {
  const [w] = renderWatches({ namespace: 'p' });
  assert.ok(w);
  const broken = (mutate: (b: Record<string, unknown>) => void) => {
    const b = structuredClone(w.body) as unknown as Record<string, unknown>;
    mutate(b);
    return validate(b);
  };
  assert.equal(
    broken((b) => {
      delete b.trigger;
    }),
    false,
  );
  assert.equal(
    broken((b) => {
      (b.actions as Record<string, Record<string, unknown>>).log = {
        logging: { text: 'x' },
        index: { index: 'i' },
      };
    }),
    false,
  );
  assert.equal(
    broken((b) => {
      b.condition = { compare: { 'ctx.payload.hits.total': { above: 1 } } };
    }),
    false,
  );
  assert.equal(
    broken((b) => {
      (
        (b.actions as Record<string, Record<string, unknown>>).log as Record<string, unknown>
      ).throttle_period = '30 minutes';
    }),
    false,
  );
});

test('the schema follows WatcherSearchTemplateRequest.java: indices_options needs all three of its keys', () => {
  // x-pack/plugin/watcher/src/main/java/org/elasticsearch/xpack/watcher/support/search/WatcherSearchTemplateRequest.java
  const [w] = renderWatches({ namespace: 'p' });
  assert.ok(w);
  for (const key of ['expand_wildcards', 'ignore_unavailable', 'allow_no_indices']) {
    const b: RenderedWatch['body'] = structuredClone(w.body);
    delete b.input.search.request.indices_options?.[key];
    assert.equal(validate(b), false, `without ${key}`);
  }
  assert.equal(validate(w.body), true);
});
