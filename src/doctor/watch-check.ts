/**
 * The doctor's watch lines: each installed watch runs through `_watcher/watch/<id>/_execute` twice,
 * with its actions simulated and nothing recorded: once on a payload holding one firing metric
 * document (built from the watch's own path and thresholds), where the condition must be met and
 * every action, its Painless transform included, must run in simulation; once on an empty payload,
 * where the condition must not be met. The request and the watch record follow Elasticsearch's
 * x-pack/plugin/watcher/src/main/java/org/elasticsearch/xpack/watcher/rest/action/RestExecuteWatchAction.java
 * (alternative_input, action_modes, record_execution; the answer's `watch_record`).
 */
import type { RawRequest } from '../es/raw-request.js';
import type { SetupPlan } from '../setup/setup-plan.js';
import { type Check, fail, pass, skip } from './check.js';

/** The parameters the alert-docs transform takes (src/setup/watches.ts renders them). */
interface AlertDocParams {
  path: string[];
  op: 'gte' | 'lt' | 'versions';
  warn: number | string;
  critical: number | string | null;
  window_level: boolean;
}

interface WatchRecord {
  state?: string;
  result?: {
    condition?: { met?: boolean; status?: string; reason?: string };
    actions?: { id: string; status: string; reason?: string; error?: unknown }[];
  };
  exception?: unknown;
}

const CANARY = { name: 'mlmon_doctor_canary', version: 'canary' };

function paramsOf(body: Record<string, unknown>): AlertDocParams | undefined {
  const actions = body.actions as
    | Record<string, { transform?: { script?: { params?: unknown } } }>
    | undefined;
  return actions?.index_alerts?.transform?.script?.params as AlertDocParams | undefined;
}

/** A metric document of the job's shape whose compared value is at the watch's critical threshold. */
export function firingPayload(p: AlertDocParams, now = new Date()): Record<string, unknown> {
  const value =
    p.op === 'versions'
      ? ['doctor-canary-version']
      : p.op === 'lt'
        ? Number(p.critical ?? p.warn) - 1
        : Number(p.critical ?? p.warn);
  const mlmon: Record<string, unknown> = {
    model: CANARY,
    window: { from: new Date(now.getTime() - 300_000).toISOString(), to: now.toISOString() },
    ...(p.window_level ? {} : { feature: { name: 'doctor_canary', is_prediction: false } }),
  };
  // the value at the watch's path (e.g. metric.psi, window.unexpected_versions)
  let at = mlmon;
  p.path.forEach((k, i) => {
    if (i === p.path.length - 1) at[k] = value;
    else {
      at[k] = { ...((at[k] as Record<string, unknown> | undefined) ?? {}) };
      at = at[k] as Record<string, unknown>;
    }
  });
  return {
    hits: { total: 1, hits: [{ _index: 'doctor-canary', _id: 'doctor-canary', _source: { mlmon } }] },
  };
}

const QUIET = { hits: { total: 0, hits: [] } };

async function execute(
  request: RawRequest,
  id: string,
  payload: Record<string, unknown>,
): Promise<{ record?: WatchRecord; error?: string }> {
  const res = await request('POST', `/_watcher/watch/${encodeURIComponent(id)}/_execute`, {
    alternative_input: payload,
    action_modes: { _all: 'simulate' },
    record_execution: false,
  });
  if (res.status !== 200) return { error: `HTTP ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}` };
  return { record: (res.body as { watch_record?: WatchRecord }).watch_record ?? {} };
}

async function watchCheck(request: RawRequest, id: string, body: Record<string, unknown>): Promise<Check> {
  const name = `watch ${id}`;
  const fix = 'run `mlmon setup` (it replaces the watch with the package one), then `mlmon doctor` again';
  const params = paramsOf(body);
  if (!params) return fail(name, 'the installed watch has no alert-docs transform', fix);
  const firing = await execute(request, id, firingPayload(params));
  if (!firing.record) return fail(name, `_execute on a firing payload: ${firing.error}`, fix);
  const met = firing.record.result?.condition?.met;
  if (met !== true)
    return fail(
      name,
      `a metric document at the critical threshold did not meet the condition (state ${firing.record.state ?? 'unknown'}${firing.record.result?.condition?.reason ? `: ${firing.record.result.condition.reason}` : ''})`,
      fix,
    );
  const broken = (firing.record.result?.actions ?? []).filter((a) => a.status !== 'simulated');
  if (broken.length)
    return fail(
      name,
      `actions that did not run in simulation: ${broken
        .map((a) => `${a.id} ${a.status}${a.reason ? ` (${a.reason})` : ''}`)
        .join('; ')}`,
      fix,
    );
  const quiet = await execute(request, id, QUIET);
  if (!quiet.record) return fail(name, `_execute on an empty payload: ${quiet.error}`, fix);
  if (quiet.record.result?.condition?.met !== false)
    return fail(name, 'an empty payload met the condition: the watch would fire without a breach', fix);
  const actions = (firing.record.result?.actions ?? []).map((a) => a.id).join(', ');
  return pass(
    name,
    `fires on a metric document at its threshold (actions simulated: ${actions || 'none'}) and stays quiet on none`,
  );
}

export async function watchChecks(request: RawRequest, plan: SetupPlan | undefined): Promise<Check[]> {
  const NAME = 'watch execution';
  if (!plan) return [skip(NAME, 'the cluster could not be probed with these credentials')];
  if (!plan.capabilities.watcher)
    return [skip(NAME, 'no Watcher on this cluster: alerts come from `mlmon run`')];
  const watches = plan.entries.filter((e) => e.kind === 'watch');
  const installed = watches.filter((e) => e.action === 'unchanged' && e.asset);
  if (!installed.length)
    return [
      skip(
        NAME,
        watches.length
          ? 'no watch is installed unchanged (their lines above): run `mlmon setup` first'
          : 'no watches for this namespace',
      ),
    ];
  const out: Check[] = [];
  for (const e of installed) out.push(await watchCheck(request, e.name, e.asset?.body ?? {}));
  return out;
}
