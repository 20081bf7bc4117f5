/**
 * The test harness: one cluster per run (ES_URL, or the nodes `npm run es:start` started), unique
 * names per test, and cleanup. See README, "Tests".
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import { type Capabilities, detectCapabilities } from '../../src/es/capabilities.js';
import { createClient } from '../../src/es/connection.js';
import { readLocalNodeState } from '../../src/es/local-node.js';
import { type RawRequest, requestViaClient, requestViaFetch } from '../../src/es/raw-request.js';

const repoRoot = process.env.MLMON_REPO_ROOT ?? process.cwd();

let sharedClient: Client | undefined;

/** A client for the test cluster; tests share it and never close it (the process ends). */
export function testClient(): Client {
  if (sharedClient) return sharedClient;
  if (!process.env.ES_URL && !process.env.ES_CLOUD_ID && !readLocalNodeState(repoRoot)?.elasticsearch) {
    throw new Error('no test cluster: run `npm run es:start` (or `npm test`, which starts it) or set ES_URL');
  }
  const local = readLocalNodeState(repoRoot)?.elasticsearch;
  sharedClient = createClient(
    process.env.ES_URL || process.env.ES_CLOUD_ID ? {} : { node: local?.url as string },
  );
  return sharedClient;
}

let counter = 0;
/** A lowercase name no other test (or earlier run against the same cluster) uses. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${randomBytes(3).toString('hex')}`.toLowerCase();
}

/** A data-stream namespace of the same kind: no '-' allowed there. */
export function uniqueNamespace(prefix = 't'): string {
  return uniqueName(prefix).replaceAll('-', '_');
}

const capabilityCache = new Map<string, Promise<Capabilities>>();
function cachedCapabilities(key: string, request: RawRequest): Promise<Capabilities> {
  let cached = capabilityCache.get(key);
  if (!cached) {
    cached = detectCapabilities(request);
    capabilityCache.set(key, cached);
  }
  return cached;
}

export function testClusterCapabilities(): Promise<Capabilities> {
  return cachedCapabilities('cluster', requestViaClient(testClient()));
}

/**
 * Where ingest pipelines and Painless run for real: the test cluster when it has them (any
 * production cluster), else the OpenSearch ingest engine `npm run es:start` starts beside it.
 * MLMON_INGEST_ENGINE_URL points at another engine.
 */
export async function ingestEngine(): Promise<{
  request: RawRequest;
  capabilities: Capabilities;
  url: string;
}> {
  const cluster = await testClusterCapabilities();
  if (
    cluster.painless &&
    cluster.ingestProcessors.includes('script') &&
    !process.env.MLMON_INGEST_ENGINE_URL
  ) {
    const request = requestViaClient(testClient());
    return { request, capabilities: cluster, url: 'the test cluster' };
  }
  const url = process.env.MLMON_INGEST_ENGINE_URL ?? readLocalNodeState(repoRoot)?.ingestEngine?.url;
  if (!url) {
    throw new Error(
      'the test cluster has no ingest processors or Painless and no ingest engine runs: `npm run es:start` starts one',
    );
  }
  const request = requestViaFetch(url);
  return { request, capabilities: await cachedCapabilities(url, request), url };
}

/** Removes what a test created; missing things are fine. */
export async function cleanup(
  client: Client,
  what: {
    dataStreams?: string[];
    indices?: string[];
    indexTemplates?: string[];
    componentTemplates?: string[];
    pipelines?: string[];
  },
): Promise<void> {
  const ignore = { ignore: [404] };
  const caps = await testClusterCapabilities();
  for (const name of what.dataStreams ?? []) {
    // without the data-streams module (the test distribution) streams cannot be deleted; each
    // `npm run es:start` begins with an empty data directory instead
    if (caps.dataStreamApi) await client.indices.deleteDataStream({ name }, ignore);
  }
  for (const name of what.indices ?? []) await client.indices.delete({ index: name }, ignore);
  // a template stays while a data stream it created does
  const streamsRemain = (what.dataStreams?.length ?? 0) > 0 && !caps.dataStreamApi;
  if (!streamsRemain)
    for (const name of what.indexTemplates ?? []) await client.indices.deleteIndexTemplate({ name }, ignore);
  for (const name of what.componentTemplates ?? [])
    await client.cluster.deleteComponentTemplate({ name }, ignore);
  for (const id of what.pipelines ?? []) await client.ingest.deletePipeline({ id }, ignore);
}
