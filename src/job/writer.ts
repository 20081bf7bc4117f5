import { createHash } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import { ensureStreamTemplates } from '../assets/ensure.js';
import { alertsStream, metricsStream } from '../contract/streams.js';
import { METRIC_FIELDS } from '../contract/window-metrics.js';
import type { Performance } from '../metrics/performance.js';
import type { FeatureMetrics, WindowMetrics } from '../metrics/window.js';
import { PERFORMANCE_FEATURE, PREDICTION_FEATURE } from '../rules/rule-settings.js';
import { comparedQuantities, unexpectedVersions } from '../rules/rule-table.js';
import type { AlertState, AlertStatus } from './state.js';

/** Installs the metric and alert templates when missing (`mlmon setup` manages them for upgrades). */
export async function ensureJobTemplates(client: Client): Promise<void> {
  await ensureStreamTemplates(client, ['metrics', 'alerts']);
}

function id(...parts: string[]): string {
  return createHash('sha1').update(parts.join('\u0000')).digest('hex');
}

/** The metric document of one feature (or the prediction) of a window: what the watches search. */
export function metricDocument(
  m: WindowMetrics,
  name: string,
  f: FeatureMetrics,
  ns: string,
  isPrediction: boolean,
  knownVersions: readonly string[] | undefined,
) {
  const metric: Record<string, number> = {};
  for (const k of METRIC_FIELDS) {
    const v = f[k];
    if (typeof v === 'number' && Number.isFinite(v)) metric[k] = v;
  }
  // each rule's compared quantity (na_rate_rise), as the rule computes it: a watch compares it without a script
  Object.assign(metric, comparedQuantities(f));
  const versions = m.versions.map((v) => v.version);
  // versions without a baseline, for the model-version watch (absent when the caller knows none)
  const unexpected = knownVersions ? unexpectedVersions({ docs: m.docs, versions, knownVersions }) : [];
  return {
    '@timestamp': m.window.from,
    event: { kind: 'metric', dataset: 'mlmon.window' },
    data_stream: { type: 'metrics', dataset: 'mlmon.window', namespace: ns },
    mlmon: {
      model: { name: m.model, version: m.version ?? 'all' },
      baseline_id: m.baseline,
      window: {
        from: m.window.from,
        to: m.window.to,
        docs: m.docs,
        // this window's documents over the recent windows' median (volume_drop), where there was history
        ...(m.volume ? { docs_ratio: m.volume.ratio, recent_docs_median: m.volume.recent_median } : {}),
        ...(versions.length ? { versions } : {}),
        ...(unexpected.length ? { unexpected_versions: unexpected } : {}),
        // names in the window's documents the baseline lacks (a typo leaves a feature unmonitored)
        ...(m.names?.unknown.length ? { unknown_features: m.names.unknown.map((u) => u.feature) } : {}),
      },
      feature: {
        name,
        type: f.type,
        is_prediction: isPrediction,
        ...(m.names?.never_seen.includes(name) ? { never_seen: true } : {}),
      },
      status: f.status,
      ...(f.reason ? { reason: f.reason } : {}),
      ...(f.top_unseen?.length ? { top_unseen: f.top_unseen } : {}),
      ...(f.top_oov?.length ? { top_oov: f.top_oov } : {}),
      // the job's verdict on each test at the window's size: the watches filter on it (a watch cannot simulate a null)
      ...(f.evidence && Object.keys(f.evidence).length ? { evidence: f.evidence } : {}),
      metric,
    },
  };
}

/** The numbers of a window's performance, flat: what a watch, a chart or a gauge reads. */
export function performanceNumbers(p: Performance): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(p)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  if (p.label_delay_ms) for (const [q, v] of Object.entries(p.label_delay_ms)) out[`label_delay_ms_${q}`] = v;
  return out;
}

/**
 * The window's realized performance as a metric document (feature PERFORMANCE_FEATURE): the numbers
 * in `mlmon.metric`, the task, the confusion matrix and the per-class figures (stored, not indexed).
 */
export type WindowHead = Pick<WindowMetrics, 'model' | 'version' | 'baseline' | 'window' | 'docs'>;

