import type { estypes } from '@elastic/elasticsearch';
import type { Baseline, FeatureProfile } from '../contract/baseline-document.js';
import { derivedField, FIELDS, featureField, predictionField } from '../contract/document-fields.js';
import { FEATURE_KINDS } from '../contract/features.js';
import { PREDICTION_FEATURE } from '../rules/rule-settings.js';

/** One window of one model (and optionally one version). */
export interface WindowSpec {
  model: string;
  version?: string;
  from: Date;
  to: Date;
  /** the predictions data streams to read */
  index: string;
}

/** How many top unseen values and OOV words a window reports. */
const TOP = 10;

/** A monitored column of the baseline and the prefix of its aggregations' keys. */
export interface FeatureEntry {
  key: string;
  /** the feature's name; the prediction's is PREDICTION_FEATURE */
  name: string;
  /** the column the prediction was profiled from (the feature's name for a feature) */
  column: string;
  profile: FeatureProfile;
  isPrediction: boolean;
}

/** The features, then the prediction, each with the key its aggregations are named by. */
export function featureEntries(b: Baseline): FeatureEntry[] {
  const out: FeatureEntry[] = Object.entries(b.features).map(([name, profile], i) => ({
    key: `f${i}`,
    name,
    column: name,
    profile,
    isPrediction: false,
  }));
  if (b.prediction)
    out.push({
      key: 'pred',
      name: PREDICTION_FEATURE,
      column: b.prediction.column,
      profile: b.prediction,
      isPrediction: true,
    });
  return out;
}

/**
 * Every field the transport can have stored a feature under: its kind's, and the others'. A value
 * typed before the baseline was known (a text stored as a category) or of another type than the
 * baseline's is there, not missing: the NA filter looks for the feature in all of them, so a mistyped
 * value is never counted as missing (it is not measured by the kind's statistics either).
 */
export function storedFields(name: string): string[] {
  return [...new Set(FEATURE_KINDS.map((k) => featureField(k, name)))];
}

/** The aggregations for one feature, under keys prefixed with its key. */
function featureAggs(e: FeatureEntry): Record<string, estypes.AggregationsAggregationContainer> {
  const { key, column: name, profile: p, isPrediction } = e;
  const field = isPrediction ? predictionField(p.type) : featureField(p.type, name);
  const aggs: Record<string, estypes.AggregationsAggregationContainer> = {};
  const missing: estypes.QueryDslQueryContainer = {
    bool: {
      must_not: isPrediction
        ? { exists: { field } }
        : storedFields(name).map((f) => ({ exists: { field: f } })),
    },
  };
  aggs[`${key}_na`] = {
    filter: isPrediction
      ? missing
      : { bool: { should: [{ term: { [FIELDS.na]: name } }, missing], minimum_should_match: 1 } },
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
    const fine = p.numeric.fine_bins;
    if (fine) {
      // the finer grid for KS and Wasserstein: counts, and the mean of the window's values per bin
      const fineRanges = [...Array(fine.edges.length + 1).keys()].map((i) => ({
        ...(i > 0 ? { from: fine.edges[i - 1] as number } : {}),
        ...(i < fine.edges.length ? { to: fine.edges[i] as number } : {}),
      }));
      aggs[`${key}_fine`] = { range: { field, ranges: fineRanges }, aggs: { mean: { avg: { field } } } };
    }
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
  if (p.identifier) {
    aggs[`${key}_count`] = { value_count: { field } };
    // HyperLogLog++ is exact below the precision threshold (3,000 here) and within ~1% above
    aggs[`${key}_distinct`] = { cardinality: { field, precision_threshold: 3000 } };
  }
  if (p.text && !isPrediction) {
    aggs[`${key}_tokens`] = { sum: { field: derivedField.tokens(name) } };
    aggs[`${key}_oov`] = { sum: { field: derivedField.oov(name) } };
    aggs[`${key}_docs`] = { value_count: { field: derivedField.tokens(name) } };
    aggs[`${key}_docs_oov`] = { filter: { range: { [derivedField.oov(name)]: { gt: 0 } } } };
    aggs[`${key}_oov_top`] = { terms: { field: derivedField.oovWords(name), size: TOP } };
  }
  return aggs;
}

/** The query of one window: filter by model, version and time; every aggregation in one search. */
export function windowRequest(spec: WindowSpec, b: Baseline): estypes.SearchRequest {
  const filter: estypes.QueryDslQueryContainer[] = [
    { term: { [FIELDS.model]: spec.model } },
    { range: { [FIELDS.timestamp]: { gte: spec.from.toISOString(), lt: spec.to.toISOString() } } },
  ];
  if (spec.version) filter.push({ term: { [FIELDS.version]: spec.version } });
  const aggs: Record<string, estypes.AggregationsAggregationContainer> = {
    versions: { terms: { field: FIELDS.version, size: 50 } },
    latency: { percentiles: { field: FIELDS.latencyMs, percents: [50, 95, 99] } },
    // fields the index did not index (past the field limit, or ignore_above): reported, not guessed
    ignored: { terms: { field: FIELDS.ignored, size: 50 } },
  };
  for (const e of featureEntries(b)) Object.assign(aggs, featureAggs(e));
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
