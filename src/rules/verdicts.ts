import type { FeatureStatistics } from '../contract/window-metrics.js';
import { type FeatureRules, type Severity, severityOf, WINDOW_FEATURE } from './rule-settings.js';
import {
  FEATURE_RULES,
  type FeatureCheck,
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

export type FeatureStatus = 'ok' | Severity | 'insufficient_data';

export interface FeatureVerdict {
  status: FeatureStatus;
  /** why the feature's values were too few for the rules (set even when the NA rule fired) */
  reason?: string;
  alerts: Alert[];
}

function gateOpen(check: FeatureCheck, m: FeatureStatistics, docs: number, rules: FeatureRules): boolean {
  const samples = check.gate.minSamplesOn === 'docs' ? docs : m.count;
  if (samples < rules.minSamples) return false;
  if (!check.gate.pValue) return true;
  const p = m[check.gate.pValue];
  return p !== undefined && p < rules.pValue;
}

/**
 * One feature's (or the prediction's) alerts and status under its rules. `docs` is the window's
 * document count, which the NA rule's gate counts; the other rules count the feature's values.
 */
export function featureVerdict(
  feature: string,
  m: FeatureStatistics,
  docs: number,
  isPrediction: boolean,
  rules: FeatureRules,
): FeatureVerdict {
  const subject = isPrediction ? 'prediction' : 'feature';
  const alerts: Alert[] = [];
  for (const row of FEATURE_RULES) {
    if (!row.subjects.includes(subject)) continue;
    for (const check of row.checks) {
      if (!check.kinds.includes(m.type) || !gateOpen(check, m, docs, rules)) continue;
      const value = check.measure(m);
      const t = rules[check.thresholds];
      const severity = severityOf(value, t);
      if (severity && value !== undefined)
        alerts.push({
          rule: row.name,
          feature,
          metric: check.metric,
          value,
          threshold: t[severity],
          severity,
        });
    }
  }
  const insufficient = m.count < rules.minSamples;
  const status: FeatureStatus = alerts.some((a) => a.severity === 'critical')
    ? 'critical'
    : alerts.length
      ? 'warn'
      : insufficient
        ? 'insufficient_data'
        : 'ok';
  return {
    status,
    ...(insufficient
      ? { reason: `${m.count} values in the window, fewer than the ${rules.minSamples} the rules need` }
      : {}),
    alerts,
  };
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
      if (value < t.warn)
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
