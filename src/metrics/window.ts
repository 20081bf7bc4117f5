import type { Client, estypes } from '@elastic/elasticsearch';
import type { Baseline } from '../contract/baseline-document.js';
import type { FeatureStatistics } from '../contract/window-metrics.js';
import { testLevel } from '../rules/calibration.js';
import { PREDICTION_FEATURE, type Rules, rulesFor, WINDOW_FEATURE } from '../rules/rule-settings.js';
import {
  levelTests,
  type RuleMetric,
  type RuleName,
  volumeRatio,
  WINDOW_RULES,
  type WindowFacts,
} from '../rules/rule-table.js';
import {
  type Alert,
  type FeatureStatus,
  type FeatureVerdict,
  featureVerdict,
  windowVerdicts,
} from '../rules/verdicts.js';
import { type FeatureNames, featureNames, namesRequest } from './feature-names.js';
import { joinLabels } from './label-join.js';
import { type Performance, performanceOf, type Task } from './performance.js';
import { diagnoseWindowFailure } from './window-diagnosis.js';
import { featureEntries, type WindowSpec, windowRequest } from './window-query.js';
import { windowStatistics } from './window-statistics.js';

export { type WindowSpec, windowRequest } from './window-query.js';

/** The keys of `mlmon metrics --json` (README, "Metrics"): a feature's statistics and its rules' verdict. */
export type FeatureMetrics = FeatureStatistics & {
  status: FeatureStatus;
  reason?: string;
  /** per level test, whether it was significant at the window's level (stored for the watches) */
  evidence?: FeatureVerdict['evidence'];
};

/** A rule whose condition a window shows absent on a feature: what may resolve its alert. */
export interface Cleared {
  feature: string;
  rule: RuleName;
  metric: RuleMetric;
}

export interface WindowMetrics {
  model: string;
  version: string | null;
  baseline: string;
  window: { from: string; to: string };
  docs: number;
  features: Record<string, FeatureMetrics>;
  prediction?: FeatureMetrics;
  versions: { version: string; docs: number }[];
  latency_ms: { p50: number | null; p95: number | null; p99: number | null };
  /** fields the index ignored in this window (`_ignored`): features past the field limit, values past ignore_above */
  ignored_fields: { field: string; docs: number }[];
  alerts: Alert[];
  /** each level test's false-alarm level: the window's budget shared among its tests */
  level: number;
  /** the rules this window shows to be clear (enough evidence): only these resolve an alert */
  cleared: Cleared[];
  /** feature names the window and the baseline do not share (computeWindow; absent when they all match) */
  names?: FeatureNames;
  /** realized performance from the labels joined so far (absent when the model has no label since the window's start) */
  performance?: Performance;
  /** the documents against the recent windows' (volume_drop): absent without history enough to judge */
  volume?: { recent_median: number; ratio: number };
}

function withVerdict(
  feature: string,
  stats: FeatureStatistics,
  docs: number,
  isPrediction: boolean,
  rules: Rules,
  level: number,
  alerts: Alert[],
  cleared: Cleared[],
): FeatureMetrics {
  const v = featureVerdict(feature, stats, docs, isPrediction, rulesFor(rules, feature), level);
  alerts.push(...v.alerts);
  cleared.push(...v.clear.map((c) => ({ feature, ...c })));
  // the status after the fields every type has, the reason last: the order `mlmon metrics --json` prints
  const { type, count, na_rate, baseline_na_rate, ...rest } = stats;
  return {
    type,
    count,
    na_rate,
    baseline_na_rate,
    status: v.status,
    ...rest,
    ...(v.reason ? { reason: v.reason } : {}),
    ...(Object.keys(v.evidence).length ? { evidence: v.evidence } : {}),
  };
}

