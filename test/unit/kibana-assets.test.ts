import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { compile } from 'vega-lite';
import { kibanaObjectRefs, readKibanaSavedObjects } from '../../src/assets/kibana-objects.js';
import { chartNames, readChart, readDashboards, readObjectsDef } from '../../src/dashboard/chart-assets.js';
import { namespacedIndex, withInlineData } from '../../src/dashboard/chart-data.js';
import { resolveDataUrl } from '../../src/dashboard/kibana-query.js';
import { buildSavedObjects, toNdjson, visualizationId } from '../../src/dashboard/saved-objects.js';
import { defaultRules } from '../../src/rules/rule-table.js';

const schema = JSON.parse(
  readFileSync(new URL('../fixtures/kibana-saved-object.schema.json', import.meta.url), 'utf8'),
);
const ajv = new Ajv2020({ allErrors: true });
const validateObject = ajv.compile(schema);
const sub = (def: string) => {
  const v = ajv.getSchema(`${schema.$id}#/$defs/${def}`);
  if (!v) throw new Error(`no $defs/${def}`);
  return (value: unknown, what: string) => assert.ok(v(value), `${what}: ${ajv.errorsText(v.errors)}`);
};
const lines = readKibanaSavedObjects().trimEnd().split('\n');
const objects = lines.map((l) => JSON.parse(l));

test('the committed NDJSON is what `npm run kibana:build` generates', () => {
  assert.equal(readKibanaSavedObjects(), toNdjson(buildSavedObjects()));
});

test('every saved object matches the schema written from the documented format, ids are unique', () => {
  assert.equal(objects.length, 4 + 1 + chartNames().length + 4);
  for (const o of objects) {
    const valid: boolean = validateObject(o);
    assert.ok(valid, `${o.type} ${o.id}: ${ajv.errorsText(validateObject.errors)}`);
    assert.equal(o.coreMigrationVersion, readObjectsDef().kibana.coreMigrationVersion);
  }
  assert.equal(new Set(objects.map((o) => `${o.type}:${o.id}`)).size, objects.length);
  assert.deepEqual(
    objects.filter((o) => o.type === 'index-pattern').map((o) => o.attributes.title),
    [
      'logs-mlmon.predictions-*',
      'metrics-mlmon.window-*',
      'logs-mlmon.alerts-*',
      'logs-mlmon.dead_letters-*',
    ],
  );
  assert.deepEqual(
    kibanaObjectRefs().map((r) => `${r.type}:${r.id}`),
    objects.map((o) => `${o.type}:${o.id}`),
  );
});

test('JSON-in-JSON attributes decode and match their schemas; every reference resolves in the file', () => {
  const ids = new Set(objects.map((o) => `${o.type}:${o.id}`));
  for (const o of objects) {
    for (const r of o.references) assert.ok(ids.has(`${r.type}:${r.id}`), `${o.id} -> ${r.type}:${r.id}`);
    const meta = o.attributes.kibanaSavedObjectMeta;
    if (meta) {
      const source = JSON.parse(meta.searchSourceJSON);
      sub('searchSource')(source, `${o.id} searchSourceJSON`);
      if (source.indexRefName)
        assert.ok(o.references.some((r: { name: string }) => r.name === source.indexRefName));
    }
    if (o.type === 'visualization') {
      const vis = JSON.parse(o.attributes.visState);
      sub('visState')(vis, `${o.id} visState`);
      const chart = o.id.replace(/^mlmon-vega-/, '');
      assert.equal(o.id, visualizationId(chart));
      assert.deepEqual(JSON.parse(vis.params.spec), readChart(chart), 'the panel holds the chart file as is');
    }
    if (o.type === 'dashboard') {
      const panels = JSON.parse(o.attributes.panelsJSON);
      sub('panels')(panels, `${o.id} panelsJSON`);
      sub('options')(JSON.parse(o.attributes.optionsJSON), `${o.id} optionsJSON`);
      assert.equal(o.references.length, panels.length);
      for (const p of panels) {
        assert.equal(p.gridData.i, p.panelIndex);
        assert.ok(p.gridData.x + p.gridData.w <= 48, `${o.id} ${p.panelIndex} fits the 48-column grid`);
        const ref = o.references.find(
          (r: { name: string }) => r.name === `${p.panelIndex}:${p.panelRefName}`,
        );
        assert.ok(ref, `${o.id} ${p.panelIndex} has its reference`);
      }
      // no two panels overlap
      for (const [i, a] of panels.entries())
        for (const b of panels.slice(i + 1)) {
          const apart =
            a.gridData.x + a.gridData.w <= b.gridData.x ||
            b.gridData.x + b.gridData.w <= a.gridData.x ||
            a.gridData.y + a.gridData.h <= b.gridData.y ||
            b.gridData.y + b.gridData.h <= a.gridData.y;
          assert.ok(apart, `${o.id}: ${a.panelIndex} and ${b.panelIndex} overlap`);
        }
    }
  }
});

