import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { estypes } from '@elastic/elasticsearch';
import { ASSET_PATHS } from '../../src/assets/layout.js';
import { readJsonAsset } from '../../src/assets/package-files.js';
import { getBaseline } from '../../src/baseline/baseline-reader.js';
import { saveBaseline } from '../../src/baseline/baseline-writer.js';
import { profileFile } from '../../src/baseline/profiler.js';
import { defaultConfig, type MlmonConfig } from '../../src/config/mlmon-config.js';
import { alertsStream, metricsStream } from '../../src/contract/streams.js';
import { runOnce } from '../../src/job/runner.js';
import { ensureJobTemplates } from '../../src/job/writer.js';
import { computeWindow, type WindowMetrics } from '../../src/metrics/window.js';
import type { Rules } from '../../src/rules/rule-settings.js';
import { defaultRules } from '../../src/rules/rule-table.js';
import type { Alert } from '../../src/rules/verdicts.js';
import { type KibanaRuleBody, renderKibanaRules } from '../../src/setup/kibana-rules.js';
import { type RenderedWatch, renderWatches, type WatchFamily } from '../../src/setup/watches.js';
import { dataStreamName } from '../../src/transport/document.js';
import { MlInputTransport } from '../../src/transport/ml-input-transport.js';
import { cleanup, ingestEngine, testClient, uniqueName, uniqueNamespace } from '../helpers/cluster.js';
import { installPredictionTemplate } from '../helpers/templates.js';
import { evaluateCondition } from '../helpers/watcher-condition.js';

/**
 * The watches against the real node. The job computes one drifted and one clean window from
 * predictions logged through the transport; each watch's search input runs on the metrics data stream
 * it writes, the payload is what Watcher builds (hits.total a number: rest_total_hits_as_int), and the
 * watch's condition, evaluated by the documented compare/array_compare semantics (the node has no
 * Watcher), must give the job's verdict for the same window.
 */
const client = testClient();
const baselineIndex = uniqueName('mlmon-baselines-watch');
const predictionsNs = uniqueNamespace('wp');
const run = uniqueName('w').replaceAll('-', '_');
const scenarios = {
  drifted: { model: `drifted_${run}`, ns: uniqueNamespace('wd') },
  clean: { model: `clean_${run}`, ns: uniqueNamespace('wc') },
} as const;
type Scenario = keyof typeof scenarios;
const MIN = 60_000;
// a window that ended two minutes ago: inside the watches' `now-<lookback>` range, as in production
const windowFrom = Math.floor(Date.now() / MIN) * MIN - 3 * MIN;
const LOOKBACK = '10m';
const templates: string[] = [];

/** The job's rules for the main run: the defaults, with the volume rule on. */
const rulesA: Rules = { ...defaultRules, minVolume: 200 };
/** mlmon.yml with per-feature rules: x needs a larger PSI, y more documents. */
const rulesB: Rules = {
  ...defaultRules,
  minVolume: 200,
  features: { x: { psi: { warn: 0.5, critical: 50 } }, y: { naRateRise: { warn: 0.9, critical: 0.95 } } },
};

