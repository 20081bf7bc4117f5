/**
 * `mlmon setup`: detect what the cluster can do, then plan / apply / check / tear down the
 * product's assets. Each capability missing is a skip with its reason, never a silent gap.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { Baseline } from '../baseline/types.js';
import { MlmonError } from '../errors.js';
import type { RawRequest } from '../es/raw-request.js';
import type { Rules } from '../rules/rule-settings.js';
import { type Capabilities, detectCapabilities, versionAtLeast } from './capabilities.js';
import {
  type Asset,
  type AssetKind,
  type Body,
  type CatalogOptions,
  elasticsearchAssets,
  PACKAGE_VERSION,
  pipelineAssetsFor,
  roleAssets,
  roleName,
} from './catalog.js';
import {
  type ApplyReport,
  applyPlan,
  type Planned,
  planAssets,
  type RemoveEntry,
  removeAssets,
  skipped,
} from './installer.js';
import {
  type KibanaConnection,
  planKibana,
  planKibanaRules,
  removeKibana,
  removeKibanaRules,
} from './kibana.js';
import { renderKibanaRules } from './kibana-rules.js';
import { requestFailed } from './kinds.js';
import { baselinePipelines, pipelineAssets, predictionsPipelineId } from './pipelines.js';
import { renderWatches } from './watches.js';

/** The oldest Elasticsearch this version supports (the 9.x client's compatibility headers need 9.0). */
export const MIN_ELASTICSEARCH = [9, 0] as const;

export interface SetupOptions extends CatalogOptions {
  /** write the roles in file-realm `roles.yml` format here instead of the role API */
  rolesFile?: string;
  /** create API keys for the shipper and the job (printed once, never logged) */
  apiKeys?: boolean;
  /** Kibana to install data views and dashboards into; without it they are skipped */
  kibana?: KibanaConnection;
  /** the stored baselines: each gets its vocabulary pipeline (where the cluster has ingest) */
  baselines?: Baseline[];
  /** install only these kinds (e.g. the pipelines alone on an ingest-only cluster) */
  only?: AssetKind[];
  /** the job's rules, metrics namespace and webhook: the watches mirror them (mlmon.yml) */
  watches?: { rules?: Rules; namespace: string; webhookUrl?: string; interval?: string };
}

/** One watch per rule family, from the job's own rules, as assets. */
export function watchAssets(o: SetupOptions): Asset[] {
  const w = o.watches ?? { namespace: o.namespace ?? 'default' };
  return renderWatches({
    namespace: o.namespace ?? w.namespace,
    ...(w.rules ? { rules: w.rules } : {}),
    ...(w.webhookUrl ? { webhookUrl: w.webhookUrl } : {}),
    ...(w.interval ? { interval: w.interval } : {}),
  }).map((r) => {
    const body = r.body as unknown as Body;
    const meta = (body.metadata as Body | undefined) ?? {};
    const version = typeof meta.asset_version === 'number' ? meta.asset_version : 1;
    return {
      kind: 'watch' as const,
      name: r.id,
      version,
      body: { ...body, metadata: { ...meta, package_version: PACKAGE_VERSION } },
    };
  });
}

/** Ingest pipelines need the script processor with Painless (the tokenizer and derived fields). */
export function hasIngest(caps: Capabilities): boolean {
  return caps.painless && ['script', 'pipeline', 'set'].every((p) => caps.ingestProcessors.includes(p));
}

function pipelinePrefix(o: CatalogOptions): string {
  return o.namespace ? `mlmon-${o.namespace}` : 'mlmon';
}

function pipelineEntries(caps: Capabilities, o: SetupOptions): { assets: Asset[]; skipped: Planned[] } {
  const opts = {
    prefix: pipelinePrefix(o),
    engine: caps.engine,
    ...(o.namespace ? { fallbackDeadLetterIndex: `logs-mlmon.dead_letters-${o.namespace}` } : {}),
  };
  const all = [...pipelineAssets(opts), ...baselinePipelines(o.baselines ?? [], opts)];
  if (hasIngest(caps)) return { assets: pipelineAssetsFor(all, caps.engine), skipped: [] };
  return {
    assets: [],
    skipped: all.map((p) =>
      skipped(
        'ingest_pipeline',
        p.id,
        'no ingest script processor with Painless on this cluster: documents from other shippers are not derived (the transport derives its own)',
        p.body.version,
      ),
    ),
  };
}