test('the schema rejects what Kibana would reject: a bare visState object, a panel without a reference name', () => {
  const vis = structuredClone(objects.find((o) => o.type === 'visualization'));
  vis.attributes.visState = JSON.parse(vis.attributes.visState);
  assert.equal(validateObject(vis), false);
  const dash = structuredClone(objects.find((o) => o.type === 'dashboard'));
  delete dash.typeMigrationVersion;
  assert.equal(validateObject(dash), false);
  const panels = JSON.parse(dash.attributes.panelsJSON);
  delete panels[0].panelRefName;
  assert.equal(ajv.getSchema(`${schema.$id}#/$defs/panels`)?.(panels), false);
});

test('every chart is Vega-Lite v5 in Kibana data-url form over a data view, and compiles', () => {
  const titles = readObjectsDef().dataViews.map((v) => v.title);
  const used = new Set(readDashboards().flatMap((d) => d.panels.map((p) => p.chart)));
  for (const name of chartNames()) {
    const spec = readChart(name);
    assert.equal(spec.$schema, 'https://vega.github.io/schema/vega-lite/v5.json', name);
    assert.ok(titles.includes(spec.data.url.index as string), `${name} reads a data view's indices`);
    assert.ok(used.has(name), `${name} is on a dashboard`);
    const vg = compile(withInlineData(spec, []) as unknown as Parameters<typeof compile>[0]).spec;
    assert.ok(vg.marks && vg.marks.length > 0, `${name} compiles to marks`);
    // after substitution nothing of Kibana's placeholders is left
    const req = resolveDataUrl(spec.data.url, {
      from: new Date('2026-01-01T00:00:00Z'),
      to: new Date('2026-01-02T00:00:00Z'),
    });
    assert.doesNotMatch(JSON.stringify(req.body), /%[a-z_-]+%/, name);
  }
});

test('threshold lines equal the rules the job applies', () => {
  const expect: Record<string, { warn: number; critical: number }> = {
    'na-rate': defaultRules.naRateRise,
    'unseen-rate': defaultRules.unseenRate,
    'oov-rate': defaultRules.oovRate,
    'drift-scores': defaultRules.psi,
    'top-drift': defaultRules.jensenShannon,
  };
  assert.deepEqual(defaultRules.psi, defaultRules.jensenShannon, 'one pair of lines serves PSI and JS');
  for (const [chart, t] of Object.entries(expect)) {
    const spec = readChart(chart);
    assert.deepEqual(spec.usermeta?.mlmon?.thresholds, t, chart);
    const text = JSON.stringify(spec);
    // the drawn lines use the same numbers
    for (const v of [t.warn, t.critical]) assert.ok(text.includes(String(v)), `${chart} draws ${v}`);
  }
});

test("Kibana injects the dashboard's filters into every %context% panel: the dead-letter panel reads the time range alone", () => {
  // src/platform/plugins/private/vis_types/vega/public/vega_request_handler.ts passes the dashboard's
  // filters to es_query_parser.ts, which puts them into any data.url with %context% (or the clause
  // placeholders): a model filter would empty a panel over dead letters, which may carry no model name
  const from = new Date('2026-01-01T00:00:00Z');
  const to = new Date('2026-01-01T06:00:00Z');
  const overDeadLetters = chartNames().filter((n) =>
    String((readChart(n).data as { url?: { index?: string } }).url?.index).includes('dead_letters'),
  );
  assert.deepEqual(overDeadLetters, ['dead-letters']);
  for (const name of overDeadLetters) {
    const url = (readChart(name).data as { url: Record<string, unknown> }).url;
    assert.doesNotMatch(JSON.stringify(url), /%context%|%timefield%|%dashboard_context-/, name);
    const resolved = resolveDataUrl(url, { from, to, selections: { model: 'churn', namespace: 'prod' } });
    assert.deepEqual(resolved.body.query, {
      range: {
        '@timestamp': {
          gte: '2026-01-01T00:00:00.000Z',
          lte: '2026-01-01T06:00:00.000Z',
          format: 'strict_date_optional_time',
        },
      },
    });
  }
});

test('outside Kibana a selected namespace narrows our stream patterns to that namespace, and nothing else', () => {
  assert.equal(namespacedIndex('logs-mlmon.dead_letters-*', 'prod'), 'logs-mlmon.dead_letters-prod');
  assert.equal(
    namespacedIndex('metrics-mlmon.window-*,logs-mlmon.alerts-*', 'a_b'),
    'metrics-mlmon.window-a_b,logs-mlmon.alerts-a_b',
  );
  assert.equal(namespacedIndex('logs-mlmon.dead_letters-*', undefined), 'logs-mlmon.dead_letters-*');
  assert.equal(namespacedIndex('logs-*-*', 'prod'), 'logs-*-*');
  assert.equal(namespacedIndex('mlmon-baselines', 'prod'), 'mlmon-baselines');
});
