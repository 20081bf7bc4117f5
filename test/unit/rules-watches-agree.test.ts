import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProfileType } from '../../src/contract/baseline-document.js';
import type { FeatureStatistics } from '../../src/contract/window-metrics.js';
import { metricDocument } from '../../src/job/writer.js';
import type { FeatureMetrics, WindowMetrics } from '../../src/metrics/window.js';
import { PREDICTION_FEATURE, type Rules, rulesFor } from '../../src/rules/rule-settings.js';
import { defaultRules, RULE_TABLE, volumeRatio } from '../../src/rules/rule-table.js';
import { type Alert, featureVerdict, windowVerdicts } from '../../src/rules/verdicts.js';
import { type RenderedWatch, renderWatches, WATCH_FAMILIES } from '../../src/setup/watches.js';
import { boolMatches } from '../helpers/metric-doc-query.js';
import { evaluateCondition } from '../helpers/watcher-condition.js';

/**
 * The job's verdict and each watch's condition on the same metric document, for every rule: windows
 * of one feature (or the prediction) each, with statistics shaped as windowStatistics shapes them and
 * values around every threshold and gate, are judged by the job (the pure verdicts) and written as the
 * job writes them (metricDocument); each watch's search (its bool query, matched here) and condition
 * (the documented compare / array_compare semantics) must give the job's answer. The integration test
 * (test/integration/watches.test.ts) does the same on the real node, with the Painless transform.
 */