export interface SetupPlan {
  capabilities: Capabilities;
  entries: Planned[];
  /** what the capabilities decided, in words (what is used, what is skipped and why) */
  notes: string[];
}

function capabilityNotes(caps: Capabilities, o: SetupOptions): string[] {
  const notes: string[] = [];
  notes.push(
    caps.failureStore
      ? 'failure store: on for new prediction streams (documents the cluster rejects are kept there)'
      : 'failure store: not on this cluster; the transport keeps rejected documents in the dead-letter stream',
  );
  if (!caps.ilm) notes.push('ILM: not on this cluster; retention by the data stream lifecycle');
  else if (!o.ilm) notes.push('ILM: available; retention by the data stream lifecycle (--ilm to use ILM)');
  if (!caps.security) notes.push('security: off on this cluster; roles skipped');
  notes.push(
    hasIngest(caps)
      ? 'ingest: pipelines installed; prediction streams derive fields of documents from other shippers'
      : 'ingest: no script processor with Painless here; pipelines skipped (the transport derives its own documents)',
  );
  notes.push(
    caps.watcher
      ? `Watcher: license ${caps.license} has it; watches installed`
      : `Watcher: ${caps.license ? `license ${caps.license} has no Watcher` : 'not on this cluster'}; alerts come from \`mlmon run\` (the job)`,
  );
  if (!o.kibana) notes.push('Kibana: none given (--kibana or KIBANA_URL); data views and dashboards skipped');
  return notes;
}

/** One line for a cluster that is too old or not what we support. */
export function checkSupported(caps: Capabilities): void {
  if (
    caps.engine === 'elasticsearch' &&
    !versionAtLeast(caps.version, MIN_ELASTICSEARCH[0], MIN_ELASTICSEARCH[1])
  )
    throw new MlmonError(
      `Elasticsearch ${caps.version} is too old: mlmon needs ${MIN_ELASTICSEARCH.join('.')} or newer`,
      {
        exit: 'config',
        fix: 'upgrade the cluster (docker-compose.yml in the repository runs a supported version)',
      },
    );
}

export async function detect(request: RawRequest): Promise<Capabilities> {
  try {
    return await detectCapabilities(request);
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    // an 8.x node refuses the 9.x client's `compatible-with=9` headers before anything else
    if (/Accept version must be either version 8 or 7/i.test(text))
      throw new MlmonError('the cluster is Elasticsearch 8.x or older: mlmon needs 9.0 or newer', {
        exit: 'config',
        fix: 'upgrade the cluster to Elasticsearch 9',
        cause: err,
      });
    if (/HTTP 403/.test(text))
      throw new MlmonError(
        `not allowed (403) to read what the cluster can do: ${text.replace(/^.*?HTTP 403: /, '').slice(0, 400)}`,
        {
          exit: 'auth',
          fix: 'run setup as a user with the privileges README "Roles" lists for setup (the missing one is named above); nothing was applied',
          cause: err,
        },
      );
    if (/HTTP 401/.test(text))
      throw new MlmonError(`the cluster refused the credentials (401)`, {
        exit: 'auth',
        fix: 'check ES_API_KEY, or ES_USERNAME and ES_PASSWORD',
        cause: err,
      });
    throw err;
  }
}

