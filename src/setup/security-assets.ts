/**
 * The least-privilege roles (role API or a file-realm roles.yml) and the optional API keys, as
 * planned entries of `mlmon setup`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { type Asset, type CatalogOptions, roleAssets, roleName } from '../assets/catalog.js';
import { ConfigError } from '../contract/errors.js';
import type { Capabilities } from '../es/capabilities.js';
import type { RawRequest } from '../es/raw-request.js';
import { requestFailed } from '../es/request-error.js';
import { type Planned, planAssets, skipped } from './installer.js';

/** What setup's options say about roles and keys. */
export interface SecurityOptions extends CatalogOptions {
  /** write the roles in file-realm `roles.yml` format here instead of the role API */
  rolesFile?: string;
  /** create API keys for the shipper and the job (printed once, never logged) */
  apiKeys?: boolean;
  /** the keys' lifetime in Elasticsearch's units (default DEFAULT_API_KEY_EXPIRATION) */
  apiKeyExpiration?: string;
  /** replace the active keys: create new ones, then invalidate the old */
  rotateApiKeys?: boolean;
}

export function roleEntries(
  caps: Capabilities,
  o: SecurityOptions,
  request: RawRequest,
): Promise<Planned[]> | Planned[] {
  const roles = roleAssets(o);
  if (o.rolesFile) {
    const file = o.rolesFile;
    const text = rolesYaml(roles);
    const same = existsSync(file) && readFileSync(file, 'utf8') === text;
    return roles.map((r, i) => ({
      kind: 'role' as const,
      name: r.name,
      version: r.version,
      action: same ? ('unchanged' as const) : ('create' as const),
      reason: `file realm: ${file}`,
      // one write for all three
      ...(i === 0 && !same
        ? {
            apply: async () => {
              writeFileSync(file, text, { mode: 0o644 });
              return `written to ${file}`;
            },
          }
        : {}),
    }));
  }
  if (!caps.security)
    return roles.map((r) =>
      skipped('role', r.name, 'security is off on this cluster: roles would not be enforced', r.version),
    );
  return planAssets(request, roles);
}

/** Roles in the file realm's `roles.yml` format (for clusters managed by files, or without a role store). */
export function rolesYaml(roles: Asset[]): string {
  const doc: Record<string, unknown> = {};
  for (const r of roles) {
    const { description: _d, ...body } = r.body;
    doc[r.name] = body;
  }
  return `# ml-input-monitor roles (mlmon setup --roles-file)\n${stringify(doc)}`;
}

/** How long a new API key lives unless `--api-key-expiration` says otherwise. */
export const DEFAULT_API_KEY_EXPIRATION = '90d';

/** Elasticsearch's time units for an API key's `expiration`, whole and positive. */
export function validApiKeyExpiration(v: string): string {
  if (!/^[1-9]\d*(d|h|m|s)$/.test(v))
    throw new ConfigError('--api-key-expiration', `"${v}" is not a duration`, 'write it as 90d, 720h or 30m');
  return v;
}

interface ActiveKey {
  id: string;
  expiration?: number;
}

/**
 * The active keys of one name (`GET /_security/api_key?name=&active_only=true`); invalidated or
 * expired ones are left out here too, for clusters that ignore `active_only`.
 */
async function activeKeys(request: RawRequest, name: string): Promise<ActiveKey[]> {
  const res = await request('GET', `/_security/api_key?name=${encodeURIComponent(name)}&active_only=true`);
  // a name without keys is an empty list; some versions answer 404
  if (res.status === 404) return [];
  if (res.status !== 200) throw requestFailed(`looking up the API keys named ${name}`, res.status, res.body);
  const now = Date.now();
  const keys = (res.body as { api_keys?: { id: string; invalidated?: boolean; expiration?: number }[] })
    .api_keys;
  return (keys ?? [])
    .filter((k) => !k.invalidated && (k.expiration === undefined || k.expiration > now))
    .map((k) => (k.expiration === undefined ? { id: k.id } : { id: k.id, expiration: k.expiration }));
}

const expires = (k: ActiveKey) =>
  k.expiration === undefined ? 'no expiration' : `expires ${new Date(k.expiration).toISOString()}`;

/**
 * One key per role (the shipper's and the job's), named after the role so a rerun finds it. A rerun
 * keeps an active key and creates none; `rotate` creates a new one and then invalidates the old.
 */
export async function apiKeyEntries(
  caps: Capabilities,
  o: SecurityOptions,
  request: RawRequest,
  keys: ApiKey[],
): Promise<Planned[]> {
  if (!o.apiKeys) return [];
  const roles = roleAssets(o).filter(
    (r) => r.name === roleName('shipper', o.namespace) || r.name === roleName('job', o.namespace),
  );
  if (!caps.security)
    return roles.map((r) => skipped('role', `${r.name} API key`, 'security is off on this cluster'));
  const expiration = o.apiKeyExpiration ?? DEFAULT_API_KEY_EXPIRATION;
  const out: Planned[] = [];
  for (const r of roles) {
    const entry = { kind: 'role' as const, name: `${r.name} API key` };
    let existing: ActiveKey[];
    try {
      existing = await activeKeys(request, r.name);
    } catch (err) {
      // without knowing what exists, nothing is created: a rerun would stack up keys
      out.push({
        ...entry,
        action: 'create',
        reason: 'the existing keys could not be looked up',
        apply: async () => {
          throw err;
        },
      });
      continue;
    }
    const create = async (): Promise<string> => {
      const { metadata, description: _d, ...descriptor } = r.body;
      const res = await request('POST', '/_security/api_key', {
        name: r.name,
        expiration,
        role_descriptors: { [r.name]: descriptor },
        metadata,
      });
      if (res.status !== 200) throw requestFailed(`API key for ${r.name}`, res.status, res.body);
      const b = res.body as { id: string; encoded: string; expiration?: number };
      keys.push({ role: r.name, id: b.id, encoded: b.encoded });
      return b.id;
    };
    if (existing.length && !o.rotateApiKeys) {
      out.push({
        ...entry,
        action: 'unchanged',
        reason: `active key ${existing.map((k) => `${k.id} (${expires(k)})`).join(', ')} kept, no new key; its secret was shown when it was created; --rotate replaces it`,
      });
    } else if (existing.length) {
      const old = existing.map((k) => k.id);
      out.push({
        ...entry,
        action: 'update',
        reason: `rotate: a new key (expires in ${expiration}), then ${old.join(', ')} invalidated`,
        apply: async () => {
          const id = await create();
          const res = await request('DELETE', '/_security/api_key', { ids: old });
          const body = res.body as { invalidated_api_keys?: string[]; error_count?: number };
          if (res.status !== 200 || (body.error_count ?? 0) > 0)
            throw requestFailed(
              `created key ${id}, but invalidating ${old.join(', ')}`,
              res.status,
              res.body,
            );
          return `new key ${id} (expires in ${expiration}); invalidated ${(body.invalidated_api_keys ?? old).join(', ')}`;
        },
      });
    } else {
      out.push({
        ...entry,
        action: 'create',
        reason: `expires in ${expiration}: printed once, never logged`,
        apply: async () => `id ${await create()} (expires in ${expiration})`,
      });
    }
  }
  return out;
}

export interface ApiKey {
  role: string;
  id: string;
  /** the value for ES_API_KEY: shown once */
  encoded: string;
}
