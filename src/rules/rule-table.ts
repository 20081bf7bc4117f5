import type { ProfileType } from '../contract/baseline-document.js';
import { FEATURE_KINDS } from '../contract/features.js';
import type { FeatureStatistics } from '../contract/window-metrics.js';
import { FALSE_ALARM_BUDGET } from './calibration.js';
import type { FeatureRules, Rules, ThresholdKey, Thresholds } from './rule-settings.js';

/**
 * The alert rules, once (README, "Rules"). Each rule reads a metric the window's statistics hold
 * (Evidently's split of metric and test): the job's verdicts (verdicts.ts), the quantities the job
 * stores in its metric documents (job/writer.ts), the Watcher watches (setup/watches.ts) and the alert
 * states are rendered from this table, so they cannot disagree.
 *
 * A rule fires only on evidence and on an effect: the quantity at or past its `warn` floor, and a test
 * at the window's own size (its `evidence`) that calls it significant at the window's per-test level
 * (the false-alarm budget shared by the window's tests, calibration.ts). So noise in a small window
 * (where distances are biased upward) and tiny differences in a huge window (where any test is
 * significant) do not alarm, while overwhelming evidence in a small window does.
 */

export type RuleName =
  | 'na_rate'
  | 'unseen_categories'
  | 'oov_words'
  | 'numeric_drift'
  | 'categorical_drift'
  | 'prediction_drift'
  | 'unexpected_version'
  | 'volume'
  | 'volume_drop';

/** What a feature-level rule looks at: the model's input features, or its prediction. */
export type Subject = 'feature' | 'prediction';

/** The quantities feature-level rules compare: keys of the metric document's `mlmon.metric`. */
export type FeatureRuleMetric = 'na_rate_rise' | 'unseen_rate_rise' | 'oov_rate_rise' | 'psi' | 'js';
/** The quantities window-level rules compare. */
export type WindowRuleMetric = 'docs' | 'docs_ratio' | 'version';
/** An alert's `metric`: the quantity its rule compared. */
export type RuleMetric = FeatureRuleMetric | WindowRuleMetric;

/** Where a value lives in a metric document (job/writer.ts), as the keys under `mlmon`. */
export type DocPath = readonly [string, string];

/**
 * The evidence a check needs besides its effect floor:
 * - `null`: the quantity past the critical value of its own null at the window's n, simulated from the
 *   baseline (calibration.ts; the statistics carry it as `critical`);
 * - `binomial`: a one-sided binomial test of a count against the baseline's rate;
 * - `min_samples`: at least `minSamples` documents or values (a rule without a test at the window's size).
 */
export type Evidence =
  | {
      test: 'null';
      critical: (m: FeatureStatistics) => number | undefined;
      /** the null's quantile at CLEAR_LEVEL: what shows the condition gone */
      clear: (m: FeatureStatistics) => number | undefined;
    }
  | {
      test: 'binomial';
      /** the events counted (missing values, unseen values) and the trials they are counted among */
      successes: (m: FeatureStatistics, docs: number) => number;
      trials: (m: FeatureStatistics, docs: number) => number;
      /** the rate a clean window has */
      expected: (m: FeatureStatistics) => number;
    }
  | { test: 'min_samples'; on: 'docs' | 'values' };

/** One test on one feature's statistics: a quantity against a pair of thresholds, behind its evidence. */
export interface FeatureCheck {
  metric: FeatureRuleMetric;
  /** the compared quantity from the statistics; undefined where the feature has none */
  measure: (m: FeatureStatistics) => number | undefined;
  /** the feature kinds the test applies to */
  kinds: readonly ProfileType[];
  /** at or above `warn` fires; at or above `critical` is critical */
  compare: 'gte';
  thresholds: ThresholdKey;
  evidence: Evidence;
}

interface RuleRowBase {
  name: RuleName;
  /** the defaults of the settings this rule introduces */
  defaults: Partial<FeatureRules>;
  /** where those defaults come from */
  source: string;
}

export interface FeatureRuleRow extends RuleRowBase {
  level: 'feature';
  subjects: readonly Subject[];
  /** one test per feature kind group; a feature takes those of its kind */
  checks: readonly FeatureCheck[];
}

