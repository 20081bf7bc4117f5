import type { Client, estypes } from '@elastic/elasticsearch';
import type { Baseline, FeatureProfile } from '../baseline/types.js';
import { type Rules, rulesFor, type Severity, severityOf } from './rules.js';
import {
  chiSquared,
  jensenShannon,
  ksBinned,
  lInfinity,
  meanShiftSe,
  psi,
  wassersteinBinned,
} from './distribution-tests.js';

/** One window of one model (and optionally one version). */
export interface WindowSpec {
  model: string;
  version?: string;
  from: Date;
  to: Date;
  /** the predictions data streams to read */
  index: string;
}

export interface Alert {
  rule: string;
  feature: string;
  metric: string;
  value: number | string;
  threshold: number | string;
  severity: Severity;
}

/** The keys of `mlmon metrics --json` (README, "Metrics"); fields that do not apply to a type are absent. */
export interface FeatureMetrics {
  type: FeatureProfile['type'];
  /** documents with a value in the window */
  count: number;
  na_rate: number;
  baseline_na_rate: number;
  unseen_rate?: number;
  top_unseen?: { value: string; count: number }[];
  oov_rate?: number;
  docs_with_oov_rate?: number;
  top_oov?: { word: string; count: number }[];
  psi?: number;
  ks?: number;
  ks_p_value?: number;
  js?: number;
  wasserstein?: number;
  chi2_p_value?: number;
  linf?: number;
  mean_shift_se?: number;
  out_of_range_rate?: number;
  status: 'ok' | Severity | 'insufficient_data';
  reason?: string;
}

export interface WindowMetrics {
  model: string;
  version: string | null;
  baseline: string;
  window: { from: string; to: string };
  docs: number;
  features: Record<string, FeatureMetrics>;
  prediction?: FeatureMetrics;
  versions: { version: string; docs: number }[];
  latency_ms: { p50: number | null; p95: number | null; p99: number | null };
  alerts: Alert[];
}

const TOP = 10;

/** The numeric fields of FeatureMetrics: what metric documents and Prometheus gauges carry. */
export const METRIC_FIELDS = [
  'count',
  'na_rate',
  'baseline_na_rate',
  'unseen_rate',
  'oov_rate',
  'docs_with_oov_rate',
  'psi',
  'ks',
  'ks_p_value',
  'js',
  'wasserstein',
  'chi2_p_value',
  'linf',
  'mean_shift_se',
  'out_of_range_rate',
] as const;

function typedField(root: string, name: string, type: FeatureProfile['type']): string {
  const sub = { numeric: 'num', categorical: 'cat', text: 'text', boolean: 'bool', datetime: 'date' }[type];
  return root === 'prediction' ? `mlmon.prediction.${sub}` : `mlmon.features.${sub}.${name}`;
}

/** The aggregations for one feature, under keys prefixed with `key`. */
function featureAggs(
  key: string,
  name: string,
  p: FeatureProfile,
  isPrediction: boolean,
): Record<string, estypes.AggregationsAggregationContainer> {
  const field = typedField(isPrediction ? 'prediction' : 'features', name, p.type);
  const aggs: Record<string, estypes.AggregationsAggregationContainer> = {};
  const missing: estypes.QueryDslQueryContainer = { bool: { must_not: { exists: { field } } } };
  aggs[`${key}_na`] = {
    filter: isPrediction
      ? missing
      : { bool: { should: [{ term: { 'mlmon.na': name } }, missing], minimum_should_match: 1 } },
  };
  if (p.numeric) {
    const edges = p.numeric.bins.edges;
    const ranges: estypes.AggregationsAggregationRange[] = [];
    for (let i = 0; i <= edges.length; i++) {
      const r: estypes.AggregationsAggregationRange = {};
      if (i > 0) r.from = edges[i - 1] as number;
      if (i < edges.length) r.to = edges[i] as number;
      ranges.push(r);
    }
    // range buckets are [from, to): the baseline's bins
    aggs[`${key}_bins`] = { range: { field, ranges } };
    aggs[`${key}_stats`] = { stats: { field } };
    aggs[`${key}_oor`] = {
      filter: {
        bool: {
          should: [
            { range: { [field]: { lt: p.numeric.min } } },
            { range: { [field]: { gt: p.numeric.max } } },
          ],
          minimum_should_match: 1,
        },
      },
    };
  }
  if (p.categorical || p.boolean) {
    const values = p.categorical ? Object.keys(p.categorical.values) : ['true', 'false'];
    aggs[`${key}_count`] = { value_count: { field } };
    // boolean fields take no include list; their keys come back as 1/0 with key_as_string true/false
    aggs[`${key}_known`] = p.categorical
      ? { terms: { field, include: values, size: Math.max(values.length, 1) } }
      : { terms: { field, size: 2 } };
    if (p.categorical) aggs[`${key}_unseen`] = { terms: { field, exclude: values, size: TOP } };
  }
  if (p.text && !isPrediction) {
    aggs[`${key}_tokens`] = { sum: { field: `mlmon.derived.tokens.${name}` } };
    aggs[`${key}_oov`] = { sum: { field: `mlmon.derived.oov.${name}` } };
    aggs[`${key}_docs`] = { value_count: { field: `mlmon.derived.tokens.${name}` } };
    aggs[`${key}_docs_oov`] = { filter: { range: { [`mlmon.derived.oov.${name}`]: { gt: 0 } } } };
    aggs[`${key}_oov_top`] = { terms: { field: `mlmon.derived.oov_words.${name}`, size: TOP } };
  }
  return aggs;
}

