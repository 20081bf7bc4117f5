import type { Client } from '@elastic/elasticsearch';
import {
  getBaseline,
  listBaselines,
  type MalformedBaseline,
  type OnMalformed,
} from '../baseline/baseline-reader.js';
import type { MlmonConfig } from '../config/mlmon-config.js';
import type { Baseline } from '../contract/baseline-document.js';
import { MlmonError } from '../contract/errors.js';
import { computeWindow, type WindowMetrics } from '../metrics/window.js';
import { RECENT_WINDOWS } from '../rules/rule-table.js';
import { type Notification, notify } from './notify.js';
import { recomputeLookback } from './performance-lookback.js';
import { storedRecentDocs } from './recent-volume.js';
import { type AlertState, type AlertStatus, alertKey, JobState } from './state.js';
import { backfillWindows, type Window, windowsToRun } from './windows.js';
import { ensureJobTemplates, writeAlertEvent, writeMetrics } from './writer.js';

export interface RunReport {
  windows: {
    model: string;
    from: string;
    to: string;
    docs: number;
    alerts: number;
    created: number;
    existing: number;
  }[];
  /** ready windows older than the catch-up limit, left out */
  skipped: number;
  notifications: Notification[];
  notifyFailures: string[];
  firing: AlertState[];
  metrics: WindowMetrics[];
  /** stored baseline documents of another shape: skipped, with the id and what is wrong */
  malformedBaselines: MalformedBaseline[];
  /** the models looked at (configured, else every model with a baseline) */
  models: string[];
  /** models for which no window was computed, and why (up to date: when the next one is ready) */
  idle: { model: string; reason: string }[];
  /** windows of the label lookback with labels, and the performance documents stored for them now */
  relabeled: { windows: number; created: number };
}

export interface RunOptions {
  now?: number;
  /** compute these windows instead of those since the checkpoint; the checkpoint is left alone */
  backfill?: { from: number; to: number };
  /** told of each malformed stored baseline as it is met (the report lists them too) */
  onMalformed?: OnMalformed;
}

/** The models to monitor: the configured ones, else every model with a baseline. */
async function modelsOf(
  client: Client,
  config: MlmonConfig,
  onMalformed: OnMalformed,
): Promise<{ name: string; versions?: string[] }[]> {
  if (config.models.length) return config.models;
  const names = [
    ...new Set(
      (await listBaselines(client, undefined, config.baselineIndex, onMalformed)).map((s) => s.model),
    ),
  ];
  return names.map((name) => ({ name }));
}

/** The state as notified: without its outbox. */
function notified(a: AlertState): AlertState {
  const { pending: _pending, ...rest } = a;
  return rest;
}

/**
 * Updates alert states from one window's alerts (README, "Windows, checkpoints, alerts"):
 * - a new alert fires once (event + notification); one that keeps firing only moves its last_seen;
 * - a firing alert resolves only on a window whose evidence clears its rule (`m.cleared`): an empty or
 *   thin window keeps it as it is ("no data");
 * - a window at or before an alert's last_seen was already counted for it (backfill, catch-up, restart):
 *   it changes nothing and notifies nothing, so last_seen never moves backwards nor before first_seen.
 * Each transition is saved with the state as `pending` before it is notified (the outbox, see runOnce).
 */
async function updateAlerts(
  client: Client,
  state: JobState,
  m: WindowMetrics,
  config: MlmonConfig,
  latest: Map<string, AlertState>,
): Promise<void> {
  const states = new Map(
    [...(await state.alerts(m.model)).values()]
      .filter((a) => (a.version ?? null) === m.version)
      .map((a) => [a.key, latest.get(a.key) ?? a]),
  );
  const at = Date.parse(m.window.to);
  const counted = (a: AlertState) => at <= Date.parse(a.last_seen);
  const cleared = new Set(m.cleared.map((c) => alertKey(m.model, m.version, c.feature, c.rule, c.metric)));
  const save = async (next: AlertState, action?: AlertStatus) => {
    const out = action ? { ...next, pending: [...(next.pending ?? []), action] } : next;
    await state.saveAlert(out);
    latest.set(out.key, out);
    if (action) await writeAlertEvent(client, notified(out), action, m.window.to, config.namespace);
  };
  const seen = new Set<string>();
  for (const a of m.alerts) {
    const key = alertKey(m.model, m.version, a.feature, a.rule, a.metric);
    if (seen.has(key)) continue;
    seen.add(key);
    const prev = states.get(key);
    if (prev && counted(prev)) continue;
    const continuing = prev?.status === 'firing';
    const next: AlertState = {
      key,
      model: m.model,
      version: m.version,
      rule: a.rule,
      feature: a.feature,
      metric: a.metric,
      status: 'firing',
      severity: a.severity,
      value: a.value,
      threshold: a.threshold,
      first_seen: continuing ? prev.first_seen : m.window.to,
      last_seen: m.window.to,
      ...(prev?.pending?.length ? { pending: prev.pending } : {}),
    };
    // a new alert, or one that became critical, is news; one that simply continues is not
    const news = !continuing || (prev.severity === 'warn' && next.severity === 'critical');
    await save(next, news ? 'firing' : undefined);
  }
  for (const [key, prev] of states) {
    if (prev.status !== 'firing' || seen.has(key) || counted(prev) || !cleared.has(key)) continue;
    await save({ ...prev, status: 'resolved', last_seen: m.window.to }, 'resolved');
  }
}