/** What window-level rules read: the window's documents and model versions. */
export interface WindowFacts {
  docs: number;
  versions: readonly string[];
  /** the model's versions with a baseline */
  knownVersions: readonly string[];
  /** the documents of the windows before this one, the latest last (the job reads them; absent: unknown) */
  recentDocs?: readonly number[];
}

/**
 * The volume_drop rule's history: the median of the last RECENT_WINDOWS windows' documents, judged only
 * with at least MIN_RECENT_WINDOWS of them and a median of at least MIN_RECENT_MEDIAN documents. Below
 * that a drop is no evidence: a window of a model that gets 3 predictions a window is empty 5% of the
 * time by chance (Poisson), while at a median of 20 a window under a fifth of it (4 or fewer) has a
 * chance of 2e-5.
 */
export const RECENT_WINDOWS = 12;
export const MIN_RECENT_WINDOWS = 4;
export const MIN_RECENT_MEDIAN = 20;

/** The recent windows' median and this window's share of it, where there is history enough to judge. */
export function volumeRatio(w: WindowFacts): { median: number; ratio: number } | undefined {
  const recent = (w.recentDocs ?? []).slice(-RECENT_WINDOWS);
  if (recent.length < MIN_RECENT_WINDOWS) return undefined;
  const sorted = [...recent].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median =
    sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  if (median < MIN_RECENT_MEDIAN) return undefined;
  return { median, ratio: w.docs / median };
}

interface WindowRuleBase extends RuleRowBase {
  level: 'window';
  path: DocPath;
  /** the rule's switch: off, it neither alerts nor gets a watch */
  enabled: (r: FeatureRules) => boolean;
}

export interface BelowRuleRow extends WindowRuleBase {
  metric: 'docs' | 'docs_ratio';
  /** below `warn` fires, below `critical` is critical; the alert reports `warn` as its threshold */
  compare: 'lt';
  /** undefined where the window cannot be judged (no history): neither alerts nor clears */
  measure: (w: WindowFacts) => number | undefined;
  thresholds: (r: FeatureRules) => Thresholds;
}

export interface VersionsRuleRow extends WindowRuleBase {
  metric: 'version';
  /** each listed version is a warning; the alert's threshold names the versions with a baseline */
  compare: 'versions';
  measure: (w: WindowFacts) => string[];
}

export type WindowRuleRow = BelowRuleRow | VersionsRuleRow;
export type RuleRow = FeatureRuleRow | WindowRuleRow;

/** The unexpected_version rule's quantity: the window's versions that have no baseline. */
export function unexpectedVersions(w: WindowFacts): string[] {
  return w.versions.filter((v) => !w.knownVersions.includes(v));
}

const ALL_KINDS: readonly ProfileType[] = FEATURE_KINDS;

/** Numeric drift: PSI past its calibrated null (shared by numeric_drift and prediction_drift). */
const PSI_CHECK: FeatureCheck = {
  metric: 'psi',
  measure: (m) => m.psi,
  kinds: ['numeric'],
  compare: 'gte',
  thresholds: 'psi',
  evidence: { test: 'null', critical: (m) => m.psi_critical, clear: (m) => m.psi_clear },
};

/** Categorical drift: Jensen-Shannon past its calibrated null (categorical_drift, prediction_drift). */
const JS_CHECK: FeatureCheck = {
  metric: 'js',
  measure: (m) => m.js,
  kinds: ['categorical', 'boolean'],
  compare: 'gte',
  thresholds: 'jensenShannon',
  evidence: { test: 'null', critical: (m) => m.js_critical, clear: (m) => m.js_clear },
};

/**
 * Novelty (unseen categories, OOV words): the p-value below which a rise over the rate the baseline
 * expects on fresh clean data counts. Strict, since a window checks many features and novelty is
 * tested exactly (a binomial test), not through a drift statistic.
 */
export const NOVELTY_P_VALUE = 0.001;

/**
 * A novelty rule's compared quantity: the rise of the window's rate over the expected one when a
 * one-sided binomial test says it is no chance (p < NOVELTY_P_VALUE), else 0; the plain rate for a
 * baseline without expected rates (older baselines: the absolute thresholds of before).
 */
export function noveltyRise(
  rate: number | undefined,
  expected: number | undefined,
  pValue: number | undefined,
): number | undefined {
  if (rate === undefined) return undefined;
  if (expected === undefined || pValue === undefined) return rate;
  return pValue < NOVELTY_P_VALUE ? Math.max(0, rate - expected) : 0;
}

