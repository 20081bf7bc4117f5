import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type ChartSpec, chartNames, readChart } from '../../src/dashboard/chart-assets.js';
import { fetchChartData, withInlineData } from '../../src/dashboard/chart-data.js';
import type { QueryContext } from '../../src/dashboard/kibana-query.js';
import { chartView, dataMarks, type MarkItem, renderSvg } from '../../src/dashboard/render.js';
import type { FeatureMetrics } from '../../src/metrics/window.js';
import { comparedQuantities, type FeatureRuleMetric } from '../../src/rules/rule-table.js';
import { testClient } from '../helpers/cluster.js';
import {
  createDashboardData,
  type DashboardData,
  MIN,
  PER_WINDOW,
  WINDOWS,
} from '../helpers/dashboard-data.js';

/**
 * Every chart, rendered with vega from the real aggregation results its own query body returns
 * (Kibana's placeholders substituted) on documents the transport logged and the job computed. The
 * marks are compared with what the fixture logged and what the job reported.
 */
const client = testClient();
const T0 = Date.parse('2026-03-02T10:00:00Z');
let d: DashboardData;

before(async () => {
  d = await createDashboardData(client, T0);
});
after(async () => {
  await d?.dispose();
});

function contextFor(spec: ChartSpec): QueryContext {
  const index = spec.data.url.index as string;
  if (index.startsWith('logs-mlmon.dead_letters'))
    // dead letters carry the time they were rejected: now
    return {
      from: new Date(Date.now() - 15 * MIN),
      to: new Date(Date.now() + MIN),
      interval: '1m',
      selections: { namespace: d.deadLetterNs },
    };
  const namespace = index.startsWith('logs-mlmon.predictions') ? d.ns : d.metricsNs;
  // alert events are stamped with their window's end, so the range includes the last end
  return {
    from: new Date(T0),
    to: new Date(T0 + WINDOWS * MIN),
    interval: '1m',
    selections: { model: d.model, namespace },
  };
}

async function marksOf(name: string): Promise<MarkItem[]> {
  const spec = readChart(name);
  const data = await fetchChartData(client, spec, contextFor(spec));
  const view = await chartView(withInlineData(spec, data.rows));
  try {
    return dataMarks(view);
  } finally {
    view.finalize();
  }
}

const ofType = (marks: MarkItem[], type: string) => marks.filter((m) => m.type === type);
const num = (v: unknown) => v as number;
const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);

/** The job's metric per window for each feature (the prediction as `(prediction)`). */
function jobMetric(metric: keyof FeatureMetrics | FeatureRuleMetric): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of d.report.metrics) {
    const all: [string, FeatureMetrics | undefined][] = [
      ...Object.entries(m.features),
      ['(prediction)', m.prediction],
    ];
    for (const [feature, f] of all) {
      // a rule's compared quantity (unseen_rate_rise) as the job stores it, or a statistic
      const v = f
        ? metric in f
          ? f[metric as keyof FeatureMetrics]
          : comparedQuantities(f)[metric as FeatureRuleMetric]
        : undefined;
      if (typeof v === 'number' && Number.isFinite(v)) out.set(`${Date.parse(m.window.from)}|${feature}`, v);
    }
  }
  return out;
}

test('the fixture: six windows of 200 predictions, the job computed all six and raised alerts', () => {
  assert.deepEqual(
    d.report.windows.map((w) => w.docs),
    Array(WINDOWS).fill(PER_WINDOW),
  );
  assert.ok(d.report.notifications.length >= 4);
});

test('volume: one bar per minute over the whole range, 200 each, zero after the last window', async () => {
  const bars = ofType(await marksOf('volume'), 'rect');
  assert.deepEqual(
    bars.map((b) => [num(b.datum.key) - T0, b.datum.doc_count]),
    [...Array.from({ length: WINDOWS }, (_, w) => [w * MIN, PER_WINDOW]), [WINDOWS * MIN, 0]],
  );
});

