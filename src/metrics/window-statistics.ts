import type { estypes } from '@elastic/elasticsearch';
import type { Baseline } from '../contract/baseline-document.js';
import type { FeatureStatistics } from '../contract/window-metrics.js';
import {
  type CountStatistic,
  FALSE_ALARM_BUDGET,
  type NullTail,
  nullThreshold,
} from '../rules/calibration.js';
import {
  binomialGreaterP,
  chiSquared,
  jensenShannon,
  ksBinned,
  lInfinity,
  meanShiftSe,
  psi,
  wassersteinBinned,
  wassersteinPoints,
} from './distribution-tests.js';
import { type FeatureEntry, featureEntries } from './window-query.js';

/** The statistics of a whole window: its documents, and each feature's numbers. */
export interface WindowStatistics {
  docs: number;
  features: Record<string, FeatureStatistics>;
  prediction?: FeatureStatistics;
  versions: { version: string; docs: number }[];
  latency_ms: { p50: number | null; p95: number | null; p99: number | null };
  /** fields Elasticsearch kept in _source but did not index, with the documents they occur in */
  ignored_fields: { field: string; docs: number }[];
}

type Aggs = Record<string, unknown>;
const num = (a: Aggs, k: string, f: string): number =>
  ((a[k] as Record<string, number> | undefined)?.[f] ?? 0) as number;
const buckets = (a: Aggs, k: string) =>
  (a[k] as { buckets?: { key: string | number; key_as_string?: string; doc_count: number }[] } | undefined)
    ?.buckets ?? [];

/** The critical value of a statistic at the window's n, from the baseline's own null (src/rules/calibration.ts). */
function critical(
  b: Baseline,
  e: FeatureEntry,
  name: string,
  statistic: CountStatistic,
  reference: readonly number[],
  n: number,
  level: number,
  tail?: NullTail,
): { critical: number; clear: number } {
  const key = `${b.model}@${b.version}\u0000${e.name}\u0000${name}\u0000${reference.join(',')}`;
  const t = nullThreshold({ key, reference, n, level, statistic, ...(tail ? { tail } : {}) });
  return { critical: t.critical, clear: t.clear };
}

/**
 * The reference's count for "a value the baseline has not listed": the values past its list, or the
 * Good-Turing mass of new values (singletons included) where that is larger. A clean window of a
 * column with many rare values (names, titles) holds about that share of unseen values; a reference
 * that expected none made every clean split of such a column look drifted.
 */
function unseenReference(c: NonNullable<Baseline['features'][string]['categorical']>): number {
  const listed = Object.values(c.values).reduce((s, v) => s + v, 0) + c.other_count;
  return Math.max(c.other_count, (c.expected_unseen_rate ?? 0) * listed);
}

/**
 * The unseen rate a clean window is tested against: Good-Turing's, but never under 1 / (N + 1) for N
 * training values. Good-Turing says 0 when no training value was seen once, and against 0 a single
 * unseen value is "significant": a clean 100-value window of earthquakes' magType holding the one
 * value of a category the training half missed alerted (one window in six, bench table 7). A sample
 * of N cannot tell a rate under 1 / (N + 1) from zero, so that is the least it may promise.
 */
export function expectedUnseenRate(
  c: NonNullable<Baseline['features'][string]['categorical']>,
): number | undefined {
  if (c.expected_unseen_rate === undefined) return undefined;
  const listed = Object.values(c.values).reduce((s, v) => s + v, 0) + c.other_count;
  return Math.max(c.expected_unseen_rate, 1 / (listed + 1));
}