let seed = 4242;
const random = () => {
  seed = (Math.imul(seed ^ (seed >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
  return seed / 2 ** 32;
};
const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)] as T;
const CATS = ['a', 'b', 'c', 'd'];
const ENGLISH = ['the', 'order', 'arrived', 'late', 'and', 'box', 'was', 'damaged', 'great', 'service'];
const GERMAN = ['die', 'bestellung', 'kam', 'spät', 'und', 'karton', 'war', 'beschädigt', 'danke'];
const sentence = (words: readonly string[]) =>
  Array.from({ length: 5 + Math.floor(random() * 5) }, () => pick(words)).join(' ');

const results: Record<Scenario, { metrics?: WindowMetrics }> = { drifted: {}, clean: {} };

async function logScenario(name: Scenario): Promise<void> {
  const { model } = scenarios[name];
  const tr = new MlInputTransport({
    client,
    namespace: predictionsNs,
    model,
    version: '1',
    baselineIndex,
    spillDir: false,
    checkTemplate: false,
  });
  assert.equal(await tr.baselineReady(), `${model}@1`);
  // drifted: fewer documents than min_volume, x shifted, y missing in 30%, unseen and skewed
  // categories, German text, and a model version without a baseline
  const n = name === 'drifted' ? 160 : 300;
  for (let i = 0; i < n; i++) {
    const drifted = name === 'drifted';
    tr.logPrediction({
      ...(drifted && i % 16 === 0 ? { version: '2' } : {}),
      features: {
        x: normal() + (drifted ? 2 : 0),
        y: drifted && i % 10 < 3 ? null : 5 + 2 * normal(),
        c: drifted ? (i % 10 === 0 ? 'zzz' : i % 10 < 6 ? 'a' : 'b') : pick(CATS),
        t: sentence(drifted ? GERMAN : ENGLISH),
      },
      prediction: random(),
      timestamp: windowFrom + i * 100,
    });
  }
  assert.equal(await tr.flush(60_000), true);
  await tr.shutdown();
}

function configOf(name: Scenario, rules: Rules): MlmonConfig {
  return {
    ...structuredClone(defaultConfig),
    index: dataStreamName(predictionsNs),
    baselineIndex,
    namespace: scenarios[name].ns,
    models: [{ name: scenarios[name].model }],
    window: { everyMs: MIN, delayMs: 0, maxCatchUp: 10 },
    rules,
  };
}

/** The shipped metrics and alerts templates, for this test's namespaces only (exact names, priority 300). */
async function installJobTemplates(ns: string): Promise<void> {
  for (const [asset, pattern] of [
    [ASSET_PATHS.indexTemplate('metrics'), metricsStream(ns)],
    [ASSET_PATHS.indexTemplate('alerts'), alertsStream(ns)],
  ] as const) {
    const name = `test-${pattern}`;
    await client.indices.putIndexTemplate({
      ...readJsonAsset<Record<string, unknown>>(asset),
      name,
      index_patterns: [pattern],
      priority: 300,
    });
    templates.push(name);
  }
}

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-watch-'));
  const lines = ['x,y,c,t,score'];
  for (let i = 0; i < 4000; i++)
    lines.push([normal(), 5 + 2 * normal(), pick(CATS), sentence(ENGLISH), random()].join(','));
  writeFileSync(join(dir, 'train.csv'), `${lines.join('\n')}\n`);
  for (const { model } of Object.values(scenarios)) {
    const b = await profileFile({
      file: join(dir, 'train.csv'),
      model,
      version: '1',
      predictionColumn: 'score',
    });
    assert.equal(b.features.t?.type, 'text');
    await saveBaseline(client, b, baselineIndex);
  }
  templates.push(...(await installPredictionTemplate(client, predictionsNs)));
  // the shipped index templates compose the @package component templates: the job installs them when
  // missing (as runOnce below would), and this test's per-namespace copies need them first
  await ensureJobTemplates(client);
  for (const { ns } of Object.values(scenarios)) await installJobTemplates(ns);
  await logScenario('drifted');
  await logScenario('clean');
  await client.indices.refresh({ index: dataStreamName(predictionsNs) });
  for (const name of ['drifted', 'clean'] as const) {
    const report = await runOnce(client, configOf(name, rulesA), {
      backfill: { from: windowFrom, to: windowFrom + MIN },
    });
    assert.equal(report.windows.length, 1);
    results[name].metrics = report.metrics[0];
    await client.indices.refresh({ index: metricsStream(scenarios[name].ns) });
  }
});

after(async () => {
  await cleanup(client, {
    indices: [baselineIndex],
    dataStreams: [
      dataStreamName(predictionsNs),
      ...Object.values(scenarios).flatMap(({ ns }) => [metricsStream(ns), alertsStream(ns)]),
    ],
    indexTemplates: templates,
  });
  // the job's alert states (no _delete_by_query on the test node)
  for (const { model } of Object.values(scenarios)) {
    const states = await client.search(
      { index: 'mlmon-job-state', size: 1000, query: { term: { model } } },
      { ignore: [404] },
    );
    for (const h of states.hits?.hits ?? [])
      await client.delete({ index: 'mlmon-job-state', id: h._id as string }, { ignore: [404] });
  }
});