/** The gates' settings, which every feature-level rule shares. */
export const GATES: Record<'minSamples' | 'falseAlarmBudget', { default: number; source: string }> = {
  minSamples: {
    default: 100,
    source:
      'only for the rules without a test at the window size (oov_words): below ~100 values a share of tokens is mostly noise',
  },
  falseAlarmBudget: FALSE_ALARM_BUDGET,
};

/** The rules, in the order a feature's (then the window's) alerts are raised. */
export const RULE_TABLE: readonly RuleRow[] = [
  {
    name: 'na_rate',
    level: 'feature',
    subjects: ['feature', 'prediction'],
    checks: [
      {
        metric: 'na_rate_rise',
        measure: (m) => (m.na_rate === undefined ? undefined : m.na_rate - m.baseline_na_rate),
        kinds: ALL_KINDS,
        compare: 'gte',
        thresholds: 'naRateRise',
        evidence: {
          test: 'binomial',
          successes: (m, docs) => Math.round((m.na_rate ?? 0) * docs),
          trials: (_m, docs) => docs,
          expected: (m) => m.baseline_na_rate,
        },
      },
    ],
    defaults: { naRateRise: { warn: 0.05, critical: 0.2 } },
    source: "Deepchecks' PercentOfNulls condition is 5%; a 20-point rise is a broken input",
  },
  {
    name: 'unseen_categories',
    level: 'feature',
    subjects: ['feature', 'prediction'],
    checks: [
      {
        metric: 'unseen_rate_rise',
        measure: (m) => noveltyRise(m.unseen_rate, m.expected_unseen_rate, m.unseen_p_value),
        kinds: ['categorical'],
        compare: 'gte',
        thresholds: 'unseenRate',
        // the rate a clean window has: the Good-Turing expectation (0 for baselines without one)
        evidence: {
          test: 'binomial',
          successes: (m) => Math.round((m.unseen_rate ?? 0) * m.count),
          trials: (m) => m.count,
          expected: (m) => m.expected_unseen_rate ?? 0,
        },
      },
    ],
    defaults: { unseenRate: { warn: 0.01, critical: 0.05 } },
    source:
      'TFDV (min_domain_mass 1.0) and NannyML fire on any unseen value; ours: a rise of 1 point over the Good-Turing expected rate, binomial p < 0.001',
  },
  {
    name: 'oov_words',
    level: 'feature',
    subjects: ['feature'],
    checks: [
      {
        metric: 'oov_rate_rise',
        measure: (m) => noveltyRise(m.oov_rate, m.expected_oov_rate, m.oov_p_value),
        kinds: ['text'],
        compare: 'gte',
        thresholds: 'oovRate',
        evidence: { test: 'min_samples', on: 'values' },
      },
    ],
    defaults: { oovRate: { warn: 0.1, critical: 0.25 } },
    source:
      'TFDV leaves min_coverage to the user; ours: a tenth more tokens unknown than expected (binomial test on documents, p < 0.001) is a new kind of text',
  },
  {
    name: 'numeric_drift',
    level: 'feature',
    subjects: ['feature'],
    checks: [PSI_CHECK],
    defaults: { psi: { warn: 0.1, critical: 0.2 } },
    source: 'the PSI convention: < 0.1 stable, 0.1-0.2 moderate, >= 0.2 significant',
  },
  {
    name: 'categorical_drift',
    level: 'feature',
    subjects: ['feature'],
    checks: [JS_CHECK],
    defaults: { jensenShannon: { warn: 0.1, critical: 0.2 } },
    source: "Evidently's default distance threshold for categorical drift is 0.1",
  },
  {
    name: 'prediction_drift',
    level: 'feature',
    subjects: ['prediction'],
    checks: [PSI_CHECK, JS_CHECK],
    defaults: {},
    source: 'the thresholds of numeric_drift and categorical_drift',
  },
  {
    name: 'unexpected_version',
    level: 'window',
    metric: 'version',
    path: ['window', 'unexpected_versions'],
    compare: 'versions',
    enabled: (r) => r.unexpectedVersion,
    measure: unexpectedVersions,
    defaults: { unexpectedVersion: true },
    source: 'ours: a version without a baseline is compared with nothing of its own',
  },
  {
    name: 'volume',
    level: 'window',
    metric: 'docs',
    path: ['window', 'docs'],
    compare: 'lt',
    enabled: (r) => r.minVolume > 0,
    measure: (w) => w.docs,
    // fewer than min_volume documents is a warning, none at all is critical
    thresholds: (r) => ({ warn: r.minVolume, critical: 1 }),
    defaults: { minVolume: 0 },
    source: "ours: off, the expected traffic is the deployment's to say (min_volume)",
  },
  {
    name: 'volume_drop',
    level: 'window',
    metric: 'docs_ratio',
    path: ['window', 'docs_ratio'],
    compare: 'lt',
    enabled: (r) => r.volumeDrop.warn > 0,
    measure: (w) => volumeRatio(w)?.ratio,
    thresholds: (r) => r.volumeDrop,
    // under a fifth of the recent median is a collapse, under a twentieth (none at all) traffic that stopped
    defaults: { volumeDrop: { warn: 0.2, critical: 0.05 } },
    source:
      'ours: relative to the median of the last 12 windows (at least 4, median 20 documents or more), so it needs no expected traffic',
  },
];

