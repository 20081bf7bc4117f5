/**
 * What `mlmon setup` installs: the asset data files under `assets/elasticsearch/` (and, from other
 * modules, pipelines, watches and Kibana objects), stamped with product and version, optionally
 * scoped to one data-stream namespace.
 */
import { ConfigError } from '../contract/errors.js';
import {
  type AssetFamily,
  INDEX_FAMILIES,
  type IndexFamily,
  PRODUCT,
  STREAM_FAMILIES,
  type StreamFamily,
  validateNamespace,
} from '../contract/streams.js';
import { ASSET_PATHS } from './layout.js';
import { packageVersion, readJsonAsset } from './package-files.js';

export { INDEX_FAMILIES, PRODUCT, STREAM_FAMILIES, type StreamFamily };

export type AssetKind =
  | 'component_template'
  | 'ilm_policy'
  | 'ingest_pipeline'
  | 'index_template'
  | 'index'
  | 'role'
  | 'watch'
  | 'kibana_objects';

export type Body = Record<string, unknown>;

export interface Asset {
  kind: AssetKind;
  name: string;
  /** the asset's own version (`version` in the body, or its `_meta.asset_version`) */
  version: number;
  body: Body;
  /** shared by every namespace: a namespace's teardown leaves it */
  shared?: boolean;
}

type Family = AssetFamily;

/** Cluster-wide templates rank 250 (above the built-in 100-200); one namespace's rank above them. */
const GLOBAL_PRIORITY = 250;
const NAMESPACE_PRIORITY = 260;

export interface CatalogOptions {
  /** install for this data-stream namespace only (`logs-mlmon.predictions-<namespace>` ...) */
  namespace?: string;
  /** data-stream retention per family, e.g. `{ predictions: '7d' }` (defaults in the template files) */
  retention?: Partial<Record<StreamFamily, string>>;
  /** manage retention with this ILM policy instead of the data stream lifecycle */
  ilm?: boolean;
  /** keep documents the cluster rejects in the prediction streams' failure store (8.19+ / 9.1+) */
  failureStore?: boolean;
  /** the ingest pipeline prediction streams run by default (where the cluster has ingest) */
  defaultPipeline?: string;
}

const RETENTION = /^\d+(d|h|m|s)$/;

export function validateCatalogOptions(o: CatalogOptions): void {
  if (o.namespace !== undefined) validateNamespace(o.namespace);
  for (const [family, value] of Object.entries(o.retention ?? {})) {
    if (!(STREAM_FAMILIES as readonly string[]).includes(family))
      throw new ConfigError(
        'retention',
        `unknown data stream "${family}"`,
        `use ${STREAM_FAMILIES.join(', ')}`,
      );
    if (typeof value !== 'string' || !RETENTION.test(value))
      throw new ConfigError(`retention.${family}`, `"${value}" is not a retention`, 'write it as 30d or 12h');
  }
}

/** `predictions=7d,metrics=90d` → `{ predictions: '7d', metrics: '90d' }` */
export function parseRetention(text: string): Partial<Record<StreamFamily, string>> {
  const out: Record<string, string> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [family, value] = part.split('=');
    if (!family || !value)
      throw new ConfigError('retention', `"${part}" is not family=duration`, 'e.g. predictions=7d');
    out[family] = value;
  }
  const parsed = out as Partial<Record<StreamFamily, string>>;
  validateCatalogOptions({ retention: parsed });
  return parsed;
}

function stamp(body: Body, version: number): Body {
  const meta = (body._meta as Body | undefined) ?? {};
  return {
    ...body,
    _meta: { ...meta, managed_by: PRODUCT, asset_version: version, package_version: packageVersion() },
  };
}

/** Names of one family's assets, global or for one namespace. */
export function familyNames(family: Family, namespace?: string) {
  const base = `mlmon-${family}`;
  const name = namespace ? `${base}-${namespace}` : base;
  return {
    indexTemplate: name,
    component: `${name}@package`,
    custom: `${name}@custom`,
    index: name,
    ilmPolicy: `${name}-lifecycle`,
  };
}

function streamPattern(pattern: string, namespace?: string): string {
  return namespace ? pattern.replace(/-\*$/, `-${namespace}`) : pattern;
}

function ilmPolicy(name: string, retention: string): Asset {
  const policy = readJsonAsset<Body>(ASSET_PATHS.ilmPolicy);
  const version = (policy._meta as { asset_version: number }).asset_version;
  const phases = policy.phases as { delete: { min_age: string } };
  phases.delete.min_age = retention;
  const { note: _note, ...meta } = policy._meta as Body;
  return { kind: 'ilm_policy', name, version, body: stamp({ ...policy, _meta: meta }, version) };
}

