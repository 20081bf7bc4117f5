import type { FeatureProfile } from './baseline-document.js';

/**
 * The numbers of one feature in one window, from the response of `windowRequest` (README, "Metrics").
 * Computed by src/metrics/, judged by src/rules/, stored in metric documents and exported as gauges
 * by src/job/: so the names are the contract's. Fields that do not apply to a type are absent.
 */
export interface FeatureStatistics {
  type: FeatureProfile['type'];
  /** documents with a value in the window */
  count: number;
  /** absent on a window with no documents: a rate that was not measured is not stored */
  na_rate?: number;
  baseline_na_rate: number;
  unseen_rate?: number;
  /** the baseline's expected unseen rate on fresh clean data (absent for older baselines) */
  expected_unseen_rate?: number;
  /** one-sided binomial test of the window's unseen values against the expected rate */
  unseen_p_value?: number;
  top_unseen?: { value: string; count: number }[];
  oov_rate?: number;
  docs_with_oov_rate?: number;
  /** the baseline's expected OOV rates on fresh clean text (absent for older baselines) */
  expected_oov_rate?: number;
  expected_docs_with_oov_rate?: number;
  /** one-sided binomial test of the window's documents with an OOV token against the expected share */
  oov_p_value?: number;
  top_oov?: { word: string; count: number }[];
  psi?: number;
  /** the critical value of PSI at this window's n, from the baseline's null (src/rules/calibration.ts) */
  psi_critical?: number;
  /** the null's 95th percentile at this n: under the floor, a PSI under the floor shows no drift */
  psi_clear?: number;
  ks?: number;
  ks_p_value?: number;
  js?: number;
  /** the critical value of Jensen-Shannon at this window's n (categorical and boolean features) */
  js_critical?: number;
  js_clear?: number;
  wasserstein?: number;
  chi2_p_value?: number;
  linf?: number;
  mean_shift_se?: number;
  out_of_range_rate?: number;
  /** identifiers: distinct values / values in the window (HyperLogLog++ estimate), and the baseline's */
  distinct_share?: number;
  baseline_distinct_share?: number;
}

/** The numeric fields of FeatureStatistics: what metric documents and Prometheus gauges carry. */
export const METRIC_FIELDS = [
  'count',
  'na_rate',
  'baseline_na_rate',
  'unseen_rate',
  'expected_unseen_rate',
  'unseen_p_value',
  'oov_rate',
  'docs_with_oov_rate',
  'expected_oov_rate',
  'expected_docs_with_oov_rate',
  'oov_p_value',
  'psi',
  'psi_critical',
  'psi_clear',
  'ks',
  'ks_p_value',
  'js',
  'js_critical',
  'js_clear',
  'wasserstein',
  'chi2_p_value',
  'linf',
  'mean_shift_se',
  'out_of_range_rate',
  'distinct_share',
  'baseline_distinct_share',
] as const satisfies readonly (keyof FeatureStatistics)[];
