/**
 * The Kibana part of setup, through Kibana's documented HTTP APIs only (never the `.kibana` index):
 * `GET /api/status`, `GET /api/saved_objects/_find`, `POST /api/saved_objects/_import`
 * (multipart NDJSON, `overwrite=true`), `DELETE /api/saved_objects/<type>/<id>`.
 *
 * Our objects are found by their id or, in a second space, by their `originId`: Kibana gives a copy
 * imported into another space a new id when the id is taken in a space before it, and records ours
 * as its origin (src/core/packages/saved-objects/import-export-server-internal/src/import/lib/
 * check_conflicts.ts and check_origin_conflicts.ts in Kibana's source); a re-import overwrites that
 * copy, so planning and teardown look for it by origin.
 *
 * Which version is installed is recorded in one tag object (`mlmon-assets`) whose description
 * carries the hash of the NDJSON: a re-run with the same file is "unchanged". Hand edits to a
 * dashboard are not detected (Kibana migrates objects on import, so attributes cannot be compared
 * byte for byte); a missing object is.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { kibanaSavedObjectsPath, type SavedObject } from '../assets/kibana-objects.js';
import { MlmonError } from '../contract/errors.js';
import { versionAtLeast } from '../es/capabilities.js';
import { differences } from './compare.js';
import type { Planned, RemoveEntry } from './installer.js';

/** The importable objects `npm run kibana:build` writes. */
export const SAVED_OBJECTS_FILE = kibanaSavedObjectsPath();
/** Objects are exported for this version and import into it and every newer one (8.x and 9.x). */
export const MIN_KIBANA = [8, 8] as const;
export const MARKER_ID = 'mlmon-assets';

export interface KibanaConnection {
  url: string;
  /** a space other than the default */
  space?: string;
  headers: Record<string, string>;
}

/** KIBANA_URL with the cluster's credentials (Kibana accepts the same API key or user). */
export function kibanaFromEnv(
  url: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  space?: string,
): KibanaConnection | undefined {
  const base = url ?? env.KIBANA_URL;
  if (!base) return undefined;
  const headers: Record<string, string> = {};
  if (env.ES_API_KEY) headers.authorization = `ApiKey ${env.ES_API_KEY}`;
  else if (env.ES_USERNAME && env.ES_PASSWORD)
    headers.authorization = `Basic ${Buffer.from(`${env.ES_USERNAME}:${env.ES_PASSWORD}`).toString('base64')}`;
  return { url: base.replace(/\/$/, ''), ...(space ? { space } : {}), headers };
}

export function readSavedObjects(file = SAVED_OBJECTS_FILE): {
  text: string;
  objects: SavedObject[];
  hash: string;
} {
  const text = readFileSync(file, 'utf8');
  const objects = text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as SavedObject);
  return { text, objects, hash: createHash('sha256').update(text).digest('hex').slice(0, 16) };
}