function roleEntries(
  caps: Capabilities,
  o: SetupOptions,
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

function apiKeyEntries(caps: Capabilities, o: SetupOptions, request: RawRequest, keys: ApiKey[]): Planned[] {
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

export async function planSetup(
  request: RawRequest,
  o: SetupOptions,
  keys: ApiKey[] = [],
): Promise<SetupPlan> {
  const capabilities = await detect(request);
  checkSupported(capabilities);
  const entries: Planned[] = [];
  const useIlm = Boolean(o.ilm && capabilities.ilm);
  if (o.ilm && !capabilities.ilm)
    entries.push(
      skipped(
        'ilm_policy',
        'mlmon-*-lifecycle',
        'this cluster has no ILM: retention stays with the data stream lifecycle',
      ),
    );
  const pipelines = pipelineEntries(capabilities, o);
  entries.push(...pipelines.skipped);
  const defaultPipeline = pipelines.assets.length
    ? predictionsPipelineId({ prefix: pipelinePrefix(o) })
    : undefined;
  const esAssets = elasticsearchAssets({
    ...o,
    ilm: useIlm,
    failureStore: capabilities.failureStore,
    ...(defaultPipeline ? { defaultPipeline } : {}),
  });
  // pipelines before the index template that names one as its default
  const firstTemplate = esAssets.findIndex((a) => a.kind === 'index_template');
  esAssets.splice(firstTemplate, 0, ...pipelines.assets);
  entries.push(...(await planAssets(request, esAssets)));
  entries.push(...(await roleEntries(capabilities, o, request)));
  entries.push(...apiKeyEntries(capabilities, o, request, keys));
  const watches = watchAssets(o);
  if (capabilities.watcher) entries.push(...(await planAssets(request, watches)));
  else
    entries.push(
      ...watches.map((w) =>
        skipped(
          'watch',
          w.name,
          capabilities.license
            ? `license ${capabilities.license} has no Watcher: alerts come from \`mlmon run\``
            : 'no Watcher on this cluster: alerts come from `mlmon run`',
          w.version,
        ),
      ),
    );
  entries.push(...(await planKibana(o.kibana)));
  // without Watcher, Kibana's own alerting (Basic) can still notify on the job's alert events
  if (o.kibana && !capabilities.watcher)
    entries.push(
      ...(await planKibanaRules(
        o.kibana,
        renderKibanaRules({ namespace: o.namespace ?? o.watches?.namespace ?? 'default' }) as unknown as {
          id: string;
          body: Body;
        }[],
      )),
    );
  const only = o.only;
  return {
    capabilities,
    entries: only ? entries.filter((e) => only.includes(e.kind)) : entries,
    notes: capabilityNotes(capabilities, o),
  };
}

export async function applySetup(request: RawRequest, plan: SetupPlan): Promise<ApplyReport> {
  return applyPlan(request, plan.entries);
}

/** Entries that differ from what this version installs (`--check`). */
export function drift(plan: SetupPlan): Planned[] {
  return plan.entries
    .filter((e) => e.action === 'create' || e.action === 'update')
    .filter((e) => !e.name.endsWith('API key'));
}

export async function teardown(
  request: RawRequest,
  o: CatalogOptions & {
    keepData: boolean;
    kibana?: KibanaConnection;
    baselines?: Baseline[];
    watches?: SetupOptions['watches'];
  },
): Promise<{ entries: RemoveEntry[]; error?: MlmonError }> {
  const caps = await detect(request);
  const ruleIds = renderKibanaRules({ namespace: o.namespace ?? o.watches?.namespace ?? 'default' }).map(
    (r) => r.id,
  );
  const kibana = o.kibana
    ? [...(await removeKibanaRules(o.kibana, ruleIds)), ...(await removeKibana(o.kibana))]
    : [];
  // a namespace's teardown leaves what every namespace shares
  // policies go too when the cluster has ILM, whether or not this install used them
  const assets = elasticsearchAssets({ ...o, ilm: caps.ilm }).filter((a) => !(o.namespace && a.shared));
  if (hasIngest(caps)) {
    const p = pipelineEntries(caps, o);
    assets.splice(
      assets.findIndex((a) => a.kind === 'index_template'),
      0,
      ...p.assets,
    );
  }
  const roles = caps.security ? roleAssets(o) : [];
  if (caps.watcher) roles.push(...watchAssets(o));
  const removed = await removeAssets(request, [...assets, ...roles], { keepData: o.keepData });
  return { ...removed, entries: [...kibana, ...removed.entries] };
}
