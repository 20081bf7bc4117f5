import type { RawRequest } from './raw-request.js';
import { requestFailed } from './request-error.js';

/** What a cluster can do, probed for real: each flag comes from a request that exercises it. */
export interface Capabilities {
  engine: 'elasticsearch' | 'opensearch';
  version: string;
  /** modules of the node we are connected to */
  modules: string[];
  /** license type, or null where the engine has no license API */
  license: string | null;
  ingestProcessors: string[];
  /** a Painless script compiled and ran (`_scripts/painless/_execute`) */
  painless: boolean;
  /** the `_data_stream` API answers (list, delete, options); streams are also created on first write by templates */
  dataStreamApi: boolean;
  /** the data-stream failure store (Elasticsearch 8.19+ with the data-streams module) */
  failureStore: boolean;
  ilm: boolean;
  /** Watcher API present and the license allows it (gold, platinum, enterprise or trial) */
  watcher: boolean;
  security: boolean;
}

const WATCHER_LICENSES = new Set(['gold', 'platinum', 'enterprise', 'trial']);

function parseVersion(v: string): [number, number] {
  const [major = 0, minor = 0] = v.split('.').map(Number);
  return [major, minor];
}

export function versionAtLeast(v: string, major: number, minor: number): boolean {
  const [ma, mi] = parseVersion(v);
  return ma > major || (ma === major && mi >= minor);
}

export async function detectCapabilities(request: RawRequest): Promise<Capabilities> {
  // not `GET /`: its handler lives in the rest-root module, which the test distribution lacks
  const local = await request(
    'GET',
    '/_nodes/_local?filter_path=nodes.*.version,nodes.*.build_flavor,nodes.*.modules.name',
  );
  if (local.status !== 200) {
    throw requestFailed('GET /_nodes/_local', local.status, local.body);
  }
  const nodeInfo = Object.values(
    (
      local.body as {
        nodes?: Record<string, { version?: string; build_flavor?: string; modules?: { name: string }[] }>;
      }
    ).nodes ?? {},
  )[0];
  // OpenSearch reports no build flavor
  const engine = nodeInfo?.build_flavor === undefined ? 'opensearch' : 'elasticsearch';
  const version = nodeInfo?.version ?? '0.0.0';
  const modules = (nodeInfo?.modules ?? []).map((m) => m.name).sort();

  const [license, nodes, painless, dataStreams, dsOptions, ilm, watcher, security] = await Promise.all([
    request('GET', '/_license'),
    request('GET', '/_nodes/ingest?filter_path=nodes.*.ingest.processors.type'),
    request('POST', '/_scripts/painless/_execute', { script: { source: 'params.a + 1', params: { a: 41 } } }),
    request('GET', '/_data_stream'),
    request('GET', '/_data_stream/mlmon-capability-probe/_options'),
    request('GET', '/_ilm/status'),
    request('GET', '/_watcher/stats'),
    request('GET', '/_security/_authenticate'),
  ]);

  const licenseType =
    license.status === 200 ? ((license.body as { license?: { type?: string } }).license?.type ?? null) : null;
  const processorSet = new Set<string>();
  const nodeMap =
    (nodes.body as { nodes?: Record<string, { ingest?: { processors?: { type: string }[] } }> }).nodes ?? {};
  for (const node of Object.values(nodeMap))
    for (const p of node.ingest?.processors ?? []) processorSet.add(p.type);

  // "no handler found" comes back as 400 (Elasticsearch) or 405; an existing handler gives 200 or 404 here
  const handlerExists = (status: number) => status === 200 || status === 404;
  return {
    engine,
    version,
    modules,
    license: licenseType,
    ingestProcessors: [...processorSet].sort(),
    painless: painless.status === 200 && (painless.body as { result?: unknown }).result === '42',
    dataStreamApi: dataStreams.status === 200,
    failureStore:
      engine === 'elasticsearch' && versionAtLeast(version, 8, 19) && handlerExists(dsOptions.status),
    ilm: ilm.status === 200,
    watcher: watcher.status === 200 && licenseType !== null && WATCHER_LICENSES.has(licenseType),
    // 401 means security is on and our credentials are wrong: still "enabled"
    security: security.status === 200 || security.status === 401,
  };
}
