/**
 * Plan, apply and remove Elasticsearch assets. A plan compares each asset with what the cluster
 * holds (create / update / unchanged, or skip with the reason); applying follows the plan in
 * install order and reports exactly what was and was not applied.
 */

import type { Asset, AssetKind, Body } from '../assets/catalog.js';
import { ExitCode, MlmonError } from '../contract/errors.js';
import type { RawRequest } from '../es/raw-request.js';
import { RequestError, requestFailed } from '../es/request-error.js';
import { differences } from './compare.js';
import { installedVersion, kinds } from './kinds.js';

export type Action = 'create' | 'update' | 'unchanged' | 'skip';

export interface PlanEntry {
  kind: AssetKind;
  name: string;
  action: Action;
  version?: number;
  installedVersion?: number;
  /** why it is skipped, or what else happens (e.g. written to a file) */
  reason?: string;
  /** where the cluster's copy differs (update) */
  differences?: string[];
}

/** A plan entry with the asset to install, and how to install it when not through the generic kinds. */
export interface Planned extends PlanEntry {
  asset?: Asset;
  apply?: () => Promise<string | undefined>;
}

export type Outcome = 'applied' | 'unchanged' | 'skipped' | 'failed' | 'not attempted';

export interface AppliedEntry extends PlanEntry {
  outcome: Outcome;
  error?: string;
  /** data streams rolled over so that new mappings apply */
  rolledOver?: string[];
  note?: string;
}

export function skipped(kind: AssetKind, name: string, reason: string, version?: number): Planned {
  return { kind, name, action: 'skip', reason, ...(version === undefined ? {} : { version }) };
}

export async function planAsset(request: RawRequest, asset: Asset): Promise<Planned> {
  if (asset.kind === 'kibana_objects') throw new Error('Kibana objects are planned by setup/kibana.ts');
  const ops = kinds[asset.kind];
  const installed = await ops.read(request, asset.name, asset.body);
  const base = { kind: asset.kind, name: asset.name, version: asset.version, asset };
  if (!installed) return { ...base, action: 'create' };
  const diffs = differences(asset.body, installed, { ignore: ops.ignore });
  const was = installedVersion(installed);
  return {
    ...base,
    action: diffs.length ? 'update' : 'unchanged',
    ...(was === undefined ? {} : { installedVersion: was }),
    ...(diffs.length ? { differences: diffs } : {}),
  };
}

export async function planAssets(request: RawRequest, assets: Asset[]): Promise<Planned[]> {
  const out: Planned[] = [];
  for (const a of assets) out.push(await planAsset(request, a));
  return out;
}

/** The data streams (with their write index) that match an index template's patterns. */
async function streamsOf(request: RawRequest, patterns: string[]): Promise<string[]> {
  const res = await request(
    'GET',
    `/_resolve/index/${patterns.map(encodeURIComponent).join(',')}?expand_wildcards=all`,
  );
  if (res.status !== 200) return [];
  return ((res.body as { data_streams?: { name: string }[] }).data_streams ?? []).map((d) => d.name).sort();
}

/** Index templates whose result changed (the template itself, or one of its components). */
function changedStreamTemplates(plan: Planned[]): Planned[] {
  const changed = new Set(
    plan.filter((p) => p.action === 'update' || p.action === 'create').map((p) => `${p.kind}:${p.name}`),
  );
  return plan.filter(
    (p) =>
      p.kind === 'index_template' &&
      p.action !== 'create' &&
      p.action !== 'skip' &&
      p.asset?.body.data_stream !== undefined &&
      (p.action === 'update' ||
        ((p.asset.body.composed_of as string[] | undefined) ?? []).some((c) =>
          changed.has(`component_template:${c}`),
        )),
  );
}

export interface ApplyReport {
  entries: AppliedEntry[];
  /** the first failure; the command exits with its code */
  error?: MlmonError;
}

/**
 * Applies the plan in order. A failed asset is reported and the rest still tried (a missing
 * privilege for roles should not stop templates); a lost connection stops everything after it.
 */
