/**
 * The least-privilege roles (role API or a file-realm roles.yml) and the optional API keys, as
 * planned entries of `mlmon setup`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { type Asset, type CatalogOptions, roleAssets, roleName } from '../assets/catalog.js';
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

export function apiKeyEntries(
  caps: Capabilities,
  o: SecurityOptions,
  request: RawRequest,
  keys: ApiKey[],
): Planned[] {
  if (!o.apiKeys) return [];
  const roles = roleAssets(o).filter(
    (r) => r.name === roleName('shipper', o.namespace) || r.name === roleName('job', o.namespace),
  );
  if (!caps.security)
    return roles.map((r) => skipped('role', `${r.name} API key`, 'security is off on this cluster'));
  return roles.map((r) => ({
    kind: 'role' as const,
    name: `${r.name} API key`,
    action: 'create' as const,
    reason: 'a new key each run: printed once, never logged',
    apply: async () => {
      const { metadata, description: _d, ...descriptor } = r.body;
      const res = await request('POST', '/_security/api_key', {
        name: r.name,
        role_descriptors: { [r.name]: descriptor },
        metadata,
      });
      if (res.status !== 200) {
        throw requestFailed(`API key for ${r.name}`, res.status, res.body);
      }
      const b = res.body as { id: string; encoded: string };
      keys.push({ role: r.name, id: b.id, encoded: b.encoded });
      return `id ${b.id}`;
    },
  }));
}

export interface ApiKey {
  role: string;
  id: string;
  /** the value for ES_API_KEY: shown once */
  encoded: string;
}