async function kibanaRequest(
  k: KibanaConnection,
  method: string,
  path: string,
  body?: string | FormData,
  contentType?: string,
): Promise<{ status: number; body: unknown }> {
  const prefix = k.space ? `/s/${encodeURIComponent(k.space)}` : '';
  let res: Response;
  try {
    res = await fetch(`${k.url}${prefix}${path}`, {
      method,
      headers: {
        ...k.headers,
        // Kibana refuses state-changing requests without it (CSRF protection)
        'kbn-xsrf': 'true',
        ...(contentType ? { 'content-type': contentType } : {}),
      },
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new MlmonError(
      `cannot reach Kibana at ${k.url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
      {
        exit: 'connection',
        fix: 'check --kibana / KIBANA_URL and that Kibana is running (or leave both out to skip Kibana)',
        cause: err,
      },
    );
  }
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text for the message
  }
  if (res.status === 401)
    throw new MlmonError(`Kibana at ${k.url} refused the credentials (401)`, {
      exit: 'auth',
      fix: 'Kibana takes the same ES_API_KEY or ES_USERNAME / ES_PASSWORD as the cluster: check them',
    });
  if (res.status === 403)
    throw new MlmonError(
      `not allowed (403) by Kibana: ${(parsed as { message?: string })?.message ?? text}`,
      {
        exit: 'auth',
        fix: 'the user needs the Kibana privileges to manage saved objects (e.g. the kibana_admin role)',
      },
    );
  return { status: res.status, body: parsed };
}

export async function kibanaVersion(k: KibanaConnection): Promise<string> {
  const res = await kibanaRequest(k, 'GET', '/api/status');
  const version = (res.body as { version?: { number?: string } })?.version?.number;
  if (res.status !== 200 || !version)
    throw new MlmonError(`${k.url} did not answer like Kibana (GET /api/status: HTTP ${res.status})`, {
      exit: 'connection',
      fix: 'point --kibana / KIBANA_URL at Kibana itself',
    });
  return version;
}

type Found = {
  type: string;
  id: string;
  error?: { statusCode?: number };
  attributes?: Record<string, unknown>;
};

/** One page size and a bound on the pages, so a cluster with many objects cannot make this loop forever. */
const FIND_PAGE = 1000;
const FIND_MAX_PAGES = 50;

/**
 * Where each of `refs` is in this space: the object with our id, else the copy whose `originId` is
 * our id. Keyed by `type:ourId`.
 */
async function locate(
  k: KibanaConnection,
  refs: { type: string; id: string }[],
): Promise<Map<string, Found>> {
  const wanted = new Set(refs.map((r) => `${r.type}:${r.id}`));
  const out = new Map<string, Found>();
  const types = [...new Set(refs.map((r) => r.type))];
  for (let page = 1; page <= FIND_MAX_PAGES; page++) {
    const q = new URLSearchParams({ per_page: String(FIND_PAGE), page: String(page) });
    for (const t of types) q.append('type', t);
    const res = await kibanaRequest(k, 'GET', `/api/saved_objects/_find?${q}`);
    if (res.status !== 200)
      throw new MlmonError(
        `Kibana _find answered HTTP ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`,
        { exit: 'partial' },
      );
    const body = res.body as { saved_objects?: (Found & { originId?: string })[]; total?: number };
    for (const o of body.saved_objects ?? []) {
      const own = `${o.type}:${o.id}`;
      const origin = o.originId ? `${o.type}:${o.originId}` : undefined;
      // an object with our very id wins over a copy that names it as its origin
      if (wanted.has(own)) out.set(own, o);
      else if (origin && wanted.has(origin) && !out.has(origin)) out.set(origin, o);
    }
    if (page * FIND_PAGE >= (body.total ?? 0)) break;
  }
  return out;
}

function markerObject(hash: string, count: number): SavedObject {
  return {
    type: 'tag',
    id: MARKER_ID,
    attributes: {
      name: 'ml-input-monitor',
      description: `installed by mlmon setup: ${count} objects, assets ${hash}`,
      color: '#54B399',
    },
    references: [],
    coreMigrationVersion: '8.8.0',
  };
}

async function importObjects(k: KibanaConnection, ndjson: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([ndjson], { type: 'application/ndjson' }), 'mlmon-saved-objects.ndjson');
  const res = await kibanaRequest(k, 'POST', '/api/saved_objects/_import?overwrite=true', form);
  const body = res.body as {
    success?: boolean;
    successCount?: number;
    errors?: { id: string; type: string; error: { type: string; message?: string } }[];
  };
  if (res.status !== 200 || !body?.success) {
    const errors = (body?.errors ?? [])
      .map((e) => `${e.type} ${e.id}: ${e.error.message ?? e.error.type}`)
      .join('; ');
    throw new MlmonError(
      `Kibana refused the import (HTTP ${res.status}): ${errors || JSON.stringify(body).slice(0, 300)}`,
      {
        exit: 'partial',
        fix: 'Kibana must be 8.8 or newer; see the errors named above',
      },
    );
  }
  return `${body.successCount} objects imported`;
}

/** Plan entries for the Kibana objects: one per object, all applied by one import. */
export async function planKibana(
  k: KibanaConnection | undefined,
  file = SAVED_OBJECTS_FILE,
): Promise<Planned[]> {
  if (!existsSync(file))
    return [skippedEntry('saved objects', `${file} is missing: run npm run kibana:build`)];
  const { objects, hash, text } = readSavedObjects(file);
  if (!k)
    return objects.map((o) => skippedEntry(`${o.type} ${o.id}`, 'no Kibana given (--kibana or KIBANA_URL)'));
  const version = await kibanaVersion(k);
  if (!versionAtLeast(version, MIN_KIBANA[0], MIN_KIBANA[1]))
    return objects.map((o) =>
      skippedEntry(`${o.type} ${o.id}`, `Kibana ${version} is older than ${MIN_KIBANA.join('.')}`),
    );
  const marker = markerObject(hash, objects.length);
  const found = await locate(
    k,
    [...objects, marker].map(({ type, id }) => ({ type, id })),
  );
  const present = new Set(found.keys());
  const installedHash = found.get(`tag:${MARKER_ID}`)?.attributes?.description;
  const current = typeof installedHash === 'string' && installedHash.endsWith(hash);
  const ndjson = `${text.trimEnd()}\n${JSON.stringify(marker)}\n`;
  let imported: Promise<string> | undefined;
  return objects.map((o) => {
    const action = !present.has(`${o.type}:${o.id}`) ? 'create' : current ? 'unchanged' : 'update';
    return {
      kind: 'kibana_objects' as const,
      name: `${o.type} ${o.id}`,
      action,
      reason: `Kibana ${version}`,
      // every object goes in one import; the first entry that needs it runs it
      apply: () => {
        imported ??= importObjects(k, ndjson);
        return imported;
      },
    };
  });
}

function skippedEntry(name: string, reason: string): Planned {
  return { kind: 'kibana_objects', name, action: 'skip', reason };
}

export async function removeKibana(k: KibanaConnection, file = SAVED_OBJECTS_FILE): Promise<RemoveEntry[]> {
  const objects = [...(existsSync(file) ? readSavedObjects(file).objects : []), markerObject('', 0)];
  const found = await locate(k, objects);
  const out: RemoveEntry[] = [];
  for (const o of objects.reverse()) {
    const name = `${o.type} ${o.id}`;
    // in a second space the copy has an id of Kibana's choosing
    const id = found.get(`${o.type}:${o.id}`)?.id;
    if (!id) {
      out.push({ kind: 'kibana_objects', name, outcome: 'absent' });
      continue;
    }
    const res = await kibanaRequest(
      k,
      'DELETE',
      `/api/saved_objects/${o.type}/${encodeURIComponent(id)}?force=true`,
    );
    out.push({
      kind: 'kibana_objects',
      name: id === o.id ? name : `${name} (as ${id})`,
      outcome: res.status === 200 ? 'removed' : res.status === 404 ? 'absent' : 'failed',
      ...(res.status !== 200 && res.status !== 404 ? { reason: `HTTP ${res.status}` } : {}),
    });
  }
  return out;
}

/**
 * The fields of a rule we send, from what Kibana returns (it adds ids, owners, execution status, and
 * to each action its `uuid` and `connector_type_id`: Kibana alerting, x-pack/platform/plugins/shared/alerting/;
 * inferred in kibana-es-source-facts.md), so that the echo alone is never an update.
 */
export function sentFields(
  desired: Record<string, unknown>,
  installed: Record<string, unknown>,
): Record<string, unknown> {
  const out = Object.fromEntries(Object.keys(desired).map((k) => [k, installed[k]]));
  if (Array.isArray(out.actions))
    out.actions = (out.actions as Record<string, unknown>[]).map(
      ({ uuid: _u, connector_type_id: _c, ...action }) => action,
    );
  return out;
}

/**
 * Elasticsearch-query rules over the alerts stream, for clusters without Watcher (Kibana alerting
 * works on Basic): `GET` / `POST` / `PUT /api/alerting/rule/<id>`. An update may not carry
 * `rule_type_id`, `consumer` or `enabled` (the documented update body has none of them).
 */
export async function planKibanaRules(
  k: KibanaConnection,
  rules: { id: string; body: Record<string, unknown> }[],
): Promise<Planned[]> {
  const out: Planned[] = [];
  for (const rule of rules) {
    const path = `/api/alerting/rule/${encodeURIComponent(rule.id)}`;
    const res = await kibanaRequest(k, 'GET', path);
    if (res.status !== 200 && res.status !== 404)
      throw new MlmonError(`Kibana GET ${path} answered HTTP ${res.status}`, { exit: 'partial' });
    const installed = res.status === 200 ? (res.body as Record<string, unknown>) : undefined;
    const diffs = installed ? differences(rule.body, sentFields(rule.body, installed)) : [];
    const action = !installed ? 'create' : diffs.length ? 'update' : 'unchanged';
    out.push({
      kind: 'kibana_objects',
      name: `alerting rule ${rule.id}`,
      action,
      reason: 'Elasticsearch-query rule (no Watcher on this cluster)',
      ...(diffs.length ? { differences: diffs } : {}),
      apply: async () => {
        const { rule_type_id: _t, consumer: _c, enabled: _e, ...update } = rule.body;
        const put = action === 'update';
        const r = await kibanaRequest(
          k,
          put ? 'PUT' : 'POST',
          path,
          JSON.stringify(put ? update : rule.body),
          'application/json',
        );
        if (r.status !== 200)
          throw new MlmonError(
            `Kibana refused rule ${rule.id} (HTTP ${r.status}): ${JSON.stringify(r.body).slice(0, 300)}`,
            {
              exit: 'partial',
              fix: 'Kibana alerting needs xpack.encryptedSavedObjects.encryptionKey set in kibana.yml',
            },
          );
        return put ? 'updated' : 'created';
      },
    });
  }
  return out;
}

/** A rule as Kibana has it (`GET /api/alerting/rule/<id>`), or undefined when it does not exist. */
export async function kibanaRule(
  k: KibanaConnection,
  id: string,
): Promise<Record<string, unknown> | undefined> {
  const path = `/api/alerting/rule/${encodeURIComponent(id)}`;
  const res = await kibanaRequest(k, 'GET', path);
  if (res.status === 404) return undefined;
  if (res.status !== 200)
    throw new MlmonError(`Kibana GET ${path} answered HTTP ${res.status}`, { exit: 'partial' });
  return res.body as Record<string, unknown>;
}

export async function removeKibanaRules(k: KibanaConnection, ids: string[]): Promise<RemoveEntry[]> {
  const out: RemoveEntry[] = [];
  for (const id of ids) {
    const res = await kibanaRequest(k, 'DELETE', `/api/alerting/rule/${encodeURIComponent(id)}`);
    out.push({
      kind: 'kibana_objects',
      name: `alerting rule ${id}`,
      outcome:
        res.status === 204 || res.status === 200 ? 'removed' : res.status === 404 ? 'absent' : 'failed',
    });
  }
  return out;
}