export function performanceDocument(m: WindowHead, p: Performance, ns: string, computedAt: string) {
  const { confusion_matrix, per_class } = p;
  return {
    '@timestamp': m.window.from,
    event: { kind: 'metric', dataset: 'mlmon.window' },
    data_stream: { type: 'metrics', dataset: 'mlmon.window', namespace: ns },
    mlmon: {
      model: { name: m.model, version: m.version ?? 'all' },
      baseline_id: m.baseline,
      computed_at: computedAt,
      window: { from: m.window.from, to: m.window.to, docs: m.docs },
      feature: { name: PERFORMANCE_FEATURE, type: p.task, is_prediction: false },
      performance: {
        task: p.task,
        ...(p.positive_class !== undefined ? { positive_class: p.positive_class } : {}),
        detail: { ...(confusion_matrix ? { confusion_matrix } : {}), ...(per_class ? { per_class } : {}) },
      },
      metric: performanceNumbers(p),
    },
  };
}

/**
 * The bulk lines of a performance document. The id carries the figures: the same labels again store
 * nothing twice; more (or corrected) labels store a newer document (the latest `computed_at` is current).
 */
function performanceOperations(m: WindowHead, p: Performance, ns: string): object[] {
  const numbers = JSON.stringify(performanceNumbers(p));
  return [
    {
      create: {
        _index: metricsStream(ns),
        _id: id(m.model, m.version ?? 'all', m.window.from, PERFORMANCE_FEATURE, numbers),
      },
    },
    performanceDocument(m, p, ns, new Date().toISOString()),
  ];
}

/** Performance documents of windows computed again (their labels came later); created and existing. */
export async function writePerformance(
  client: Client,
  windows: { head: WindowHead; performance: Performance }[],
  ns: string,
): Promise<{ created: number; existing: number }> {
  let created = 0;
  let existing = 0;
  for (let i = 0; i < windows.length; i += 500) {
    const operations = windows
      .slice(i, i + 500)
      .flatMap((w) => performanceOperations(w.head, w.performance, ns));
    const res = await client.bulk({ operations });
    for (const item of res.items) {
      const s = item.create?.status ?? 0;
      if (s === 201) created++;
      else if (s === 409) existing++;
      else throw new Error(`performance document rejected: ${s} ${JSON.stringify(item.create?.error)}`);
    }
  }
  return { created, existing };
}

/**
 * One document per model, version, window and feature. The id is derived from those, and writes
 * use `create`: computing a window again (a restart, a catch-up, a backfill) stores nothing twice.
 * `knownVersions` (the model's versions with a baseline) marks the window's other versions.
 */
export async function writeMetrics(
  client: Client,
  m: WindowMetrics,
  ns: string,
  knownVersions?: readonly string[],
): Promise<{ created: number; existing: number }> {
  const entries: [string, FeatureMetrics, boolean][] = Object.entries(m.features).map(([n, f]) => [
    n,
    f,
    false,
  ]);
  if (m.prediction) entries.push([PREDICTION_FEATURE, m.prediction, true]);
  const operations: object[] = entries.flatMap(([name, f, isPrediction]) => [
    { create: { _index: metricsStream(ns), _id: id(m.model, m.version ?? 'all', m.window.from, name) } },
    metricDocument(m, name, f, ns, isPrediction, knownVersions),
  ]);
  if (m.performance) operations.push(...performanceOperations(m, m.performance, ns));
  const res = await client.bulk({ operations });
  let created = 0;
  let existing = 0;
  for (const item of res.items) {
    const s = item.create?.status ?? 0;
    if (s === 201) created++;
    else if (s === 409) existing++;
    else throw new Error(`metric document rejected: ${s} ${JSON.stringify(item.create?.error)}`);
  }
  return { created, existing };
}

/** An alert's transition (firing, resolved) as an event in the alerts data stream. */
export async function writeAlertEvent(
  client: Client,
  a: AlertState,
  action: AlertStatus,
  at: string,
  ns: string,
): Promise<void> {
  await client.create(
    {
      index: alertsStream(ns),
      id: id(a.key, action, at),
      refresh: 'wait_for',
      document: {
        '@timestamp': at,
        message: `${a.model} ${a.feature} ${a.rule} ${action}: ${a.metric} ${a.value} (threshold ${a.threshold})`,
        event: { kind: 'alert', dataset: 'mlmon.alerts', action },
        data_stream: { type: 'logs', dataset: 'mlmon.alerts', namespace: ns },
        mlmon: {
          model: { name: a.model },
          alert: { ...a, value: String(a.value), threshold: String(a.threshold), status: action },
        },
      },
    },
    { ignore: [409] },
  );
}