test('version mix: one stacked bar per minute and version, with the logged counts', async () => {
  const bars = ofType(await marksOf('version-mix'), 'rect');
  const got = bars.map(
    (b) => `${(num(b.datum.key) - T0) / MIN}|${b.datum['model version']}|${b.datum.predictions}`,
  );
  const want = d.versions.flatMap((mix, w) => Object.entries(mix).map(([v, n]) => `${w}|${v}|${n}`));
  assert.deepEqual(got.sort(), want.sort());
  assert.equal(bars.length, 9);
});

test('alerts timeline: one point per firing or resolved event the job wrote', async () => {
  const points = ofType(await marksOf('alerts-timeline'), 'symbol');
  const got = points.map((p) => `${p.datum.action}|${p.datum.alert}|${p.datum.severity}`).sort();
  const want = d.report.notifications
    .map((n) => `${n.action}|${n.alert.feature} ${n.alert.metric}|${n.alert.severity}`)
    .sort();
  assert.deepEqual(got, want);
});

test('features that drift most: largest PSI or Jensen-Shannon per feature, as the job computed', async () => {
  const bars = ofType(await marksOf('top-drift'), 'rect');
  const psi = jobMetric('psi');
  const js = jobMetric('js');
  const want = new Map<string, number>();
  for (const [k, v] of [...psi, ...js]) {
    const feature = k.split('|')[1] as string;
    want.set(feature, Math.max(want.get(feature) ?? 0, v));
  }
  assert.equal(bars.length, want.size);
  for (const b of bars)
    close(num(b.datum.drift), want.get(b.datum.key as string) as number, `${b.datum.key}`);
  const top = bars.reduce((a, b) => (num(a.datum.drift) >= num(b.datum.drift) ? a : b));
  assert.equal(top.datum.level, 'critical');
});

for (const [chart, metric] of [
  ['na-rate', 'na_rate'],
  ['unseen-rate', 'unseen_rate_rise'],
  ['oov-rate', 'oov_rate_rise'],
] as const) {
  test(`${chart}: one point per window and feature with the job's ${metric}, and the threshold lines`, async () => {
    const marks = await marksOf(chart);
    const points = ofType(marks, 'symbol');
    const want = jobMetric(metric);
    assert.equal(points.length, want.size);
    for (const p of points) {
      const k = `${p.datum.key}|${p.datum['feature name']}`;
      close(num(p.datum[metric]), want.get(k) as number, `${chart} ${k}`);
    }
    if (chart === 'na-rate') {
      // dashed lines per feature at the training NA rate + 0.05 and + 0.2
      assert.equal(ofType(marks, 'line').length, 3 * want.size);
    } else assert.equal(ofType(marks, 'rule').length, 2);
  });
}

test('drift scores: PSI, KS and Jensen-Shannon per window and feature, as the job computed', async () => {
  const points = ofType(await marksOf('drift-scores'), 'symbol');
  const stats = { PSI: jobMetric('psi'), KS: jobMetric('ks'), 'Jensen-Shannon': jobMetric('js') };
  assert.equal(points.length, stats.PSI.size + stats.KS.size + stats['Jensen-Shannon'].size);
  for (const p of points) {
    const k = `${p.datum.key}|${p.datum['feature name']}`;
    const want = stats[p.datum.statistic as keyof typeof stats].get(k);
    close(num(p.datum.score), want as number, `${p.datum.statistic} ${k}`);
  }
  // the drifted windows (2 and 3) stand out on x
  const xPsi = points.filter((p) => p.datum['feature name'] === 'x' && p.datum.statistic === 'PSI');
  const high = xPsi.filter((p) => num(p.datum.score) >= 0.2).map((p) => (num(p.datum.key) - T0) / MIN);
  assert.deepEqual(high.sort(), [2, 3]);
});

