/**
 * The settings of the alert rules (mlmon.yml `rules:`, README "Rules"): thresholds, gates and
 * per-feature overrides. The rules themselves, with the defaults of these settings and their sources,
 * are the table in rule-table.ts.
 */
export interface Thresholds {
  warn: number;
  critical: number;
}

export interface Rules {
  /** values a rule without a test at the window's size (oov_words) needs */
  minSamples: number;
  /** the share of clean windows allowed any false alarm, every feature and rule together */
  falseAlarmBudget: number;
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
  /**
   * a window's documents over the median of the recent windows': below `warn` is an alert, below
   * `critical` critical (a warn of 0: off). Lower is worse, so critical is at most warn.
   */
  volumeDrop: Thresholds;
  /** per-feature overrides of any of the above */
  features?: Record<string, Partial<Omit<Rules, 'features'>>>;
}

/** The rules that apply to one feature: the top level with its overrides merged in. */
export type FeatureRules = Omit<Rules, 'features'>;

/** The settings that hold a pair of thresholds. */
export type ThresholdKey = {
  [K in keyof FeatureRules]: FeatureRules[K] extends Thresholds ? K : never;
}[keyof FeatureRules];

/** The name alerts, metric documents and per-feature rules give the model's prediction. */
export const PREDICTION_FEATURE = '(prediction)';
/** The feature of a window-level alert. */
export const WINDOW_FEATURE = '(all)';
/** The feature of a window's realized performance (its metric document, a performance alert). */
export const PERFORMANCE_FEATURE = '(performance)';

export function rulesFor(rules: Rules, feature: string): FeatureRules {
  return { ...rules, ...(rules.features?.[feature] ?? {}) };
}

export const SEVERITIES = ['warn', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityOf(value: number | undefined, t: Thresholds): Severity | undefined {
  if (value === undefined || Number.isNaN(value)) return undefined;
  if (value >= t.critical) return 'critical';
  if (value >= t.warn) return 'warn';
  return undefined;
}

/** An alert's state: raised by a window that breaks a rule, resolved by one that no longer does. */
export type AlertStatus = 'firing' | 'resolved';
