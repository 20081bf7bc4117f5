import type { estypes } from '@elastic/elasticsearch';
import { closest, distance } from 'fastest-levenshtein';
import type { Baseline } from '../contract/baseline-document.js';
import type { FeatureStatistics } from '../contract/window-metrics.js';
import { type WindowSpec, windowRequest } from './window-query.js';

/**
 * Feature names the window and the baseline do not share (README, "Feature names"): a typo in a
 * baseline column or in the service's feature name leaves the real feature unmonitored, silently.
 */
export interface FeatureNames {
  /** names in the window's documents that the baseline lacks, with the nearest baseline name */
  unknown: { feature: string; closest?: string }[];
  /** baseline features with no value in any of the window's documents */
  never_seen: string[];
}

/** How many of the window's documents are read for their feature names. */
const SAMPLE = 200;
/** The kinds the transport stores features under (mlmon.features.<kind>.<name>). */
const KINDS = ['num', 'cat', 'text', 'bool', 'date'] as const;

/** A search for the feature names of a sample of the window's documents (only their names are used). */
export function namesRequest(spec: WindowSpec, b: Baseline): estypes.SearchRequest {
  const { query, index } = windowRequest(spec, b);
  return {
    index,
    size: SAMPLE,
    query,
    _source: ['mlmon.features'],
    ignore_unavailable: true,
    allow_no_indices: true,
  };
}

/** The nearest baseline name, where it is near enough to be a likely typo (edits at most a third). */
export function nearestName(name: string, names: readonly string[]): string | undefined {
  if (!names.length) return undefined;
  const c = closest(name, names as string[]);
  return distance(name, c) <= Math.max(2, Math.floor(name.length / 3)) ? c : undefined;
}

export function featureNames(
  b: Baseline,
  res: estypes.SearchResponse,
  docs: number,
  stats: Readonly<Record<string, FeatureStatistics>>,
): FeatureNames {
  const known = Object.keys(b.features);
  const seen = new Set<string>();
  for (const h of res.hits.hits) {
    const f = (h._source as { mlmon?: { features?: Record<string, Record<string, unknown>> } } | undefined)
      ?.mlmon?.features;
    for (const kind of KINDS) for (const name of Object.keys(f?.[kind] ?? {})) seen.add(name);
  }
  const unknown = [...seen]
    .filter((n) => !known.includes(n))
    .sort()
    .map((feature) => {
      const c = nearestName(feature, known);
      return { feature, ...(c ? { closest: c } : {}) };
    });
  const never_seen = docs > 0 ? known.filter((n) => stats[n]?.count === 0) : [];
  return { unknown, never_seen };
}