/** Runs a watch's search input as Watcher does: its indices, options and body; hits.total as a number. */
async function searchInput(w: RenderedWatch): Promise<estypes.SearchResponse> {
  const r = w.body.input.search.request;
  const opts = (r.indices_options ?? {}) as {
    ignore_unavailable?: boolean;
    allow_no_indices?: boolean;
    expand_wildcards?: estypes.ExpandWildcards;
  };
  return client.search({
    index: r.indices.join(','),
    ...(r.body as Omit<estypes.SearchRequest, 'index'>),
    ...opts,
    rest_total_hits_as_int: r.rest_total_hits_as_int,
  });
}

/** The family of a job alert: the watch that must fire for it. */
function familyOf(a: Alert): WatchFamily {
  switch (a.rule) {
    case 'na_rate':
      return 'na';
    case 'unseen_categories':
      return 'unseen';
    case 'oov_words':
      return 'oov';
    case 'numeric_drift':
      return 'drift-numeric';
    case 'categorical_drift':
      return 'drift-categorical';
    case 'prediction_drift':
      return a.metric === 'psi' ? 'drift-numeric' : 'drift-categorical';
    case 'volume':
      return 'volume';
    case 'unexpected_version':
      return 'version';
    default:
      throw new Error(`a job rule without a watch: ${a.rule}`);
  }
}

/** The job's verdict in a watch's scope: its family, and its feature (or every feature without a watch of its own). */
function jobVerdict(w: RenderedWatch, alerts: Alert[]): boolean {
  const own = (w.body.metadata.features_with_own_watch as string[] | undefined) ?? [];
  return alerts.some(
    (a) => familyOf(a) === w.family && (w.feature ? a.feature === w.feature : !own.includes(a.feature)),
  );
}

async function verdicts(name: Scenario, rules: Rules, alerts: Alert[]) {
  const out: {
    id: string;
    family: WatchFamily;
    watch: boolean;
    job: boolean;
    payload: estypes.SearchResponse;
    rendered: RenderedWatch;
  }[] = [];
  for (const w of renderWatches({ namespace: scenarios[name].ns, rules, lookback: LOOKBACK })) {
    const payload = await searchInput(w);
    assert.equal(typeof payload.hits.total, 'number', `${w.id}: hits.total is a number, as Watcher has it`);
    const watch = evaluateCondition(w.body.condition, {
      ctx: { payload, metadata: w.body.metadata, watch_id: w.id },
    });
    out.push({ id: w.id, family: w.family, watch, job: jobVerdict(w, alerts), payload, rendered: w });
  }
  return out;
}

const metricOf = (hit: estypes.SearchHit | undefined, key: string) =>
  (hit?._source as { mlmon: { metric: Record<string, number> } } | undefined)?.mlmon.metric[key];
const sourceOf = (hit: estypes.SearchHit | undefined) =>
  hit?._source as { mlmon: { feature: { name: string }; window: Record<string, unknown> } } | undefined;