export const FEATURE_RULES: readonly FeatureRuleRow[] = RULE_TABLE.filter(
  (r): r is FeatureRuleRow => r.level === 'feature',
);
export const WINDOW_RULES: readonly WindowRuleRow[] = RULE_TABLE.filter(
  (r): r is WindowRuleRow => r.level === 'window',
);

/** The feature checks, each once (a check two rules share is one check), in table order. */
export const FEATURE_CHECKS: readonly FeatureCheck[] = [...new Set(FEATURE_RULES.flatMap((r) => r.checks))];

/** The rule that raises a check's alerts on a subject, if any does. */
export function ruleOf(check: FeatureCheck, subject: Subject): FeatureRuleRow | undefined {
  return FEATURE_RULES.find((r) => r.subjects.includes(subject) && r.checks.includes(check));
}

/**
 * The metric document's paths a feature check reads: its quantity, and either the job's verdict on its
 * evidence (`mlmon.evidence.<metric>`, true when the test at the window's size was significant: a watch
 * cannot simulate a null) or, for a min_samples check, the count the gate counts.
 */
export function checkPaths(check: FeatureCheck): { value: DocPath; evidence?: DocPath; samples?: DocPath } {
  const e = check.evidence;
  return {
    value: ['metric', check.metric],
    ...(e.test === 'min_samples'
      ? { samples: e.on === 'docs' ? (['window', 'docs'] as const) : (['metric', 'count'] as const) }
      : { evidence: ['evidence', check.metric] as const }),
  };
}

/** The settings a check reads: a feature whose own rules change one of them is judged apart. */
export function settingsOf(check: FeatureCheck): (keyof FeatureRules)[] {
  return [check.evidence.test === 'min_samples' ? 'minSamples' : 'falseAlarmBudget', check.thresholds];
}

/** Whether a check runs a test at a level (and so takes a share of the window's false-alarm budget). */
export const isLevelTest = (check: FeatureCheck): boolean => check.evidence.test !== 'min_samples';

/** Each feature check's compared quantity, where it is a finite number (what the metric documents hold). */
export function comparedQuantities(m: FeatureStatistics): Partial<Record<FeatureRuleMetric, number>> {
  const out: Partial<Record<FeatureRuleMetric, number>> = {};
  for (const check of FEATURE_CHECKS) {
    const v = check.measure(m);
    if (typeof v === 'number' && Number.isFinite(v)) out[check.metric] = v;
  }
  return out;
}

/**
 * How many level tests a window of these features runs: the count the false-alarm budget is shared
 * among (Bonferroni, calibration.ts testLevel).
 */
export function levelTests(features: readonly { type: ProfileType; isPrediction: boolean }[]): number {
  let n = 0;
  for (const f of features) {
    const subject: Subject = f.isPrediction ? 'prediction' : 'feature';
    for (const row of FEATURE_RULES)
      if (row.subjects.includes(subject))
        n += row.checks.filter((c) => c.kinds.includes(f.type) && isLevelTest(c)).length;
  }
  return n;
}

/** The defaults of every setting, from the gates and the rows. */
export const defaultRules: Rules = Object.assign(
  { minSamples: GATES.minSamples.default, falseAlarmBudget: GATES.falseAlarmBudget.default },
  ...RULE_TABLE.map((r) => r.defaults),
) as Rules;