/** The query of one window: filter by model, version and time; every aggregation in one search. */
export function windowRequest(spec: WindowSpec, b: Baseline): estypes.SearchRequest {
  const filter: estypes.QueryDslQueryContainer[] = [
    { term: { 'mlmon.model.name': spec.model } },
    { range: { '@timestamp': { gte: spec.from.toISOString(), lt: spec.to.toISOString() } } },
  ];
  if (spec.version) filter.push({ term: { 'mlmon.model.version': spec.version } });
  const aggs: Record<string, estypes.AggregationsAggregationContainer> = {
    versions: { terms: { field: 'mlmon.model.version', size: 50 } },
    latency: { percentiles: { field: 'mlmon.latency_ms', percents: [50, 95, 99] } },
  };
  for (const [i, [name, p]] of Object.entries(b.features).entries())
    Object.assign(aggs, featureAggs(`f${i}`, name, p, false));
  if (b.prediction) Object.assign(aggs, featureAggs('pred', b.prediction.column, b.prediction, true));
  return {
    index: spec.index,
    size: 0,
    track_total_hits: true,
    query: { bool: { filter } },
    aggs,
    ignore_unavailable: true,
    allow_no_indices: true,
  };
}

type Aggs = Record<string, unknown>;
const num = (a: Aggs, k: string, f: string): number =>
  ((a[k] as Record<string, number> | undefined)?.[f] ?? 0) as number;
const buckets = (a: Aggs, k: string) =>
  (a[k] as { buckets?: { key: string | number; key_as_string?: string; doc_count: number }[] } | undefined)
    ?.buckets ?? [];