/** Computes one window from the response of `windowRequest`: the statistics, then the rules' verdicts. */
export function windowMetrics(
  spec: WindowSpec,
  b: Baseline,
  res: estypes.SearchResponse,
  rules: Rules,
  knownVersions: readonly string[] = [b.version],
  recentDocs?: readonly number[],
): WindowMetrics {
  // the window's budget shared among its tests (rules.features may not change the budget: it is the window's)
  const tests = levelTests(
    featureEntries(b).map((e) => ({ type: e.profile.type, isPrediction: e.isPrediction })),
  );
  const level = testLevel(rules.falseAlarmBudget, tests);
  const s = windowStatistics(b, res, level);
  const alerts: Alert[] = [];
  const cleared: Cleared[] = [];
  const features: Record<string, FeatureMetrics> = {};
  for (const [name, f] of Object.entries(s.features))
    features[name] = withVerdict(name, f, s.docs, false, rules, level, alerts, cleared);
  const out: WindowMetrics = {
    model: spec.model,
    version: spec.version ?? null,
    baseline: `${b.model}@${b.version}`,
    window: { from: spec.from.toISOString(), to: spec.to.toISOString() },
    docs: s.docs,
    features,
    versions: s.versions,
    latency_ms: s.latency_ms,
    ignored_fields: s.ignored_fields,
    alerts,
    level,
    cleared,
  };
  if (s.prediction)
    out.prediction = withVerdict(
      PREDICTION_FEATURE,
      s.prediction,
      s.docs,
      true,
      rules,
      level,
      alerts,
      cleared,
    );
  const facts: WindowFacts = {
    docs: s.docs,
    versions: s.versions.map((v) => v.version),
    knownVersions,
    ...(recentDocs ? { recentDocs } : {}),
  };
  const volume = volumeRatio(facts);
  if (volume) out.volume = { recent_median: volume.median, ratio: volume.ratio };
  const windowAlerts = windowVerdicts(facts, rules);
  alerts.push(...windowAlerts);
  // the window rules measure every window (the documents; the drop where there is history), the versions
  // only a window with documents
  for (const row of WINDOW_RULES) {
    const measured =
      row.metric === 'docs' || (row.metric === 'docs_ratio' ? volume !== undefined : s.docs > 0);
    if (measured && !windowAlerts.some((a) => a.rule === row.name))
      cleared.push({ feature: WINDOW_FEATURE, rule: row.name, metric: row.metric });
  }
  return out;
}

/** The baseline's label column says the task; without one the labels do (performance.ts). */
export function taskOf(b: Baseline): Task | undefined {
  const type = b.label?.type;
  if (type === undefined) return undefined;
  return type === 'numeric' ? 'regression' : 'classification';
}

/** The window's realized performance, or undefined when no label of the model could join it. */
export async function windowPerformance(
  client: Client,
  spec: WindowSpec,
  predictions: number,
  task: Task | undefined,
): Promise<Performance | undefined> {
  const join = await joinLabels(client, spec);
  if (join.labelsRead === 0) return undefined;
  return performanceOf(join.rows, {
    predictions,
    unknownLabels: join.unknownAt.length,
    ...(task ? { task } : {}),
  });
}

export async function computeWindow(
  client: Client,
  spec: WindowSpec,
  b: Baseline,
  rules: Rules,
  knownVersions?: readonly string[],
  /** the documents of the windows before this one, the latest last (volume_drop; the job reads them) */
  recentDocs?: readonly number[],
): Promise<WindowMetrics> {
  let res: estypes.SearchResponse;
  try {
    res = await client.search(windowRequest(spec, b));
  } catch (err) {
    throw (await diagnoseWindowFailure(client, spec.index, b, err)) ?? err;
  }
  const m = windowMetrics(spec, b, res, rules, knownVersions, recentDocs);
  if (m.docs > 0) {
    const names = featureNames(b, await client.search(namesRequest(spec, b)), m.docs, m.features);
    if (names.unknown.length || names.never_seen.length) m.names = names;
  }
  const performance = await windowPerformance(client, spec, m.docs, taskOf(b));
  if (performance) m.performance = performance;
  return m;
}
