import type { Client, estypes } from '@elastic/elasticsearch';
import type { Baseline } from '../contract/baseline-document.js';
import type { FeatureStatistics } from '../contract/window-metrics.js';
import { PREDICTION_FEATURE, type Rules, rulesFor } from '../rules/rule-settings.js';
import { type Alert, type FeatureStatus, featureVerdict, windowVerdicts } from '../rules/verdicts.js';
import { diagnoseWindowFailure } from './window-diagnosis.js';
import { type WindowSpec, windowRequest } from './window-query.js';
import { windowStatistics } from './window-statistics.js';

export { type WindowSpec, windowRequest } from './window-query.js';

/** The keys of `mlmon metrics --json` (README, "Metrics"): a feature's statistics and its rules' verdict. */
export type FeatureMetrics = FeatureStatistics & { status: FeatureStatus; reason?: string };

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
}

function withVerdict(
  feature: string,
  stats: FeatureStatistics,
  docs: number,
  isPrediction: boolean,
  rules: Rules,
  alerts: Alert[],
): FeatureMetrics {
  const v = featureVerdict(feature, stats, docs, isPrediction, rulesFor(rules, feature));
  alerts.push(...v.alerts);
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
  };
}

/** Computes one window from the response of `windowRequest`: the statistics, then the rules' verdicts. */
export function windowMetrics(
  spec: WindowSpec,
  b: Baseline,
  res: estypes.SearchResponse,
  rules: Rules,
  knownVersions: readonly string[] = [b.version],
): WindowMetrics {
  const s = windowStatistics(b, res);
  const alerts: Alert[] = [];
  const features: Record<string, FeatureMetrics> = {};
  for (const [name, f] of Object.entries(s.features))
    features[name] = withVerdict(name, f, s.docs, false, rules, alerts);
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
  };
  if (s.prediction)
    out.prediction = withVerdict(PREDICTION_FEATURE, s.prediction, s.docs, true, rules, alerts);
  alerts.push(
    ...windowVerdicts({ docs: s.docs, versions: s.versions.map((v) => v.version), knownVersions }, rules),
  );
  return out;
}

export async function computeWindow(
  client: Client,
  spec: WindowSpec,
  b: Baseline,
  rules: Rules,
  knownVersions?: readonly string[],
): Promise<WindowMetrics> {
  let res: estypes.SearchResponse;
  try {
    res = await client.search(windowRequest(spec, b));
  } catch (err) {
    throw (await diagnoseWindowFailure(client, spec.index, b, err)) ?? err;
  }
  return windowMetrics(spec, b, res, rules, knownVersions);
}