function featureStatistics(
  b: Baseline,
  e: FeatureEntry,
  a: Aggs,
  docs: number,
  level: number,
): FeatureStatistics {
  const { key, profile: p, isPrediction } = e;
  const na = num(a, `${key}_na`, 'doc_count');
  const m: FeatureStatistics = {
    type: p.type,
    count: docs - na,
    // an empty window measured no rate: none is stored (not 0)
    ...(docs ? { na_rate: na / docs } : {}),
    baseline_na_rate: p.na_rate,
  };

  if (p.numeric) {
    const counts = buckets(a, `${key}_bins`).map((bk) => bk.doc_count);
    const base = p.numeric.bins.counts;
    const n = counts.reduce((s, c) => s + c, 0);
    m.count = n;
    if (n > 0) {
      m.psi = psi(base, counts);
      const fine = p.numeric.fine_bins;
      const fineBuckets = (
        a[`${key}_fine`] as { buckets?: { doc_count: number; mean?: { value: number | null } }[] } | undefined
      )?.buckets;
      const t = critical(b, e, 'psi', psi, base, n, level);
      m.psi_critical = t.critical;
      m.psi_clear = t.clear;
      // KS and Wasserstein on the fine grid where the baseline has one; older baselines: the deciles
      const ks =
        fine && fineBuckets
          ? ksBinned(
              fine.counts,
              fineBuckets.map((bk) => bk.doc_count),
            )
          : ksBinned(base, counts);
      m.ks = ks.statistic;
      m.ks_p_value = ks.pValue;
      m.js = jensenShannon(base, counts);
      m.wasserstein =
        fine && fineBuckets
          ? wassersteinPoints(
              fine.counts.map((c, i) => [fine.means[i] as number, c] as const),
              fineBuckets.map((bk) => [bk.mean?.value ?? 0, bk.doc_count] as const),
              p.numeric.std,
            )
          : wassersteinBinned(p.numeric.bins.edges, p.numeric.min, base, counts, p.numeric.std);
      m.mean_shift_se = meanShiftSe(p.numeric.mean, p.numeric.std, num(a, `${key}_stats`, 'avg'), n);
      m.out_of_range_rate = num(a, `${key}_oor`, 'doc_count') / n;
    }
  }
  if (p.categorical || p.boolean) {
    const count = num(a, `${key}_count`, 'value');
    const known = new Map(
      buckets(a, `${key}_known`).map((bk) => [String(bk.key_as_string ?? bk.key), bk.doc_count]),
    );
    const values = p.categorical ? Object.keys(p.categorical.values) : ['true', 'false'];
    const base = p.categorical
      ? [...values.map((v) => p.categorical?.values[v] ?? 0), unseenReference(p.categorical)]
      : [p.boolean?.true ?? 0, p.boolean?.false ?? 0];
    const knownSum = values.reduce((s, v) => s + (known.get(v) ?? 0), 0);
    const unseen = Math.max(0, count - knownSum);
    const win = p.categorical
      ? [...values.map((v) => known.get(v) ?? 0), unseen]
      : values.map((v) => known.get(v) ?? 0);
    m.count = count;
    if (p.categorical) {
      m.unseen_rate = count ? unseen / count : 0;
      const expected = expectedUnseenRate(p.categorical);
      if (expected !== undefined) {
        m.expected_unseen_rate = expected;
        m.unseen_p_value = binomialGreaterP(unseen, count, expected);
      }
      m.top_unseen = buckets(a, `${key}_unseen`).map((bk) => ({
        value: String(bk.key),
        count: bk.doc_count,
      }));
    }
    if (count > 0) {
      const chi = chiSquared(base, win);
      m.chi2_p_value = chi.pValue;
      m.js = jensenShannon(base, win);
      const t = critical(b, e, 'js', jensenShannon, base, count, level, 'gamma-of-square');
      m.js_critical = t.critical;
      m.js_clear = t.clear;
      m.linf = lInfinity(base, win);
    }
  }
  if (p.identifier) {
    const count = num(a, `${key}_count`, 'value');
    m.count = count;
    m.distinct_share = count ? num(a, `${key}_distinct`, 'value') / count : 0;
    m.baseline_distinct_share = p.identifier.distinct_share;
  }
  if (p.text && !isPrediction) {
    const tokens = num(a, `${key}_tokens`, 'value');
    const docsWithText = num(a, `${key}_docs`, 'value');
    m.count = docsWithText;
    m.oov_rate = tokens ? num(a, `${key}_oov`, 'value') / tokens : 0;
    const docsOov = num(a, `${key}_docs_oov`, 'doc_count');
    m.docs_with_oov_rate = docsWithText ? docsOov / docsWithText : 0;
    const t = p.text;
    if (t.expected_oov_rate !== undefined && t.expected_docs_with_oov_rate !== undefined) {
      m.expected_oov_rate = t.expected_oov_rate;
      m.expected_docs_with_oov_rate = t.expected_docs_with_oov_rate;
      // documents, not tokens, are the independent draws: one foreign text holds many OOV tokens
      m.oov_p_value = binomialGreaterP(docsOov, docsWithText, t.expected_docs_with_oov_rate);
    }
    m.top_oov = buckets(a, `${key}_oov_top`).map((bk) => ({ word: String(bk.key), count: bk.doc_count }));
  }
  return m;
}

/**
 * The statistics of one window from the response of `windowRequest` for the same baseline; `level` is
 * each test's false-alarm level, at which the drift statistics' critical values are simulated.
 */
export function windowStatistics(
  b: Baseline,
  res: estypes.SearchResponse,
  level: number = FALSE_ALARM_BUDGET.default,
): WindowStatistics {
  const a = (res.aggregations ?? {}) as Aggs;
  const docs = typeof res.hits.total === 'number' ? res.hits.total : (res.hits.total?.value ?? 0);
  const features: Record<string, FeatureStatistics> = {};
  let prediction: FeatureStatistics | undefined;
  for (const e of featureEntries(b)) {
    const m = featureStatistics(b, e, a, docs, level);
    if (e.isPrediction) prediction = m;
    else features[e.name] = m;
  }
  const latency = (a.latency as { values?: Record<string, number | null> } | undefined)?.values ?? {};
  return {
    docs,
    features,
    ...(prediction ? { prediction } : {}),
    versions: buckets(a, 'versions').map((bk) => ({ version: String(bk.key), docs: bk.doc_count })),
    latency_ms: { p50: latency['50.0'] ?? null, p95: latency['95.0'] ?? null, p99: latency['99.0'] ?? null },
    ignored_fields: buckets(a, 'ignored').map((bk) => ({ field: String(bk.key), docs: bk.doc_count })),
  };
}
