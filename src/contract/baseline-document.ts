/** The stored profile of a model's training data (README, "Baselines"). Keys are stable. */
import type { FeatureKind } from './features.js';

/** A feature's kind as the baseline records it (the same list as the transport's). */
export type ProfileType = FeatureKind;

export interface NumericProfile {
  min: number;
  max: number;
  mean: number;
  /** sample standard deviation (n - 1) */
  std: number;
  /** `exact`: edges from all values (linear interpolation, NumPy's default); `sketch`: DDSketch estimates */
  quantile_method: 'exact' | 'sketch';
  /** relative accuracy of sketch-estimated edges */
  sketch_relative_accuracy?: number;
  /**
   * Equal-frequency bins: `edges` e1 < ... < em split the line into [-inf, e1), [e1, e2), ..., [em, +inf);
   * `counts` has m + 1 entries and is exact. Ties can merge edges, leaving fewer bins than asked.
   */
  bins: { edges: number[]; counts: number[] };
  /**
   * A finer equal-frequency grid (100 bins or more) for KS and Wasserstein: the same layout as
   * `bins`, plus the mean of the training values in each bin. Absent in older baselines (the
   * tests then fall back to `bins`).
   */
  fine_bins?: { edges: number[]; counts: number[]; means: number[] };
}

export interface CategoricalProfile {
  /** distinct values seen (a lower bound when approximate) */
  distinct: number;
  values: Record<string, number>;
  /** documents whose value is not in `values` (the mass of the rest) */
  other_count: number;
  /** more distinct values than the limit: `values` holds the top ones with lower-bound counts */
  approximate: boolean;
  /**
   * The share of fresh clean values expected to be unseen (Good-Turing: values seen once / all
   * values, plus the mass beyond the kept top ones). Absent in older baselines.
   */
  expected_unseen_rate?: number;
}

export interface TextProfile {
  tokenizer: string;
  tokens_total: number;
  tokens_per_doc: { mean: number; std: number; min: number; max: number };
  /** the most frequent tokens, up to `vocabulary_limit`; OOV is relative to this set */
  vocabulary: Record<string, number>;
  /** distinct tokens seen before the cap */
  vocabulary_seen: number;
  vocabulary_limit: number;
  vocabulary_truncated: boolean;
  /** token counts are lower bounds (memory cap reached while counting) */
  approximate: boolean;
  /** the share of fresh clean tokens expected out of `vocabulary` (absent in older baselines) */
  expected_oov_rate?: number;
  /** the share of fresh clean documents expected to hold at least one OOV token (absent in older baselines) */
  expected_docs_with_oov_rate?: number;
}

/**
 * An identifier column (names, ids, one- or two-word titles): nearly every value differs, so no
 * category list; the window reports its NA rate and distinct share, and no unseen or drift verdict.
 */
export interface IdentifierProfile {
  /** distinct present values (a lower bound when approximate) */
  distinct: number;
  /** distinct / present values */
  distinct_share: number;
  approximate: boolean;
}

export interface FeatureProfile {
  type: ProfileType;
  /** why the profiler chose `type`, in words (the schema's choice, or the inference rule that fired) */
  type_reason?: string;
  /** rows in the training data */
  count: number;
  /** absent, null, NaN, an allowed missing value, or "" (by option) */
  na_count: number;
  na_rate: number;
  /** values that do not fit the type (text in a numeric column): counted, then treated as missing */
  invalid_count: number;
  numeric?: NumericProfile;
  categorical?: CategoricalProfile;
  text?: TextProfile;
  boolean?: { true: number; false: number };
  identifier?: IdentifierProfile;
  datetime?: { min: string; max: string };
}

export interface Baseline {
  schema_version: 1;
  model: string;
  version: string;
  created_at: string;
  source: {
    file: string;
    format: 'csv' | 'jsonl' | 'parquet';
    rows: number;
    skipped_rows: number;
    sampled: boolean;
  };
  settings: {
    bins: number;
    category_limit: number;
    vocabulary_limit: number;
    empty_string_is_na: boolean;
    exact_quantile_limit: number;
  };
  tokenizer: string;
  features: Record<string, FeatureProfile>;
  prediction?: FeatureProfile & { column: string };
  label?: FeatureProfile & { column: string };
  warnings: string[];
}