let seed = 99;
const random = () => {
  seed = (Math.imul(seed ^ (seed >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
  return seed / 2 ** 32;
};
const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)] as T;

/** A value near one of the thresholds (or the gate): below, at, or above it, or far off. */
const near = (marks: readonly number[]) => {
  const m = pick(marks);
  return Math.max(0, pick([m, m - 1e-9, m + 1e-9, m * 0.5, m * 2, random()]));
};

function statistics(kind: ProfileType, isPrediction: boolean, r: Rules): FeatureStatistics {
  const samples = [r.minSamples];
  const count = Math.round(near([...samples, 50, 5000]));
  const na = near([r.naRateRise.warn, r.naRateRise.critical, 0.5]);
  const base = pick([0, 0.01, 0.1, na]);
  // a critical value from the calibrated null: at, below or above the statistic, or none
  const crit = (v: number | undefined) =>
    pick([v ?? 0, (v ?? 0) - 1e-9, (v ?? 0) + 1e-9, 0, Number.POSITIVE_INFINITY, undefined]);
  const m: FeatureStatistics = { type: kind, count, na_rate: Math.min(1, na + base), baseline_na_rate: base };
  if (kind === 'numeric' && count > 0) {
    m.psi = near([r.psi.warn, r.psi.critical]);
    m.psi_critical = crit(m.psi);
    m.ks = random();
    m.ks_p_value = random();
    m.js = near([r.jensenShannon.warn, r.jensenShannon.critical]);
    m.wasserstein = random();
    m.mean_shift_se = random();
    m.out_of_range_rate = random();
  }
  if (kind === 'categorical' || kind === 'boolean') {
    if (kind === 'categorical') {
      m.unseen_rate = near([r.unseenRate.warn, r.unseenRate.critical]);
      m.top_unseen = [];
    }
    if (count > 0) {
      m.chi2_p_value = random();
      m.js = near([r.jensenShannon.warn, r.jensenShannon.critical]);
      m.js_critical = crit(m.js);
      m.linf = random();
    }
  }
  if (kind === 'text' && !isPrediction) {
    m.oov_rate = near([r.oovRate.warn, r.oovRate.critical]);
    m.docs_with_oov_rate = random();
    m.top_oov = [];
  }
  return m;
}

/** One window of one feature, judged by the job and written as its metric document. */
function window(name: string, isPrediction: boolean, kind: ProfileType, rules: Rules) {
  const stats = statistics(kind, isPrediction, rules);
  const docs = Math.max(stats.count, Math.round(near([rules.minSamples, rules.minVolume, 1, 0])));
  const known = ['1'];
  const versions = pick([['1'], ['1', '2'], ['3'], []]);
  const v = featureVerdict(name, stats, docs, isPrediction, rulesFor(rules, name));
  const f: FeatureMetrics = {
    ...stats,
    status: v.status,
    ...(v.reason ? { reason: v.reason } : {}),
    evidence: v.evidence,
  };
  const now = Date.now();
  // the recent windows' documents (volume_drop): none, too few, a median under the minimum, or one that
  // puts this window's share near the thresholds
  const share = near([rules.volumeDrop.warn, rules.volumeDrop.critical, 1]);
  const median = pick([10, 20, 1000, Math.max(1, docs) / Math.max(share, 1e-3)]);
  const recentDocs = pick([undefined, [median, median], Array(5).fill(median), Array(13).fill(median)]);
  const facts = { docs, versions, knownVersions: known, ...(recentDocs ? { recentDocs } : {}) };
  const alerts = [...v.alerts, ...windowVerdicts(facts, rules)];
  const volume = volumeRatio(facts);
  const m: WindowMetrics = {
    model: 'm',
    version: null,
    baseline: 'm@1',
    window: { from: new Date(now - 120_000).toISOString(), to: new Date(now - 60_000).toISOString() },
    docs,
    features: isPrediction ? {} : { [name]: f },
    ...(isPrediction ? { prediction: f } : {}),
    versions: versions.map((version) => ({ version, docs: 1 })),
    latency_ms: { p50: null, p95: null, p99: null },
    ignored_fields: [],
    alerts,
    level: rules.falseAlarmBudget,
    cleared: [],
    ...(volume ? { volume: { recent_median: volume.median, ratio: volume.ratio } } : {}),
  };
  return { alerts, doc: metricDocument(m, name, f, 'default', isPrediction, known) };
}

const familyOf = (a: Alert) => WATCH_FAMILIES.find((f) => f.metric === a.metric);

/** The job's verdict in a watch's scope: its family, and its feature (or every feature without a watch of its own). */
function jobFires(w: RenderedWatch, alerts: Alert[]): boolean {
  const own = (w.body.metadata.features_with_own_watch as string[] | undefined) ?? [];
  return alerts.some(
    (a) =>
      familyOf(a)?.family === w.family && (w.feature ? a.feature === w.feature : !own.includes(a.feature)),
  );
}

function watchFires(w: RenderedWatch, source: unknown): boolean {
  const hits = boolMatches(w.body.input.search.request.body.query.bool, source) ? [{ _source: source }] : [];
  return evaluateCondition(w.body.condition, {
    ctx: { payload: { hits: { total: hits.length, hits } }, metadata: w.body.metadata, watch_id: w.id },
  });
}

const ruleSets: Record<string, Rules> = {
  defaults: { ...defaultRules, minVolume: 200 },
  strict: {
    ...defaultRules,
    minSamples: 20,
    falseAlarmBudget: 0.001,
    naRateRise: { warn: 0.01, critical: 0.02 },
    minVolume: 50,
    volumeDrop: { warn: 0.5, critical: 0.1 },
    unexpectedVersion: false,
  },
  'per feature': {
    ...defaultRules,
    minVolume: 1,
    features: {
      x: { psi: { warn: 0.5, critical: 0.9 }, jensenShannon: { warn: 0.3, critical: 0.4 } },
      y: { minSamples: 1000 },
      [PREDICTION_FEATURE]: { unseenRate: { warn: 0.2, critical: 0.3 } },
    },
  },
};

test('for every rule, the job and its watch agree on the same metric document', () => {
  const kinds: ProfileType[] = ['numeric', 'categorical', 'text', 'boolean', 'datetime'];
  const fired = new Map<string, number>();
  const quiet = new Map<string, number>();
  for (const [label, rules] of Object.entries(ruleSets)) {
    const watches = renderWatches({ namespace: 'default', rules });
    for (let i = 0; i < 1500; i++) {
      const isPrediction = random() < 0.3;
      const name = isPrediction ? PREDICTION_FEATURE : pick(['x', 'y', 'z']);
      const kind = pick(kinds);
      const { alerts, doc } = window(name, isPrediction, kind, rules);
      for (const a of alerts) {
        const family = familyOf(a);
        assert.ok(family, `${a.rule} ${a.metric} has a watch family`);
        assert.equal(a.rule, isPrediction && !family.windowLevel ? family.predictionRule : family.rule);
      }
      for (const w of watches) {
        const job = jobFires(w, alerts);
        const watch = watchFires(w, doc);
        assert.equal(
          watch,
          job,
          `${label}: ${w.id} on ${kind} ${name}: watch ${watch}, job ${job}\n${JSON.stringify(doc.mlmon)}\n${JSON.stringify(alerts)}`,
        );
        const tally = job ? fired : quiet;
        tally.set(w.family, (tally.get(w.family) ?? 0) + 1);
      }
    }
  }
  // every family was seen both firing and quiet, so each agreement above was tested both ways
  for (const f of WATCH_FAMILIES) {
    assert.ok((fired.get(f.family) ?? 0) > 10, `${f.family} fired`);
    assert.ok((quiet.get(f.family) ?? 0) > 10, `${f.family} stayed quiet`);
  }
  // and every rule of the table raised alerts
  const rules = new Set<string>();
  seed = 5;
  for (let i = 0; i < 3000; i++) {
    const isPrediction = random() < 0.4;
    for (const a of window(
      isPrediction ? PREDICTION_FEATURE : 'z',
      isPrediction,
      pick(kinds),
      ruleSets.defaults as Rules,
    ).alerts)
      rules.add(a.rule);
  }
  assert.deepEqual([...rules].sort(), RULE_TABLE.map((r) => r.name).sort());
});