test('drifted window: every watch fires, as the job does, on the payload the metrics stream returns', async () => {
  const m = results.drifted.metrics as WindowMetrics;
  const rs = await verdicts('drifted', rulesA, m.alerts);
  assert.deepEqual(
    [...new Set(m.alerts.map(familyOf))].sort(),
    ['drift-categorical', 'drift-numeric', 'na', 'oov', 'unseen', 'version', 'volume'],
    'the drifted window breaks every rule family in the job',
  );
  for (const r of rs) assert.equal(r.watch, r.job, `${r.id}: watch ${r.watch}, job ${r.job}`);
  // a single window has no recent windows to drop from: volume_drop judges nothing, its watch finds no
  // docs_ratio (test/integration/job-volume.test.ts has the history; the unit agreement test both ways)
  assert.equal(rs.find((r) => r.family === 'volume-drop')?.payload.hits.total, 0);
  assert.equal(
    rs.filter((r) => r.family !== 'volume-drop').every((r) => r.watch),
    true,
  );

  // the payloads carry the job's numbers: the largest value first, the documents the rule looked at
  const top = (family: WatchFamily) => rs.find((r) => r.family === family)?.payload.hits.hits[0];
  const f = m.features;
  assert.equal(sourceOf(top('na'))?.mlmon.feature.name, 'y');
  assert.equal(metricOf(top('na'), 'na_rate_rise'), (f.y?.na_rate ?? 0) - (f.y?.baseline_na_rate ?? 0));
  assert.ok((metricOf(top('na'), 'na_rate_rise') ?? 0) > 0.2);
  assert.equal(sourceOf(top('unseen'))?.mlmon.feature.name, 'c');
  assert.equal(metricOf(top('unseen'), 'unseen_rate'), f.c?.unseen_rate);
  assert.equal(sourceOf(top('oov'))?.mlmon.feature.name, 't');
  assert.equal(metricOf(top('oov'), 'oov_rate'), f.t?.oov_rate);
  assert.equal(sourceOf(top('drift-numeric'))?.mlmon.feature.name, 'x');
  assert.equal(metricOf(top('drift-numeric'), 'psi'), f.x?.psi);
  assert.equal(sourceOf(top('drift-categorical'))?.mlmon.feature.name, 'c');
  assert.equal(metricOf(top('drift-categorical'), 'js'), f.c?.js);
  assert.equal(sourceOf(top('volume'))?.mlmon.window.docs, 160);
  assert.deepEqual(sourceOf(top('version'))?.mlmon.window.unexpected_versions, ['2']);
  // one metric document per feature and the prediction, all in this window
  assert.equal(rs.find((r) => r.family === 'version')?.payload.hits.total, 5);
});

test('clean window: no watch fires, and the job raises nothing either', async () => {
  const m = results.clean.metrics as WindowMetrics;
  assert.deepEqual(m.alerts, []);
  const rs = await verdicts('clean', rulesA, m.alerts);
  for (const r of rs) assert.equal(r.watch, false, `${r.id} fired on clean data`);
  // the searches did find the clean window's documents: the verdict is the thresholds'
  const total = (family: WatchFamily) => rs.find((r) => r.family === family)?.payload.hits.total;
  // the unseen watch finds nothing: the job's test at the window's size was not significant
  // (mlmon.evidence.unseen_rate false); the OOV one, gated by min_samples, finds the text feature
  assert.equal(total('unseen'), 0);
  assert.equal(total('oov'), 1);
  assert.equal(total('volume'), 5);
  assert.equal(total('version'), 0);
  assert.equal(
    metricOf(rs.find((r) => r.family === 'volume')?.payload.hits.hits[0], 'count') !== undefined,
    true,
  );
});

test("per-feature rules from mlmon.yml: each feature's own watch agrees with the job under the same rules", async () => {
  for (const name of ['drifted', 'clean'] as const) {
    const baseline = await getBaseline(client, scenarios[name].model, '1', baselineIndex);
    assert.ok(baseline);
    const m = await computeWindow(
      client,
      {
        model: scenarios[name].model,
        from: new Date(windowFrom),
        to: new Date(windowFrom + MIN),
        index: dataStreamName(predictionsNs),
      },
      baseline,
      rulesB,
      ['1'],
    );
    const rs = await verdicts(name, rulesB, m.alerts);
    for (const r of rs) assert.equal(r.watch, r.job, `${name} ${r.id}: watch ${r.watch}, job ${r.job}`);
    if (name === 'drifted') {
      const byId = new Map(rs.map((r) => [r.id, r]));
      const ns = scenarios.drifted.ns;
      const own = (family: string, feature: string) =>
        rs.find((r) => r.id.startsWith(`mlmon-${family}-${ns}-${feature}-`));
      // x still drifts past its own, higher PSI threshold; y's NA rise is below its own floor
      assert.equal(own('drift-numeric', 'x')?.watch, true);
      assert.equal(own('na', 'y')?.watch, false);
      // the main NA watch leaves y to its own watch; the version-2 documents' t is typed as text by the
      // model's newest baseline (they wait for its lookup), so it is not missing: no NA rise anywhere
      const na = byId.get(`mlmon-na-${ns}`);
      assert.equal(na?.watch, false);
      assert.equal(na?.job, false);
      assert.deepEqual(
        na?.payload.hits.hits.map((h) => sourceOf(h)?.mlmon.feature.name).includes('y'),
        false,
      );
    }
  }
});

