/**
 * Alert rules and their defaults, each with its source (README, "Rules"). A rule fires only on
 * enough data (`minSamples`), and drift rules need both an effect above the threshold and a
 * significant test (p < `pValue`), so small clean windows (where distances are biased upward) and
 * huge windows (where any tiny difference is significant) do not alarm.
 */
export interface Thresholds {
  warn: number;
  critical: number;
}

export interface Rules {
  minSamples: number;
  pValue: number;
  /** rise of the NA rate over the baseline's, absolute */
  naRateRise: Thresholds;
  unseenRate: Thresholds;
  oovRate: Thresholds;
  psi: Thresholds;
  jensenShannon: Thresholds;
  /** fire when a window holds a model version that has no baseline */
  unexpectedVersion: boolean;
  /** fewer documents than this in a window is an alert (0: off) */
  minVolume: number;
  /** per-feature overrides of any of the above */
  features?: Record<string, Partial<Omit<Rules, 'features'>>>;
}

export const defaultRules: Rules = {
  // below ~100 values per window the drift statistics are mostly noise (Deepchecks uses min_samples=10
  // for a single test; we need ten bins to be populated)
  minSamples: 100,
  // Evidently, whylogs, Kibana's data-drift view and Alibi Detect all use p < 0.05
  pValue: 0.05,
  // Deepchecks' PercentOfNulls condition is 5%; a 20-point rise is a broken input
  naRateRise: { warn: 0.05, critical: 0.2 },
  // TFDV (min_domain_mass 1.0) and NannyML fire on any unseen value; 1% tolerates rare new values
  unseenRate: { warn: 0.01, critical: 0.05 },
  // TFDV leaves min_coverage to the user; a tenth of tokens unknown is a new kind of text
  oovRate: { warn: 0.1, critical: 0.25 },
  // the PSI convention: < 0.1 stable, 0.1-0.2 moderate, >= 0.2 significant
  psi: { warn: 0.1, critical: 0.2 },
  // Evidently's default distance threshold for categorical drift is 0.1
  jensenShannon: { warn: 0.1, critical: 0.2 },
  unexpectedVersion: true,
  minVolume: 0,
};

export function rulesFor(rules: Rules, feature: string): Omit<Rules, 'features'> {
  return { ...rules, ...(rules.features?.[feature] ?? {}) };
}

export type Severity = 'warn' | 'critical';

export function severityOf(value: number | undefined, t: Thresholds): Severity | undefined {
  if (value === undefined || Number.isNaN(value)) return undefined;
  if (value >= t.critical) return 'critical';
  if (value >= t.warn) return 'warn';
  return undefined;
}