function templateAssets(family: Family, o: CatalogOptions): Asset[] {
  const isStream = (STREAM_FAMILIES as readonly string[]).includes(family);
  // baselines and job state are shared by every namespace
  const namespace = isStream ? o.namespace : undefined;
  const names = familyNames(family, namespace);
  const component = readJsonAsset<Body>(ASSET_PATHS.componentTemplate(family));
  const index = readJsonAsset<Body>(ASSET_PATHS.indexTemplate(family));
  const componentVersion = component.version as number;
  const indexVersion = index.version as number;

  const template = { ...((index.template as Body | undefined) ?? {}) };
  const ilm: Asset[] = [];
  if (isStream) {
    const retention =
      o.retention?.[family as StreamFamily] ??
      ((template.lifecycle as { data_retention?: string } | undefined)?.data_retention as string);
    if (o.ilm) {
      // ILM wins over the data stream lifecycle only where the index says so (prefer_ilm)
      delete template.lifecycle;
      template.settings = { 'index.lifecycle.name': names.ilmPolicy, 'index.lifecycle.prefer_ilm': true };
      ilm.push(ilmPolicy(names.ilmPolicy, retention));
    } else template.lifecycle = { data_retention: retention };
    if (o.failureStore && family === 'predictions')
      template.data_stream_options = { failure_store: { enabled: true } };
    if (o.defaultPipeline && family === 'predictions')
      template.settings = {
        ...((template.settings as Body | undefined) ?? {}),
        'index.default_pipeline': o.defaultPipeline,
      };
  }
  const indexBody: Body = {
    ...index,
    index_patterns: (index.index_patterns as string[]).map((p) => streamPattern(p, namespace)),
    priority: namespace ? NAMESPACE_PRIORITY : GLOBAL_PRIORITY,
    composed_of: [names.component, names.custom],
    ignore_missing_component_templates: [names.custom],
    ...(Object.keys(template).length ? { template } : {}),
  };
  const shared = !isStream;
  const assets: Asset[] = [
    ...ilm,
    {
      kind: 'component_template',
      name: names.component,
      version: componentVersion,
      body: stamp(component, componentVersion),
      shared,
    },
    {
      kind: 'index_template',
      name: names.indexTemplate,
      version: indexVersion,
      body: stamp(indexBody, indexVersion),
      shared,
    },
  ];
  if (!isStream) {
    // the index itself, so the job and the baseline store find it with the right mappings
    assets.push({
      kind: 'index',
      name: names.index,
      version: componentVersion,
      body: component.template as Body,
      shared,
    });
  }
  return assets;
}

/** The Elasticsearch assets of this version, in install order. */
export function elasticsearchAssets(o: CatalogOptions = {}): Asset[] {
  validateCatalogOptions(o);
  const assets = [...STREAM_FAMILIES, ...INDEX_FAMILIES].flatMap((f) => templateAssets(f, o));
  // install order: components and policies before the index templates that use them, indices last
  const order: AssetKind[] = ['component_template', 'ilm_policy', 'index_template', 'index'];
  return assets.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
}

export const ROLES = ['shipper', 'job', 'reader', 'labeler'] as const;
export type RoleName = (typeof ROLES)[number];

/** The least-privilege roles, their index patterns narrowed to the namespace when there is one. */
export function roleAssets(o: CatalogOptions = {}): Asset[] {
  const pattern = o.namespace ?? '*';
  return ROLES.map((role) => {
    const text = JSON.stringify(readJsonAsset<Body>(ASSET_PATHS.role(role)));
    const body = JSON.parse(text.replaceAll('{namespace}', pattern)) as Body;
    const metadata = body.metadata as { asset_version: number };
    return {
      kind: 'role' as const,
      name: roleName(role, o.namespace),
      version: metadata.asset_version,
      body: { ...body, metadata: { ...metadata, managed_by: PRODUCT, package_version: packageVersion() } },
    };
  });
}

export function roleName(role: RoleName, namespace?: string): string {
  return namespace ? `mlmon-${role}-${namespace}` : `mlmon-${role}`;
}

/** The settings and mappings of a plain index of the product (`baselines`, `job-state`). */
export function indexBody(family: IndexFamily): Body {
  return readJsonAsset<Body>(ASSET_PATHS.componentTemplate(family)).template as Body;
}

/** The ingest pipelines (static ones, then one per baseline), stamped like the other assets. */
export function pipelineAssetsFor(
  pipelines: { id: string; body: { version: number; _meta?: Record<string, unknown> } }[],
  engine: 'elasticsearch' | 'opensearch',
): Asset[] {
  return pipelines.map((p) => {
    const { _meta, ...body } = p.body as Body & { version: number };
    return {
      kind: 'ingest_pipeline' as const,
      name: p.id,
      version: p.body.version,
      // OpenSearch refuses a pipeline's _meta; `version` alone identifies ours there
      body: engine === 'opensearch' ? body : stamp({ ...body, _meta: _meta ?? {} }, p.body.version),
    };
  });
}
