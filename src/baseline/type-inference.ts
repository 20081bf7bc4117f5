import type { ProfileType } from '../contract/baseline-document.js';
import type { FeatureSchema } from './schema.js';
import { kindOf, type ValueRules } from './values.js';

/**
 * The one place that decides a column's profile type (README, "Baselines": inference rules), and
 * says why. Pure: the profiler hands it a column's sampled values and the column's schema entry.
 */

/** A numeric column is numeric when at least this share of its sampled values are numbers. */
export const NUMERIC_SHARE = 0.95;
/** Strings averaging this many tokens or more are text, fewer are categories. */
export const TEXT_MIN_TOKENS = 4;
/**
 * A string column whose distinct values are at least this share of its present values is not a
 * category (nearly every fresh value would be unseen): titles and sentences are text, short
 * labels (names, ids, uuids, emails) are identifiers.
 */
export const HIGH_DISTINCT_SHARE = 0.5;
/** Below this many present values the distinct share says little (every value of 10 may differ). */
export const DISTINCT_MIN_VALUES = 30;
/** High-cardinality strings of which at least this share have three words or more are text. */
export const MULTI_WORD_SHARE = 0.5;

export interface TypeChoice {
  type: ProfileType;
  /** why, in words: stored as the profile's `type_reason` and printed by `mlmon baseline` */
  reason: string;
  /** something the user may want to fix in the schema (a numeric id) */
  warning?: string;
}

const pct = (x: number) => `${(100 * x).toFixed(x < 0.995 && x > 0.005 ? 0 : 1)}%`;

/** Integers that are a row number or an id: all distinct and consecutive (max - min + 1 = n). */
function numericIdReason(nums: number[]): string | undefined {
  if (nums.length < DISTINCT_MIN_VALUES || !nums.every(Number.isInteger)) return undefined;
  const distinct = new Set(nums).size;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const x of nums) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  if (distinct === nums.length && max - min + 1 === nums.length)
    return 'its values are distinct consecutive integers (a row number or an id)';
  // zip-code-like: integers of one width of five digits or more, mostly distinct
  const widths = new Set(nums.map((x) => String(Math.abs(x)).length));
  if (widths.size === 1 && ([...widths][0] ?? 0) >= 5 && distinct >= HIGH_DISTINCT_SHARE * nums.length)
    return 'its values are mostly distinct integers of one width (a code or an id)';
  return undefined;
}

/** Infers a column's type from sampled values, with the reason. */
export function inferColumn(values: readonly unknown[], rules: ValueRules): TypeChoice {
  const kinds = { number: 0, boolean: 0, datetime: 0, string: 0 };
  let words = 0;
  let multiWord = 0;
  let present = 0;
  const strings = new Set<string>();
  const nums: number[] = [];
  for (const v of values) {
    const k = kindOf(v, rules);
    if (k === 'na') continue;
    present++;
    kinds[k]++;
    if (k === 'number') nums.push(Number(v));
    if (k === 'string') {
      const s = String(v);
      const n = s.split(/\s+/).filter(Boolean).length;
      words += n;
      if (n >= 3) multiWord++;
      strings.add(s);
    }
  }
  const of = `${present} sampled values`;
  if (present === 0) return { type: 'categorical', reason: 'no value present in the sampled rows' };
  if (kinds.boolean === present) return { type: 'boolean', reason: `all ${of} are true/false` };
  if (kinds.number >= NUMERIC_SHARE * present) {
    const id = numericIdReason(nums);
    const reason = `${pct(kinds.number / present)} of ${of} are numbers`;
    if (!id) return { type: 'numeric', reason };
    return {
      type: 'numeric',
      reason: `${reason}; ${id}`,
      warning: `numeric column looks like an identifier: ${id}; if it is not a model input, set \`ignore: true\` (or \`type: identifier\`) in the schema`,
    };
  }
  if (kinds.datetime === present) return { type: 'datetime', reason: `all ${of} are dates` };
  const meanWords = kinds.string ? words / kinds.string : 0;
  if (kinds.string > 0 && meanWords >= TEXT_MIN_TOKENS)
    return {
      type: 'text',
      reason: `strings average ${meanWords.toFixed(1)} words (text from ${TEXT_MIN_TOKENS})`,
    };
  const share = kinds.string ? strings.size / kinds.string : 0;
  if (kinds.string >= DISTINCT_MIN_VALUES && share >= HIGH_DISTINCT_SHARE) {
    const distinct = `${pct(share)} of ${kinds.string} sampled strings are distinct`;
    if (multiWord / kinds.string >= MULTI_WORD_SHARE)
      return {
        type: 'text',
        reason: `${distinct} and ${pct(multiWord / kinds.string)} have three words or more (titles, phrases)`,
      };
    return {
      type: 'identifier',
      reason: `${distinct}, mostly of one or two words (names, ids): monitored for NA and distinct share, not as categories`,
    };
  }
  if (kinds.string > 0)
    return {
      type: 'categorical',
      reason: `strings of ${meanWords.toFixed(1)} words on average, ${pct(share)} distinct`,
    };
  return { type: 'categorical', reason: `mixed values (${kinds.number} numbers of ${present})` };
}

/** Infers a column's type from sampled values. */
export function inferType(values: readonly unknown[], rules: ValueRules): ProfileType {
  return inferColumn(values, rules).type;
}

/** The schema's type wins; otherwise the type inferred from the sample. */
export function columnType(
  spec: FeatureSchema | undefined,
  sample: readonly unknown[],
  rules: ValueRules,
): TypeChoice {
  if (spec?.type) return { type: spec.type, reason: 'set by the schema' };
  return inferColumn(sample, rules);
}
