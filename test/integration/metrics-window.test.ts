import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { binIndex } from '../../src/baseline/accumulators.js';
import { saveBaseline } from '../../src/baseline/baseline-writer.js';
import { profileFile } from '../../src/baseline/profiler.js';
import type { Baseline } from '../../src/contract/baseline-document.js';
import { tokenize } from '../../src/contract/tokenizer.js';
import {
  chiSquared,
  jensenShannon,
  ksBinned,
  lInfinity,
  meanShiftSe,
  psi,
  wassersteinBinned,
  wassersteinPoints,
} from '../../src/metrics/distribution-tests.js';
import { computeWindow, type WindowMetrics } from '../../src/metrics/window.js';
import { defaultRules } from '../../src/rules/rule-table.js';
import { dataStreamName } from '../../src/transport/document.js';
import { MlInputTransport } from '../../src/transport/ml-input-transport.js';
import { cleanup, testClient, uniqueName, uniqueNamespace } from '../helpers/cluster.js';
import { installPredictionTemplate } from '../helpers/templates.js';

/**
 * Synthetic data with known truth: a training set, then windows with injected NA, unseen categories,
 * a shifted numeric feature and text in another language, and clean windows. Every metric is
 * compared with the value computed here from the same documents.
 */
const client = testClient();
const baselineIndex = uniqueName('mlmon-baselines-mw');
const namespace = uniqueNamespace('mw');
let templates: string[] = [];
let baseline: Baseline;