function featureMetrics(
  key: string,
  name: string,
  p: FeatureProfile,
  a: Aggs,
  docs: number,
  rules: Omit<Rules, 'features'>,
  alerts: Alert[],
  isPrediction: boolean,
): FeatureMetrics {
  const na = num(a, `${key}_na`, 'doc_count');
  const m: FeatureMetrics = {
    type: p.type,
    count: docs - na,
    na_rate: docs ? na / docs : 0,
    baseline_na_rate: p.na_rate,
    status: 'ok',
  };
  const label = isPrediction ? '(prediction)' : name;
  const fire = (rule: string, metric: string, value: number, threshold: number, severity: Severity) =>
    alerts.push({ rule, feature: label, metric, value, threshold, severity });

  if (p.numeric) {
    const counts = buckets(a, `${key}_bins`).map((bk) => bk.doc_count);
    const base = p.numeric.bins.counts;
    const n = counts.reduce((s, c) => s + c, 0);
    m.count = n;
    if (n > 0) {
      m.psi = psi(base, counts);
      const ks = ksBinned(base, counts);
      m.ks = ks.statistic;
      m.ks_p_value = ks.pValue;
      m.js = jensenShannon(base, counts);
      m.wasserstein = wassersteinBinned(p.numeric.bins.edges, p.numeric.min, base, counts, p.numeric.std);
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
      ? [...values.map((v) => p.categorical?.values[v] ?? 0), p.categorical.other_count]
      : [p.boolean?.true ?? 0, p.boolean?.false ?? 0];
    const knownSum = values.reduce((s, v) => s + (known.get(v) ?? 0), 0);
    const unseen = Math.max(0, count - knownSum);
    const win = p.categorical
      ? [...values.map((v) => known.get(v) ?? 0), unseen]
      : values.map((v) => known.get(v) ?? 0);
    m.count = count;
    if (p.categorical) {
      m.unseen_rate = count ? unseen / count : 0;
      m.top_unseen = buckets(a, `${key}_unseen`).map((bk) => ({
        value: String(bk.key),
        count: bk.doc_count,
      }));
    }
    if (count > 0) {
      const chi = chiSquared(base, win);
      m.chi2_p_value = chi.pValue;
      m.js = jensenShannon(base, win);
      m.linf = lInfinity(base, win);
    }
  }
  if (p.text && !isPrediction) {
    const tokens = num(a, `${key}_tokens`, 'value');
    const docsWithText = num(a, `${key}_docs`, 'value');
    m.count = docsWithText;
    m.oov_rate = tokens ? num(a, `${key}_oov`, 'value') / tokens : 0;
    m.docs_with_oov_rate = docsWithText ? num(a, `${key}_docs_oov`, 'doc_count') / docsWithText : 0;
    m.top_oov = buckets(a, `${key}_oov_top`).map((bk) => ({ word: String(bk.key), count: bk.doc_count }));
  }

  // verdicts: NA needs the window's documents; the rest need values
  const before = alerts.length;
  if (docs >= rules.minSamples) {
    const rise = m.na_rate - m.baseline_na_rate;
    const s = severityOf(rise, rules.naRateRise);
    if (s) fire('na_rate', 'na_rate_rise', rise, rules.naRateRise[s], s);
  }
  if (m.count < rules.minSamples) {
    m.status = 'insufficient_data';
    m.reason = `${m.count} values in the window, fewer than the ${rules.minSamples} the rules need`;
  } else {
    const unseen = severityOf(m.unseen_rate, rules.unseenRate);
    if (unseen && m.unseen_rate !== undefined)
      fire('unseen_categories', 'unseen_rate', m.unseen_rate, rules.unseenRate[unseen], unseen);
    const oov = severityOf(m.oov_rate, rules.oovRate);
    if (oov && m.oov_rate !== undefined) fire('oov_words', 'oov_rate', m.oov_rate, rules.oovRate[oov], oov);
    if (m.psi !== undefined && (m.ks_p_value ?? 1) < rules.pValue) {
      const s = severityOf(m.psi, rules.psi);
      if (s) fire(isPrediction ? 'prediction_drift' : 'numeric_drift', 'psi', m.psi, rules.psi[s], s);
    }
    if (m.chi2_p_value !== undefined && m.js !== undefined && m.chi2_p_value < rules.pValue) {
      const s = severityOf(m.js, rules.jensenShannon);
      if (s)
        fire(isPrediction ? 'prediction_drift' : 'categorical_drift', 'js', m.js, rules.jensenShannon[s], s);
    }
  }
  const mine = alerts.slice(before);
  if (mine.some((x) => x.severity === 'critical')) m.status = 'critical';
  else if (mine.length) m.status = 'warn';
  return m;
}

/** Computes one window from the response of `windowRequest`. */
export function windowMetrics(
  spec: WindowSpec,
  b: Baseline,
  res: estypes.SearchResponse,
  rules: Rules,
  knownVersions: readonly string[] = [b.version],
): WindowMetrics {
  const a = (res.aggregations ?? {}) as Aggs;
  const docs = typeof res.hits.total === 'number' ? res.hits.total : (res.hits.total?.value ?? 0);
  const alerts: Alert[] = [];
  const features: Record<string, FeatureMetrics> = {};
  Object.entries(b.features).forEach(([name, p], i) => {
    features[name] = featureMetrics(`f${i}`, name, p, a, docs, rulesFor(rules, name), alerts, false);
  });
  const latency = (a.latency as { values?: Record<string, number | null> } | undefined)?.values ?? {};
  const out: WindowMetrics = {
    model: spec.model,
    version: spec.version ?? null,
    baseline: `${b.model}@${b.version}`,
    window: { from: spec.from.toISOString(), to: spec.to.toISOString() },
    docs,
    features,
    versions: buckets(a, 'versions').map((bk) => ({ version: String(bk.key), docs: bk.doc_count })),
    latency_ms: { p50: latency['50.0'] ?? null, p95: latency['95.0'] ?? null, p99: latency['99.0'] ?? null },
    alerts,
  };
  if (b.prediction)
    out.prediction = featureMetrics(
      'pred',
      b.prediction.column,
      b.prediction,
      a,
      docs,
      rulesFor(rules, '(prediction)'),
      alerts,
      true,
    );
  if (rules.unexpectedVersion) {
    for (const v of out.versions) {
      if (!knownVersions.includes(v.version)) {
        alerts.push({
          rule: 'unexpected_version',
          feature: '(all)',
          metric: 'version',
          value: v.version,
          threshold: knownVersions.join(','),
          severity: 'warn',
        });
      }
    }
  }
  if (rules.minVolume > 0 && docs < rules.minVolume) {
    alerts.push({
      rule: 'volume',
      feature: '(all)',
      metric: 'docs',
      value: docs,
      threshold: rules.minVolume,
      severity: docs === 0 ? 'critical' : 'warn',
    });
  }
  return out;
}

export async function computeWindow(
  client: Client,
  spec: WindowSpec,
  b: Baseline,
  rules: Rules,
  knownVersions?: readonly string[],
): Promise<WindowMetrics> {
  const res = await client.search(windowRequest(spec, b));
  return windowMetrics(spec, b, res, rules, knownVersions);
}
