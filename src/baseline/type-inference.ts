import type { ProfileType } from '../contract/baseline-document.js';
import type { FeatureSchema } from './schema.js';
import { kindOf, type ValueRules } from './values.js';

/**
 * The one place that decides a column's profile type (README, "Baselines": inference rules).
 * Pure: the profiler hands it a column's sampled values and the column's schema entry.
 */

/** A numeric column is numeric when at least this share of its sampled values are numbers. */
export const NUMERIC_SHARE = 0.95;
/** Strings averaging this many tokens or more are text, fewer are categories. */
export const TEXT_MIN_TOKENS = 4;

/** Infers a column's type from sampled values. */
export function inferType(values: readonly unknown[], rules: ValueRules): ProfileType {
  const kinds = { number: 0, boolean: 0, datetime: 0, string: 0 };
  let tokens = 0;
  let present = 0;
  for (const v of values) {
    const k = kindOf(v, rules);
    if (k === 'na') continue;
    present++;
    kinds[k]++;
    if (k === 'string') tokens += String(v).split(/\s+/).filter(Boolean).length;
  }
  if (present === 0) return 'categorical';
  if (kinds.boolean === present) return 'boolean';
  if (kinds.number >= NUMERIC_SHARE * present) return 'numeric';
  if (kinds.datetime === present) return 'datetime';
  if (kinds.string > 0 && tokens / kinds.string >= TEXT_MIN_TOKENS) return 'text';
  return 'categorical';
}

/** The schema's type wins; otherwise the type inferred from the sample. */
export function columnType(
  spec: FeatureSchema | undefined,
  sample: readonly unknown[],
  rules: ValueRules,
): ProfileType {
  return spec?.type ?? inferType(sample, rules);
}