let seed = 12345;
const random = () => {
  seed = (Math.imul(seed ^ (seed >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
  return seed / 2 ** 32;
};
const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const pick = <T>(xs: readonly T[], weights?: readonly number[]) => {
  if (!weights) return xs[Math.floor(random() * xs.length)] as T;
  let r = random() * weights.reduce((s, w) => s + w, 0);
  for (let i = 0; i < xs.length; i++) {
    r -= weights[i] as number;
    if (r <= 0) return xs[i] as T;
  }
  return xs[xs.length - 1] as T;
};
const CATS = ['red', 'green', 'blue', 'black', 'white'];
const CAT_W = [5, 4, 3, 2, 1];
const D15 = Array.from({ length: 15 }, (_, i) => `d${i}`);
const ENGLISH = [
  'the',
  'order',
  'arrived',
  'late',
  'and',
  'the',
  'box',
  'was',
  'damaged',
  'great',
  'service',
  'thanks',
  'refund',
  'please',
];
const GERMAN = ['die', 'bestellung', 'kam', 'spät', 'und', 'der', 'karton', 'war', 'beschädigt', 'danke'];
const sentence = (words: readonly string[]) =>
  Array.from({ length: 5 + Math.floor(random() * 6) }, () => pick(words)).join(' ');

interface Row {
  x: number;
  y: number;
  a: number | null;
  c: string;
  d: string;
  t: string;
  score: number;
}
function cleanRow(): Row {
  return {
    x: normal(),
    y: 5 + 2 * normal(),
    a: 10 + normal(),
    c: pick(CATS, CAT_W),
    d: pick(D15),
    t: sentence(ENGLISH),
    score: random(),
  };
}

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-mw-'));
  const lines = ['x,y,a,c,d,t,score'];
  for (let i = 0; i < 5000; i++) {
    const r = cleanRow();
    lines.push([r.x, r.y, r.a, r.c, r.d, r.t, r.score].join(','));
  }
  writeFileSync(join(dir, 'train.csv'), `${lines.join('\n')}\n`);
  baseline = await profileFile({
    file: join(dir, 'train.csv'),
    model: 'mw',
    version: '1',
    predictionColumn: 'score',
  });
  assert.equal(baseline.features.t?.type, 'text');
  await saveBaseline(client, baseline, baselineIndex);
  templates = await installPredictionTemplate(client, namespace);
});
after(async () => {
  await cleanup(client, {
    indices: [baselineIndex],
    dataStreams: [dataStreamName(namespace)],
    indexTemplates: templates,
  });
  await client.close();
});

/** Logs rows through the real transport into [start, start + 1 min). */
async function logWindow(rows: Row[], start: Date, rename: Record<string, string> = {}): Promise<void> {
  const tr = new MlInputTransport({
    client,
    namespace,
    model: 'mw',
    version: '1',
    baselineIndex,
    spillDir: false,
    checkTemplate: false,
  });
  assert.equal(await tr.baselineReady(), 'mw@1');
  rows.forEach((r, i) => {
    const features = Object.fromEntries(
      Object.entries({ x: r.x, y: r.y, a: r.a, c: r.c, d: r.d, t: r.t }).map(([k, v]) => [rename[k] ?? k, v]),
    );
    tr.logPrediction({
      features,
      prediction: r.score,
      timestamp: new Date(start.getTime() + i * 10),
      latencyMs: i % 20,
    });
  });
  assert.equal(await tr.flush(60_000), true);
  assert.equal(tr.stats().indexed, rows.length);
  await tr.shutdown();
  await client.indices.refresh({ index: dataStreamName(namespace) });
}

function window(start: Date): Promise<WindowMetrics> {
  return computeWindow(
    client,
    { model: 'mw', from: start, to: new Date(start.getTime() + 60_000), index: dataStreamName(namespace) },
    baseline,
    defaultRules,
  );
}

function close(actual: number | undefined, want: number, what: string): void {
  assert.ok(
    actual !== undefined && Math.abs(actual - want) <= 1e-9 * Math.max(1, Math.abs(want)),
    `${what}: ${actual} vs ${want}`,
  );
}

test('a drifted window: every metric equals the value computed from the same documents, and alerts fire exactly for the drifted features', async () => {
  const rows: Row[] = [];
  for (let i = 0; i < 1000; i++) {
    const r = cleanRow();
    r.x += 1.5; // shifted numeric
    if (i % 5 === 0) r.a = null; // 20% NA
    if (i % 10 === 3) r.c = i % 20 === 3 ? 'zzz' : 'yyy'; // 10% unseen categories
    r.t = sentence(GERMAN); // another language
    rows.push(r);
  }
  const start = new Date('2026-01-01T10:00:00Z');
  await logWindow(rows, start);
  const m = await window(start);

  assert.equal(m.docs, 1000);
  // NA: exactly 200 of 1000
  assert.equal(m.features.a?.na_rate, 0.2);
  assert.equal(m.features.a?.baseline_na_rate, 0);
  // unseen categories, exactly
  const unseen = rows.filter((r) => !CATS.includes(r.c));
  assert.equal(m.features.c?.unseen_rate, unseen.length / 1000);
  assert.deepEqual(
    m.features.c?.top_unseen,
    [
      { value: 'yyy', count: unseen.filter((r) => r.c === 'yyy').length },
      { value: 'zzz', count: unseen.filter((r) => r.c === 'zzz').length },
    ].sort((p, q) => q.count - p.count),
  );
  // OOV against the baseline vocabulary, exactly
  const vocab = new Set(Object.keys(baseline.features.t?.text?.vocabulary ?? {}));
  const tokens = rows.flatMap((r) => tokenize(r.t));
  assert.equal(m.features.t?.oov_rate, tokens.filter((w) => !vocab.has(w)).length / tokens.length);
  assert.equal(
    m.features.t?.docs_with_oov_rate,
    rows.filter((r) => tokenize(r.t).some((w) => !vocab.has(w))).length / 1000,
  );
  assert.equal(m.features.t?.top_oov?.length, 10);
  // the numeric statistics, against the same binning computed here
  const bx = baseline.features.x?.numeric;
  assert.ok(bx);
  const counts = new Array(bx.bins.edges.length + 1).fill(0);
  for (const r of rows) counts[binIndex(bx.bins.edges, r.x)]++;
  close(m.features.x?.psi, psi(bx.bins.counts, counts), 'psi');
  // KS and Wasserstein on the fine grid: counts and per-bin means as the range + avg aggregations give them
  const fine = bx.fine_bins;
  assert.ok(fine && fine.edges.length >= 99, 'a fine grid of 100 bins');
  const fineCounts = new Array<number>(fine.edges.length + 1).fill(0);
  const fineSums = new Array<number>(fine.edges.length + 1).fill(0);
  for (const r of rows) {
    const b = binIndex(fine.edges, r.x);
    fineCounts[b] = (fineCounts[b] as number) + 1;
    fineSums[b] = (fineSums[b] as number) + r.x;
  }
  close(m.features.x?.ks, ksBinned(fine.counts, fineCounts).statistic, 'ks');
  close(m.features.x?.ks_p_value, ksBinned(fine.counts, fineCounts).pValue, 'ks p');
  close(m.features.x?.js, jensenShannon(bx.bins.counts, counts), 'js');
  const wFine = wassersteinPoints(
    fine.counts.map((c, i) => [fine.means[i] as number, c] as const),
    fineCounts.map((c, i) => [c ? (fineSums[i] as number) / c : 0, c] as const),
    bx.std,
  );
  // the window's per-bin means come from Elasticsearch's avg (a double sum): equal to 1e-9 relative
  close(m.features.x?.wasserstein, wFine, 'wasserstein');
  // the decile version (baselines without fine_bins) is a lower estimate of the same shift
  assert.ok(wassersteinBinned(bx.bins.edges, bx.min, bx.bins.counts, counts, bx.std) < wFine);
  close(
    m.features.x?.mean_shift_se,
    meanShiftSe(bx.mean, bx.std, rows.reduce((s, r) => s + r.x, 0) / 1000, 1000),
    'mean shift',
  );
  assert.equal(
    m.features.x?.out_of_range_rate,
    rows.filter((r) => r.x < bx.min || r.x > bx.max).length / 1000,
  );
  // the categorical statistics
  const bc = baseline.features.c?.categorical;
  assert.ok(bc);
  const cats = Object.keys(bc.values);
  const base = [...cats.map((k) => bc.values[k] as number), bc.other_count];
  const win = [...cats.map((k) => rows.filter((r) => r.c === k).length), unseen.length];
  close(m.features.c?.chi2_p_value, chiSquared(base, win).pValue, 'chi2 p');
  close(m.features.c?.js, jensenShannon(base, win), 'c js');
  close(m.features.c?.linf, lInfinity(base, win), 'c linf');
  // latencies 0..19 ms, 50 of each: Elasticsearch's percentiles (TDigest) land on or between ranks
  assert.ok((m.latency_ms.p50 ?? -1) >= 9 && (m.latency_ms.p50 ?? 99) <= 10, `p50 ${m.latency_ms.p50}`);
  assert.ok((m.latency_ms.p95 ?? -1) >= 18 && (m.latency_ms.p95 ?? 99) <= 19, `p95 ${m.latency_ms.p95}`);
  assert.ok((m.latency_ms.p99 ?? -1) >= 18.5 && (m.latency_ms.p99 ?? 99) <= 19, `p99 ${m.latency_ms.p99}`);
  assert.deepEqual(m.versions, [{ version: '1', docs: 1000 }]);

  const fired = new Set(m.alerts.map((x) => x.feature));
  assert.deepEqual([...fired].sort(), ['a', 'c', 't', 'x']);
  assert.ok(
    m.alerts.some((x) => x.feature === 'x' && x.rule === 'numeric_drift' && x.severity === 'critical'),
  );
  assert.ok(m.alerts.some((x) => x.feature === 'a' && x.rule === 'na_rate' && x.severity === 'critical'));
  assert.ok(
    m.alerts.some((x) => x.feature === 'c' && x.rule === 'unseen_categories' && x.severity === 'critical'),
  );
  assert.ok(m.alerts.some((x) => x.feature === 't' && x.rule === 'oov_words' && x.severity === 'critical'));
  for (const clean of ['y', 'd']) assert.equal(m.features[clean]?.status, 'ok', `${clean} is clean`);
  assert.equal(m.prediction?.status, 'ok');
});

for (const size of [1000, 300]) {
  test(`a clean window of ${size} documents raises no alert (no false alarms, even where distances are biased upward)`, async () => {
    const rows = Array.from({ length: size }, cleanRow);
    const start = new Date(size === 1000 ? '2026-01-01T11:00:00Z' : '2026-01-01T12:00:00Z');
    await logWindow(rows, start);
    const m = await window(start);
    assert.equal(m.docs, size);
    assert.deepEqual(m.alerts, []);
    for (const [name, f] of Object.entries(m.features))
      assert.equal(f.status, 'ok', `${name}: ${JSON.stringify(f)}`);
    // the 15-category feature's distance is visibly above zero from sampling noise alone
    assert.ok((m.features.d?.js ?? 0) > 0.01);
  });
}

test('a small window: overwhelming evidence alerts, noise does not, and the output says what it cannot tell', async () => {
  // 40 documents whose x is all 100 (every value in the top bin): drift beyond doubt, even at 40
  const rows = Array.from({ length: 40 }, () => ({ ...cleanRow(), x: 100 }));
  const start = new Date('2026-01-01T13:00:00Z');
  await logWindow(rows, start);
  const m = await window(start);
  assert.deepEqual(
    m.alerts.map((a) => `${a.feature} ${a.rule} ${a.severity}`),
    ['x numeric_drift critical'],
  );
  // y is clean: its PSI at n = 40 is noise (the critical value is above the floor), so no alert, and the reason says so
  assert.ok((m.features.y?.psi_critical ?? 0) > 0.1);
  assert.match(m.features.y?.reason ?? '', /40 values in the window: too few to tell psi from noise/);
});

test('a feature the baseline lacks is reported with the closest baseline name; a baseline feature never seen, once', async () => {
  // the service sends "yy" where the baseline has "y" (a typo on one side)
  const rows = Array.from({ length: 50 }, cleanRow);
  const start = new Date('2026-01-01T14:00:00Z');
  await logWindow(rows, start, { y: 'yy' });
  const m = await window(start);
  assert.deepEqual(m.names, { unknown: [{ feature: 'yy', closest: 'y' }], never_seen: ['y'] });
  assert.equal(m.features.y?.count, 0);
});

test('a window with no documents: zero docs, a volume alert when a minimum is set', async () => {
  const start = new Date('2026-01-02T00:00:00Z');
  const m = await computeWindow(
    client,
    { model: 'mw', from: start, to: new Date(start.getTime() + 60_000), index: dataStreamName(namespace) },
    baseline,
    {
      ...defaultRules,
      minVolume: 10,
    },
  );
  assert.equal(m.docs, 0);
  assert.deepEqual(m.alerts, [
    { rule: 'volume', feature: '(all)', metric: 'docs', value: 0, threshold: 10, severity: 'critical' },
  ]);
});
