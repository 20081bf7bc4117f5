/**
 * How each kind of asset is read, written and removed over the REST API. Requests go through
 * `RawRequest`, so the installer works on any engine that speaks the API (the ingest pipelines are
 * tested on the OpenSearch ingest engine, which the official client refuses).
 */

import { createHash } from 'node:crypto';
import type { Asset, AssetKind, Body } from '../assets/catalog.js';
import { ExitCode, MlmonError } from '../contract/errors.js';
import type { RawRequest } from '../es/raw-request.js';
import { requestFailed } from '../es/request-error.js';
import { flattenSettings } from './compare.js';

export interface KindOps {
  /** what the cluster holds, in the shape we send; undefined when absent */
  read(request: RawRequest, name: string, desired: Body): Promise<Body | undefined>;
  create(request: RawRequest, asset: Asset): Promise<void>;
  update(request: RawRequest, asset: Asset): Promise<void>;
  remove(request: RawRequest, name: string): Promise<'removed' | 'absent'>;
  /** paths the cluster adds or that never count as a change */
  ignore: string[];
}

const enc = encodeURIComponent;

async function call(request: RawRequest, what: string, method: string, path: string, body?: unknown) {
  const res = await request(method, path, body);
  if (res.status >= 200 && res.status < 300) return res.body as Body;
  throw requestFailed(what, res.status, res.body);
}

async function readAt(request: RawRequest, what: string, path: string): Promise<Body | undefined> {
  const res = await request('GET', path);
  if (res.status === 404) return undefined;
  if (res.status >= 200 && res.status < 300) return res.body as Body;
  throw requestFailed(what, res.status, res.body);
}

async function removeAt(request: RawRequest, what: string, path: string): Promise<'removed' | 'absent'> {
  const res = await request('DELETE', path);
  if (res.status === 404) return 'absent';
  if (res.status >= 200 && res.status < 300) return 'removed';
  throw requestFailed(what, res.status, res.body);
}

/** GET/PUT/DELETE at one path, the body under `unwrap` in GET answers. */
function simple(
  label: string,
  pathOf: (name: string) => string,
  unwrap: (answer: Body, name: string) => Body | undefined,
  ignore: string[],
  wrap: (body: Body) => Body = (b) => b,
): KindOps {
  const put = async (request: RawRequest, a: Asset) => {
    await call(request, `${label} ${a.name}`, 'PUT', pathOf(a.name), wrap(a.body));
  };
  return {
    async read(request, name) {
      const answer = await readAt(request, `${label} ${name}`, pathOf(name));
      return answer ? unwrap(answer, name) : undefined;
    },
    create: put,
    update: put,
    remove: (request, name) => removeAt(request, `${label} ${name}`, pathOf(name)),
    ignore,
  };
}

/** The same operations, with a fix added to the errors of create and update. */
function withFix(ops: KindOps, fix: string): KindOps {
  const wrap =
    (op: KindOps['create']): KindOps['create'] =>
    async (request, asset) => {
      try {
        await op(request, asset);
      } catch (err) {
        if (!(err instanceof MlmonError) || err.exitCode === ExitCode.connection) throw err;
        throw new MlmonError(err.message, {
          exit: err.exitCode === ExitCode.auth ? 'auth' : 'partial',
          fix,
          cause: err,
        });
      }
    };
  return { ...ops, create: wrap(ops.create), update: wrap(ops.update) };
}

const VERSION_STAMPS = ['_meta.package_version', 'created_date_millis', 'modified_date_millis'];

const pick = (o: Body | undefined, key: string) => (o?.[key] as Body | undefined) ?? undefined;