interface AlertDoc {
  '@timestamp': string;
  event: { kind: string; action: string; provider: string };
  mlmon: { model: { name: string }; alert: Record<string, string> };
}

/**
 * Runs the index action's Painless transform on a payload. The test node has no Painless, so it runs
 * on the ingest engine (OpenSearch's Painless, a fork of Elasticsearch 7.10's), wrapped in a function
 * that receives Watcher's `ctx` (payload, watch_id, execution_time) and the script's params.
 */
async function transformToAlertDocs(w: RenderedWatch, payload: estypes.SearchResponse): Promise<AlertDoc[]> {
  const { request, url } = await ingestEngine();
  const transform = w.body.actions.index_alerts?.transform as
    | { script: { source: string; params: unknown } }
    | undefined;
  assert.ok(transform, `${w.id} has an index action with a transform`);
  const script = transform.script;
  const res = await request('POST', '/_ingest/pipeline/_simulate', {
    pipeline: {
      processors: [
        {
          script: {
            lang: 'painless',
            source: `def watchTransform(def ctx, def params) {\n${script.source}\n}\nctx.out = watchTransform(ctx.watch, params);`,
            params: script.params,
          },
        },
      ],
    },
    docs: [
      {
        _source: {
          watch: {
            payload,
            watch_id: w.id,
            execution_time: '2026-01-01T00:00:00.000Z',
            metadata: w.body.metadata,
          },
        },
      },
    ],
  });
  assert.equal(res.status, 200, `simulate on ${url}: ${JSON.stringify(res.body).slice(0, 500)}`);
  const doc = (res.body as { docs: { doc?: { _source: { out: { _doc: AlertDoc[] } } }; error?: unknown }[] })
    .docs[0];
  assert.ok(doc?.doc, `${w.id}: ${JSON.stringify(doc?.error)}`);
  return doc.doc._source.out._doc;
}

