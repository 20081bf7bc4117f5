/**
 * `mlmon setup`: detect what the cluster can do, then plan / apply / check / tear down the
 * product's assets. Each capability missing is a skip with its reason, never a silent gap.
 */
import {
  type Asset,
  type AssetKind,
  type Body,
  type CatalogOptions,
  elasticsearchAssets,
  pipelineAssetsFor,
  roleAssets,
} from '../assets/catalog.js';
import { packageVersion } from '../assets/package-files.js';
import type { Baseline } from '../contract/baseline-document.js';
import type { MlmonError } from '../contract/errors.js';
import { DEFAULT_NAMESPACE, deadLettersStream } from '../contract/streams.js';
import type { Capabilities } from '../es/capabilities.js';
import type { RawRequest } from '../es/raw-request.js';
import type { Rules } from '../rules/rule-settings.js';
import { capabilityNotes, checkSupported, detect, hasIngest } from './cluster-support.js';
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
import { watchContentHash } from './kinds.js';
import { baselinePipelines, pipelineAssets, predictionsPipelineId } from './pipelines.js';
import { type ApiKey, apiKeyEntries, roleEntries, type SecurityOptions } from './security-assets.js';
import { renderWatches } from './watches.js';

export interface SetupOptions extends SecurityOptions {
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
  const w = o.watches ?? { namespace: o.namespace ?? DEFAULT_NAMESPACE };
  return renderWatches({
    namespace: o.namespace ?? w.namespace,
    ...(w.rules ? { rules: w.rules } : {}),
    ...(w.webhookUrl ? { webhookUrl: w.webhookUrl } : {}),
    ...(w.interval ? { interval: w.interval } : {}),
  }).map((r) => {
    const body = r.body as unknown as Body;
    const meta = (body.metadata as Body | undefined) ?? {};
    const version = typeof meta.asset_version === 'number' ? meta.asset_version : 1;
    const stamped: Body = { ...body, metadata: { ...meta, package_version: packageVersion() } };
    // the compare reads this back (kinds.ts, watchOps): the cluster's re-serializing is no change
    const metadata = { ...(stamped.metadata as Body), content_hash: watchContentHash(stamped) };
    return { kind: 'watch' as const, name: r.id, version, body: { ...stamped, metadata } };
  });
}

/** The prefix of the pipelines `mlmon setup` installs for these options (namespace-scoped). */
export function pipelinePrefix(o: CatalogOptions): string {
  return o.namespace ? `mlmon-${o.namespace}` : 'mlmon';
}

function pipelineEntries(caps: Capabilities, o: SetupOptions): { assets: Asset[]; skipped: Planned[] } {
  const opts = {
    prefix: pipelinePrefix(o),
    engine: caps.engine,
    ...(o.namespace ? { fallbackDeadLetterIndex: deadLettersStream(o.namespace) } : {}),
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
  entries.push(...(await apiKeyEntries(capabilities, o, request, keys)));
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
        renderKibanaRules({
          namespace: o.namespace ?? o.watches?.namespace ?? DEFAULT_NAMESPACE,
        }) as unknown as {
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
  const ruleIds = renderKibanaRules({
    namespace: o.namespace ?? o.watches?.namespace ?? DEFAULT_NAMESPACE,
  }).map((r) => r.id);
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