/** A plain index: mappings compared whole, settings only where we set them; updates add mappings. */
const indexOps: KindOps = {
  async read(request, name, desired) {
    const answer = await readAt(request, `index ${name}`, `/${enc(name)}`);
    const index = pick(answer, name);
    if (!index) return undefined;
    const wanted = Object.keys(flattenSettings(desired.settings)).map((k) => k.replace(/^index\./, ''));
    const have = flattenSettings(pick(index, 'settings'));
    const settings: Body = {};
    for (const k of wanted) if (have[`index.${k}`] !== undefined) settings[`index.${k}`] = have[`index.${k}`];
    return { settings, mappings: index.mappings };
  },
  async create(request, a) {
    await call(request, `index ${a.name}`, 'PUT', `/${enc(a.name)}`, a.body);
  },
  async update(request, a) {
    await call(request, `index ${a.name} mappings`, 'PUT', `/${enc(a.name)}/_mapping`, a.body.mappings);
  },
  remove: (request, name) => removeAt(request, `index ${name}`, `/${enc(name)}`),
  ignore: [],
};

export const kinds: Record<Exclude<AssetKind, 'kibana_objects'>, KindOps> = {
  component_template: simple(
    'component template',
    (n) => `/_component_template/${enc(n)}`,
    (a) => pick((a.component_templates as Body[] | undefined)?.[0], 'component_template'),
    VERSION_STAMPS,
  ),
  index_template: simple(
    'index template',
    (n) => `/_index_template/${enc(n)}`,
    (a) => pick((a.index_templates as Body[] | undefined)?.[0], 'index_template'),
    // the cluster fills in `enabled` of a lifecycle it was given
    [...VERSION_STAMPS, 'template.lifecycle.enabled'],
  ),
  ilm_policy: simple(
    'ILM policy',
    (n) => `/_ilm/policy/${enc(n)}`,
    (a, n) => pick(pick(a, n), 'policy'),
    VERSION_STAMPS,
    (policy) => ({ policy }),
  ),
  ingest_pipeline: simple(
    'ingest pipeline',
    (n) => `/_ingest/pipeline/${enc(n)}`,
    (a, n) => pick(a, n),
    VERSION_STAMPS,
  ),
  index: indexOps,
  role: withFix(
    simple(
      'role',
      (n) => `/_security/role/${enc(n)}`,
      (a, n) => pick(a, n),
      ['metadata.package_version', 'transient_metadata'],
    ),
    'where the cluster cannot store roles (or roles are managed in files), write them for the file realm with --roles-file <path>',
  ),
  watch: watchOps(),
};

/**
 * Watches are compared by a hash of what we PUT, kept in their metadata: `GET _watcher/watch`
 * re-serializes the stored watch (`Watch.toXContent`, x-pack/plugin/watcher/src/main/java/org/elasticsearch/xpack/watcher/):
 * `throttle_period_in_millis` instead of `throttle_period`, `op_type` possibly upper-cased, defaults
 * filled in. A field-by-field compare saw a change on every run and re-PUT every watch, which resets
 * its action state (throttling, acknowledgement). Watches without a hash compare field by field.
 */
function watchOps(): KindOps {
  const base = simple(
    'watch',
    (n) => `/_watcher/watch/${enc(n)}`,
    (a) => pick(a, 'watch'),
    ['metadata.package_version', 'status'],
  );
  return {
    ...base,
    async read(request, name, desired) {
      const installed = await base.read(request, name, desired);
      const hash = (b: Body | undefined) => pick(b, 'metadata')?.content_hash;
      if (installed && hash(desired) !== undefined && hash(installed) === hash(desired)) return desired;
      return installed;
    },
  };
}

/** The hash a watch carries in `metadata.content_hash`: of its body without the hash and the package version. */
export function watchContentHash(body: Body): string {
  const { content_hash: _h, package_version: _p, ...metadata } = (pick(body, 'metadata') ?? {}) as Body;
  return createHash('sha256')
    .update(canonicalJson({ ...body, metadata }))
    .digest('hex')
    .slice(0, 32);
}

/** JSON with object keys sorted, so equal bodies hash alike whatever their key order. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Body)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** The asset version the cluster holds: `version`, else `_meta.asset_version` / `metadata.asset_version`. */
export function installedVersion(body: Body | undefined): number | undefined {
  if (!body) return undefined;
  const v =
    (body.version as number | undefined) ??
    (pick(body, '_meta')?.asset_version as number | undefined) ??
    (pick(body, 'metadata')?.asset_version as number | undefined) ??
    (pick(pick(body, 'mappings'), '_meta')?.asset_version as number | undefined);
  return typeof v === 'number' ? v : undefined;
}