test("the watches' alert documents (Painless transform) are the job's alerts, and the alerts data stream takes them", async () => {
  const m = results.drifted.metrics as WindowMetrics;
  const rs = await verdicts('drifted', rulesA, m.alerts);
  const docs: AlertDoc[] = [];
  for (const r of rs) docs.push(...(await transformToAlertDocs(r.rendered, r.payload)));
  const key = (rule: string, feature: string, metric: string, severity: string, value: string) =>
    [rule, feature, metric, severity, value].join(' ');
  assert.deepEqual(
    docs
      .map((d) =>
        key(
          d.mlmon.alert.rule as string,
          d.mlmon.alert.feature as string,
          d.mlmon.alert.metric as string,
          d.mlmon.alert.severity as string,
          d.mlmon.alert.value as string,
        ),
      )
      .sort(),
    m.alerts.map((a) => key(a.rule, a.feature, a.metric, a.severity, String(a.value))).sort(),
  );
  // the thresholds the job reports (the version rule names the versions with a baseline instead)
  for (const a of m.alerts.filter((x) => x.rule !== 'unexpected_version')) {
    const d = docs.find((x) => x.mlmon.alert.rule === a.rule && x.mlmon.alert.feature === a.feature);
    assert.equal(d?.mlmon.alert.threshold, String(a.threshold), `${a.rule} ${a.feature}`);
  }
  // the clean window gives none
  const clean = await verdicts('clean', rulesA, []);
  for (const r of clean) assert.deepEqual(await transformToAlertDocs(r.rendered, r.payload), [], r.id);

  // the index action: op_type create into the alerts data stream, with the shipped mapping; each
  // document's `_id` is taken out of it and used as the id, as Watcher's index action does with a
  // `_doc` list (x-pack/plugin/watcher/.../actions/index/ExecutableIndexAction.java)
  const index = alertsStream(scenarios.drifted.ns);
  const operations = docs.flatMap((d) => {
    const { _id, ...source } = d as AlertDoc & { _id?: string };
    assert.equal(typeof _id, 'string', 'every alert document has an id from its key');
    return [{ create: { _index: index, _id } }, source];
  });
  assert.equal(
    new Set(operations.filter((_, n) => n % 2 === 0).map((o) => JSON.stringify(o))).size,
    docs.length,
  );
  const bulk = await client.bulk({ refresh: true, operations });
  assert.equal(bulk.errors, false, JSON.stringify(bulk.items.find((i) => i.create?.error)));
  // a later run that sees the same breach again (the action is not throttled): refused, not doubled
  const repeat = await client.bulk({ refresh: true, operations });
  assert.deepEqual(
    repeat.items.map((i) => i.create?.status),
    docs.map(() => 409),
  );
  const stored = await client.search({
    index,
    size: 0,
    query: { term: { 'event.provider': 'watcher' } },
    aggs: { rules: { terms: { field: 'mlmon.alert.rule', size: 20 } } },
  });
  const rulesAgg = stored.aggregations?.rules as
    | { buckets: { key: string; doc_count: number }[] }
    | undefined;
  const buckets = rulesAgg?.buckets ?? [];
  assert.deepEqual(
    Object.fromEntries(buckets.map((b) => [b.key, b.doc_count])),
    Object.fromEntries(
      [...new Set(m.alerts.map((a) => a.rule))].map((rule) => [
        rule,
        m.alerts.filter((a) => a.rule === rule).length,
      ]),
    ),
  );
});

/** One run of a Kibana Elasticsearch-query rule as the rule type does it: its query within the time window, counted. */
async function esQueryRuleRun(rule: KibanaRuleBody): Promise<{ count: number; met: boolean }> {
  const p = rule.params;
  const parsed = JSON.parse(p.esQuery) as { query: estypes.QueryDslQueryContainer };
  const res = await client.search({
    index: p.index.join(','),
    size: 0,
    track_total_hits: true,
    ignore_unavailable: true,
    allow_no_indices: true,
    query: {
      bool: {
        filter: [
          parsed.query,
          { range: { [p.timeField]: { gte: `now-${p.timeWindowSize}${p.timeWindowUnit}`, lte: 'now' } } },
        ],
      },
    },
  });
  const count = typeof res.hits.total === 'number' ? res.hits.total : (res.hits.total?.value ?? 0);
  const [t = 0] = p.threshold;
  const met = { '>': count > t, '>=': count >= t, '<': count < t, '<=': count <= t }[
    p.thresholdComparator as '>' | '>=' | '<' | '<='
  ];
  return { count, met };
}

test("Basic license: the Kibana rules over the alerts data stream match when the job's alert events say so", async () => {
  for (const name of ['drifted', 'clean'] as const) {
    const alerts = (results[name].metrics as WindowMetrics).alerts;
    await client.indices.refresh({ index: alertsStream(scenarios[name].ns) }, { ignore: [404] });
    const [firing, critical] = renderKibanaRules({ namespace: scenarios[name].ns });
    assert.ok(firing && critical);
    // the job wrote one firing event per new alert of this window
    assert.deepEqual(await esQueryRuleRun(firing.body), { count: alerts.length, met: alerts.length > 0 });
    const criticals = alerts.filter((a) => a.severity === 'critical').length;
    assert.deepEqual(await esQueryRuleRun(critical.body), { count: criticals, met: criticals > 0 });
    if (name === 'drifted') assert.ok(criticals > 0 && criticals < alerts.length);
  }
});
