import type { FeatureStatistics } from '../contract/window-metrics.js';
import { binomialSf, CLEAR_LEVEL, detectableRise } from './calibration.js';
import { type FeatureRules, type Severity, severityOf, WINDOW_FEATURE } from './rule-settings.js';
import {
  FEATURE_RULES,
  type FeatureCheck,
  type FeatureRuleMetric,
  type RuleMetric,
  type RuleName,
  WINDOW_RULES,
  type WindowFacts,
} from './rule-table.js';

/** The verdicts of the rule table on a window's statistics: pure, no I/O. */

export interface Alert {
  rule: RuleName;
  feature: string;
  metric: RuleMetric;
  value: number | string;
  threshold: number | string;
  severity: Severity;
}

/** `no_data`: the window had no documents; `insufficient_data`: too few to tell any rule's condition from noise. */
export type FeatureStatus = 'ok' | Severity | 'insufficient_data' | 'no_data';

export interface FeatureVerdict {
  status: FeatureStatus;
  /** why some rule could not tell (set even when another rule fired) */
  reason?: string;
  alerts: Alert[];
  /** per level test, whether it was significant: what the metric documents store for the watches */
  evidence: Partial<Record<FeatureRuleMetric, boolean>>;
  /**
   * The rules whose condition this window shows to be absent: evidence enough that the quantity is
   * under its warn floor. Only these resolve a firing alert (an empty or thin window keeps it).
   */
  clear: { rule: RuleName; metric: FeatureRuleMetric }[];
}

interface CheckOutcome {
  /** the test at the window's size calls the quantity significant */
  significant: boolean;
  /** a test at CLEAR_LEVEL could have called a quantity at the warn floor significant */
  powered: boolean;
  /** the test ran at a level (and is stored as evidence) */
  leveled: boolean;
}

function outcome(
  check: FeatureCheck,
  m: FeatureStatistics,
  value: number | undefined,
  docs: number,
  rules: FeatureRules,
  level: number,
): CheckOutcome {
  const floor = rules[check.thresholds].warn;
  const e = check.evidence;
  if (e.test === 'min_samples') {
    const enough = (e.on === 'docs' ? docs : m.count) >= rules.minSamples;
    return { significant: enough, powered: enough, leveled: false };
  }
  if (e.test === 'null') {
    const critical = e.critical(m);
    if (critical === undefined || value === undefined || !Number.isFinite(critical))
      return { significant: false, powered: false, leveled: true };
    const clear = e.clear(m) ?? critical;
    return { significant: value > critical, powered: clear < floor, leveled: true };
  }
  const trials = e.trials(m, docs);
  const expected = e.expected(m);
  if (trials <= 0) return { significant: false, powered: false, leveled: true };
  return {
    significant: binomialSf(e.successes(m, docs), trials, expected) <= level,
    powered: detectableRise(trials, expected, Math.max(level, CLEAR_LEVEL)) < floor,
    leveled: true,
  };
}

/**
 * One feature's (or the prediction's) alerts and status under its rules. `docs` is the window's
 * document count (the NA rule counts among them); `level` is each test's share of the window's
 * false-alarm budget (calibration.ts, testLevel), by default the whole budget.
 */
export function featureVerdict(
  feature: string,
  m: FeatureStatistics,
  docs: number,
  isPrediction: boolean,
  rules: FeatureRules,
  level: number = rules.falseAlarmBudget,
): FeatureVerdict {
  const subject = isPrediction ? 'prediction' : 'feature';
  const alerts: Alert[] = [];
  const evidence: Partial<Record<FeatureRuleMetric, boolean>> = {};
  const clear: FeatureVerdict['clear'] = [];
  const undecided: string[] = [];
  let decided = 0;
  for (const row of FEATURE_RULES) {
    if (!row.subjects.includes(subject)) continue;
    for (const check of row.checks) {
      if (!check.kinds.includes(m.type)) continue;
      const value = check.measure(m);
      const o = outcome(check, m, value, docs, rules, level);
      if (o.leveled && docs > 0) evidence[check.metric] = o.significant;
      const t = rules[check.thresholds];
      const severity = o.significant ? severityOf(value, t) : undefined;
      if (severity && value !== undefined)
        alerts.push({
          rule: row.name,
          feature,
          metric: check.metric,
          value,
          threshold: t[severity],
          severity,
        });
      else if (o.powered && value !== undefined && Number.isFinite(value) && value < t.warn) {
        clear.push({ rule: row.name, metric: check.metric });
        decided++;
      } else undecided.push(check.metric);
    }
  }
  const status: FeatureStatus = alerts.some((a) => a.severity === 'critical')
    ? 'critical'
    : alerts.length
      ? 'warn'
      : docs === 0
        ? 'no_data'
        : decided === 0
          ? 'insufficient_data'
          : 'ok';
  // `ok` once some rule could tell; the reason still names those that could not (their alerts stay as they are)
  const reason =
    docs === 0
      ? 'no documents in the window'
      : undecided.length && !alerts.length
        ? `${m.count} values in the window: too few to tell ${undecided.join(', ')} from noise`
        : undefined;
  return { status, ...(reason ? { reason } : {}), alerts, evidence, clear };
}

/** The window-level alerts (versions, volume), under the top-level rules. */
export function windowVerdicts(w: WindowFacts, rules: FeatureRules): Alert[] {
  const alerts: Alert[] = [];
  for (const row of WINDOW_RULES) {
    if (!row.enabled(rules)) continue;
    const base = { rule: row.name, feature: WINDOW_FEATURE, metric: row.metric };
    if (row.compare === 'versions') {
      const threshold = w.knownVersions.join(',');
      for (const value of row.measure(w)) alerts.push({ ...base, value, threshold, severity: 'warn' });
    } else {
      const value = row.measure(w);
      const t = row.thresholds(rules);
      if (value !== undefined && value < t.warn)
        alerts.push({
          ...base,
          value,
          threshold: t.warn,
          severity: value < t.critical ? 'critical' : 'warn',
        });
    }
  }
  return alerts;
}