for (const [chart, feature, list, key] of [
  ['top-unseen', 'c', 'top_unseen', 'value'],
  ['top-oov', 't', 'top_oov', 'word'],
] as const) {
  test(`${chart}: the job's ${list} summed over windows, largest first`, async () => {
    const bars = ofType(await marksOf(chart), 'rect');
    const want = new Map<string, number>();
    for (const m of d.report.metrics) {
      const items = (m.features[feature]?.[list] ?? []) as Record<string, string | number>[];
      for (const item of items) {
        const label = `${feature}: ${item[key]}`;
        want.set(label, (want.get(label) ?? 0) + num(item.count));
      }
    }
    assert.ok(want.size > 0, `the fixture has ${list}`);
    assert.equal(bars.length, Math.min(15, want.size));
    for (const b of bars) assert.equal(b.datum.count, want.get(b.datum[key] as string), `${b.datum[key]}`);
  });
}

test('prediction distribution: median line per window near the logged scores’ median, inside the bands', async () => {
  const marks = await marksOf('prediction-distribution');
  const medians = ofType(marks, 'symbol');
  assert.equal(medians.length, WINDOWS);
  assert.equal(ofType(marks, 'area').length, 2 * WINDOWS);
  for (const p of medians) {
    const w = (num(p.datum.key) - T0) / MIN;
    const sorted = [...(d.scores[w] ?? [])].sort((a, b) => a - b);
    const exact = ((sorted[99] as number) + (sorted[100] as number)) / 2;
    assert.ok(Math.abs(num(p.datum.p50) - exact) < 0.02, `window ${w}: ${p.datum.p50} vs ${exact}`);
    assert.ok(num(p.datum.p5) <= num(p.datum.p25) && num(p.datum.p25) <= num(p.datum.p50));
    assert.ok(num(p.datum.p50) <= num(p.datum.p75) && num(p.datum.p75) <= num(p.datum.p95));
  }
});

test('predicted labels: one stacked bar per window and label with the logged counts', async () => {
  const bars = ofType(await marksOf('prediction-labels'), 'rect');
  const want = d.scores.flatMap((s, w) => {
    const yes = s.filter((v) => v > 0.5).length;
    return [`${w}|yes|${yes}`, `${w}|no|${s.length - yes}`];
  });
  const got = bars.map(
    (b) => `${(num(b.datum.key) - T0) / MIN}|${b.datum['predicted label']}|${b.datum.predictions}`,
  );
  assert.deepEqual(got.sort(), want.sort());
});

test('latency: p50, p95, p99 per window (latency = 10 + i mod 10 + 5 w)', async () => {
  const points = ofType(await marksOf('latency'), 'symbol');
  assert.equal(points.length, 3 * WINDOWS);
  for (const p of points) {
    const w = (num(p.datum.key) - T0) / MIN;
    const want = { p50: 14.5 + 5 * w, p95: 19 + 5 * w, p99: 19 + 5 * w }[p.datum.percentile as string];
    assert.equal(p.datum.ms, want, `window ${w} ${p.datum.percentile}`);
  }
});

test('dead letters: the rejected documents by error type', async () => {
  const bars = ofType(await marksOf('dead-letters'), 'rect');
  assert.ok(bars.length >= 1 && bars.length <= 2, 'one bar, or two across a minute boundary');
  assert.equal(
    bars.reduce((s, b) => s + num(b.datum.documents), 0),
    d.deadLetters,
  );
  assert.deepEqual([...new Set(bars.map((b) => b.datum['error type']))], ['document_parsing_exception']);
});

test('every chart renders to a non-empty SVG from its real data', async () => {
  for (const name of chartNames()) {
    const spec = readChart(name);
    const data = await fetchChartData(client, spec, contextFor(spec));
    assert.ok(data.rows.length > 0, `${name} has rows`);
    const svg = await renderSvg(withInlineData(spec, data.rows));
    assert.match(svg, /^<svg[^>]*width="\d+"/, name);
    assert.ok(svg.length > 2000, `${name}: ${svg.length} bytes`);
  }
});