export async function applyPlan(request: RawRequest, plan: Planned[]): Promise<ApplyReport> {
  const entries: AppliedEntry[] = [];
  let error: MlmonError | undefined;
  let stopped = false;
  const strip = ({ asset: _a, apply: _f, ...entry }: Planned): PlanEntry => entry;
  for (const p of plan) {
    const entry = strip(p);
    if (stopped) {
      entries.push({ ...entry, outcome: 'not attempted' });
      continue;
    }
    if (p.action === 'skip' || p.action === 'unchanged') {
      entries.push({ ...entry, outcome: p.action === 'skip' ? 'skipped' : 'unchanged' });
      continue;
    }
    try {
      let note: string | undefined;
      if (p.apply) note = await p.apply();
      else if (p.asset && p.asset.kind !== 'kibana_objects') {
        const ops = kinds[p.asset.kind];
        await (p.action === 'create' ? ops.create(request, p.asset) : ops.update(request, p.asset));
      }
      entries.push({ ...entry, outcome: 'applied', ...(note ? { note } : {}) });
    } catch (err) {
      const e = toMlmonError(err, `${p.kind.replace('_', ' ')} ${p.name}`);
      error ??= e;
      entries.push({ ...entry, outcome: 'failed', error: e.message });
      if (e.exitCode === ExitCode.connection) stopped = true;
    }
  }
  if (!stopped) {
    // new mappings only reach a data stream's next backing index: roll over now
    for (const t of changedStreamTemplates(plan)) {
      const entry = entries.find((e) => e.kind === 'index_template' && e.name === t.name);
      if (!entry || entry.outcome === 'failed') continue;
      const rolled: string[] = [];
      for (const stream of await streamsOf(request, (t.asset?.body.index_patterns as string[]) ?? [])) {
        const res = await request('POST', `/${encodeURIComponent(stream)}/_rollover`);
        if (res.status === 200) rolled.push(stream);
        else {
          const e = requestFailed(`rollover of ${stream}`, res.status, res.body);
          error ??= e;
          entry.error = e.message;
        }
      }
      if (rolled.length) {
        entry.rolledOver = rolled;
        if (entry.outcome === 'unchanged') entry.outcome = 'applied';
      }
      // a stream's lifecycle is its own (taken from the template when it was created): update it too
      const retention = (t.asset?.body.template as { lifecycle?: { data_retention?: string } } | undefined)
        ?.lifecycle?.data_retention;
      if (retention && rolled.length) entry.note = await updateRetention(request, rolled, retention);
    }
  }
  return { entries, ...(error ? { error } : {}) };
}

async function updateRetention(request: RawRequest, streams: string[], retention: string): Promise<string> {
  const res = await request('PUT', `/_data_stream/${streams.map(encodeURIComponent).join(',')}/_lifecycle`, {
    data_retention: retention,
  });
  if (res.status === 200) return `retention ${retention} on ${streams.join(', ')}`;
  const text = JSON.stringify(res.body);
  return /no handler found/.test(text)
    ? `existing streams keep their retention: this cluster has no data stream API`
    : `existing streams keep their retention: HTTP ${res.status} ${text.slice(0, 200)}`;
}

export function toMlmonError(err: unknown, what: string): MlmonError {
  if (err instanceof MlmonError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { name?: string }).name;
  // the client's ConnectionError / TimeoutError: nothing after this can work either
  if (code === 'ConnectionError' || code === 'TimeoutError')
    return new MlmonError(`${what}: cannot reach the cluster: ${message}`, {
      exit: 'connection',
      fix: 'check ES_URL (or --node) and that the cluster is running',
      cause: err,
    });
  return new MlmonError(`${what}: ${message}`, { exit: 'firing', cause: err });
}

export interface RemoveEntry {
  kind: AssetKind;
  name: string;
  outcome: 'removed' | 'absent' | 'kept' | 'failed';
  reason?: string;
}

/**
 * Removes assets in reverse install order. With `keepData`, indices and data streams stay (and so
 * do the templates they still use, which the cluster refuses to delete).
 */
export async function removeAssets(
  request: RawRequest,
  assets: Asset[],
  opts: { keepData: boolean },
): Promise<{ entries: RemoveEntry[]; error?: MlmonError }> {
  const entries: RemoveEntry[] = [];
  let error: MlmonError | undefined;
  for (const a of [...assets].reverse()) {
    if (a.kind === 'kibana_objects') continue;
    if (a.kind === 'index' && opts.keepData) {
      entries.push({ kind: a.kind, name: a.name, outcome: 'kept', reason: '--keep-data' });
      continue;
    }
    try {
      if (a.kind === 'index_template' && a.body.data_stream !== undefined && !opts.keepData) {
        const kept = await deleteStreams(request, (a.body.index_patterns as string[]) ?? []);
        if (kept) {
          entries.push({
            kind: 'index',
            name: kept.streams.join(', '),
            outcome: 'kept',
            reason: kept.reason,
          });
        }
      }
      const outcome = await kinds[a.kind].remove(request, a.name);
      entries.push({ kind: a.kind, name: a.name, outcome });
    } catch (err) {
      const e = toMlmonError(err, `${a.kind.replace('_', ' ')} ${a.name}`);
      // templates still used by data streams the user keeps: the cluster's reason says which
      if (e instanceof RequestError && /in use|used by/i.test(e.reason)) {
        entries.push({
          kind: a.kind,
          name: a.name,
          outcome: 'kept',
          reason: e.reason,
        });
        continue;
      }
      error ??= e;
      entries.push({ kind: a.kind, name: a.name, outcome: 'failed', reason: e.message });
      if (e.exitCode === ExitCode.connection) break;
    }
  }
  return { entries, ...(error ? { error } : {}) };
}

/** Deletes the data streams matching `patterns`; says which stay and why when the cluster cannot. */
async function deleteStreams(
  request: RawRequest,
  patterns: string[],
): Promise<{ streams: string[]; reason: string } | undefined> {
  const streams = await streamsOf(request, patterns);
  if (!streams.length) return undefined;
  const res = await request('DELETE', `/_data_stream/${streams.map(encodeURIComponent).join(',')}`);
  if (res.status === 200) return undefined;
  const body = res.body as Body | string;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    streams,
    reason: /no handler found/.test(text)
      ? 'this cluster has no data stream API (README, "What the test node can do"): delete them where it has'
      : `HTTP ${res.status}: ${text.slice(0, 200)}`,
  };
}