async function baselineFor(
  client: Client,
  config: MlmonConfig,
  model: string,
  version: string | undefined,
  onMalformed: OnMalformed,
): Promise<Baseline> {
  const b = await getBaseline(client, model, version, config.baselineIndex, onMalformed);
  if (!b) {
    throw new MlmonError(
      `no baseline for ${model}${version ? `@${version}` : ''} in ${config.baselineIndex}`,
      {
        exit: 'badInput',
        fix: `profile the training data: mlmon baseline --model ${model} --version <v> --from <file>`,
      },
    );
  }
  return b;
}

/** Why a run computed nothing for a model whose checkpoint is current: when the next window is ready. */
function upToDate(now: number, config: MlmonConfig): string {
  const { everyMs, delayMs } = config.window;
  const nextFrom = Math.floor((now - delayMs) / everyMs) * everyMs;
  const ready = new Date(nextFrom + everyMs + delayMs).toISOString();
  return `up to date: the next window, ${new Date(nextFrom).toISOString()} .. ${new Date(nextFrom + everyMs).toISOString()}, is ready at ${ready} (window.every plus window.delay)`;
}

/**
 * Computes every ready window of every model since its checkpoint (or the `backfill` range), writes
 * the metric documents, updates alerts, notifies, and moves the checkpoint after each window, so a
 * restart or a long outage continues where it stopped: no gap, and nothing counted twice.
 */
export async function runOnce(
  client: Client,
  config: MlmonConfig,
  opts: RunOptions = {},
): Promise<RunReport> {
  const now = opts.now ?? Date.now();
  const state = new JobState(client);
  await state.ensure();
  await ensureJobTemplates(client);
  const report: RunReport = {
    windows: [],
    skipped: 0,
    notifications: [],
    notifyFailures: [],
    firing: [],
    metrics: [],
    malformedBaselines: [],
    models: [],
    idle: [],
    relabeled: { windows: 0, created: 0 },
  };
  const onMalformed: OnMalformed = (m) => {
    if (report.malformedBaselines.some((x) => x.id === m.id && x.index === m.index)) return;
    report.malformedBaselines.push(m);
    opts.onMalformed?.(m);
  };
  // the outbox: transitions a run saved but did not get to notify (it was stopped), sent now
  const latest = new Map<string, AlertState>();
  for (const a of await state.pending()) latest.set(a.key, a);
  for (const model of await modelsOf(client, config, onMalformed)) {
    report.models.push(model.name);
    const known = (await listBaselines(client, model.name, config.baselineIndex, onMalformed)).map(
      (s) => s.version,
    );
    const targets = model.versions?.length ? model.versions : [undefined];
    let windows: Window[];
    if (opts.backfill) windows = backfillWindows(opts.backfill.from, opts.backfill.to, config.window.everyMs);
    else {
      const planned = windowsToRun(
        await state.checkpoint(model.name),
        now,
        config.window.everyMs,
        config.window.delayMs,
        config.window.maxCatchUp,
      );
      windows = planned.windows;
      report.skipped += planned.skipped;
      if (!windows.length) report.idle.push({ model: model.name, reason: upToDate(now, config) });
    }
    if (opts.backfill && !windows.length)
      report.idle.push({ model: model.name, reason: 'the backfill range holds no window' });
    // each target's recent window sizes (volume_drop): the stored ones before the first window, then
    // those computed here (a metric document just written is not searchable before the next refresh)
    const recent = new Map<string | undefined, number[]>();
    const first = windows[0];
    if (first)
      for (const version of targets)
        recent.set(
          version,
          await storedRecentDocs(client, config.namespace, model.name, version, first.from),
        );
    for (const w of windows) {
      for (const version of targets) {
        const b = await baselineFor(client, config, model.name, version, onMalformed);
        const spec = {
          model: model.name,
          from: w.from,
          to: w.to,
          index: config.index,
          ...(version ? { version } : {}),
        };
        const history = recent.get(version) ?? [];
        const m = await computeWindow(client, spec, b, config.rules, known, history);
        recent.set(version, [...history, m.docs].slice(-RECENT_WINDOWS));
        const written = await writeMetrics(client, m, config.namespace, known);
        await updateAlerts(client, state, m, config, latest);
        report.metrics.push(m);
        report.windows.push({
          model: model.name,
          from: m.window.from,
          to: m.window.to,
          docs: m.docs,
          alerts: m.alerts.length,
          ...written,
        });
      }
      if (!opts.backfill) await state.saveCheckpoint(model.name, w.to);
    }
    // labels that came after their window was computed: the lookback's windows, again (a backfill
    // computes its own windows with the labels of now already)
    const end = opts.backfill ? undefined : await state.checkpoint(model.name);
    if (end !== undefined && config.labels.lookbackMs > 0)
      for (const version of targets) {
        const b = await baselineFor(client, config, model.name, version, onMalformed);
        const r = await recomputeLookback(client, {
          model: model.name,
          ...(version ? { version } : {}),
          index: config.index,
          from: Math.max(0, now - config.labels.lookbackMs),
          to: end,
          everyMs: config.window.everyMs,
          baseline: b,
          namespace: config.namespace,
        });
        report.relabeled.windows += r.windows;
        report.relabeled.created += r.created;
      }
  }
  for (const a of latest.values())
    for (const action of a.pending ?? []) report.notifications.push({ action, alert: notified(a) });
  report.notifyFailures = await notify(config.notify, report.notifications);
  // notified (or reported as failed, never retried): out of the outbox
  for (const a of latest.values()) if (a.pending?.length) await state.saveAlert(notified(a));
  report.firing = await state.firing();
  return report;
}
