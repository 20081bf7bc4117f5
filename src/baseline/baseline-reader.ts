import type { Client } from '@elastic/elasticsearch';
import type { Baseline } from '../contract/baseline-document.js';
import { BASELINES_INDEX } from '../contract/streams.js';

/**
 * Reads stored baselines. The transport loads this module (and nothing of the writer or the
 * installer), so it imports only the contract.
 */

export interface BaselineSummary {
  model: string;
  version: string;
  created_at: string;
  rows: number;
  features: number;
  source: string;
}

/** One document per model and version: re-profiling replaces it. */
export function baselineId(model: string, version: string): string {
  return `${model}@${version}`;
}

export async function getBaseline(
  client: Client,
  model: string,
  version?: string,
  index = BASELINES_INDEX,
): Promise<Baseline | undefined> {
  if (!(await client.indices.exists({ index }))) return undefined;
  if (version !== undefined) {
    const res = await client.get<{ profile: Baseline }>(
      { index, id: baselineId(model, version) },
      { ignore: [404] },
    );
    return res.found ? res._source?.profile : undefined;
  }
  // the newest baseline of the model
  const res = await client.search<{ profile: Baseline }>({
    index,
    size: 1,
    query: { term: { model } },
    sort: [{ created_at: 'desc' }],
  });
  return res.hits.hits[0]?._source?.profile;
}

export async function listBaselines(
  client: Client,
  model?: string,
  index = BASELINES_INDEX,
): Promise<BaselineSummary[]> {
  if (!(await client.indices.exists({ index }))) return [];
  const res = await client.search<{
    model: string;
    version: string;
    created_at: string;
    rows: number;
    features: string[];
    source: { file: string };
  }>({
    index,
    size: 1000,
    _source: ['model', 'version', 'created_at', 'rows', 'features', 'source.file'],
    ...(model ? { query: { term: { model } } } : {}),
    sort: [{ model: 'asc' }, { created_at: 'desc' }],
  });
  return res.hits.hits.map((h) => {
    const s = h._source as NonNullable<typeof h._source>;
    return {
      model: s.model,
      version: s.version,
      created_at: s.created_at,
      rows: s.rows,
      features: s.features.length,
      source: s.source.file,
    };
  });
}

/** Every stored baseline, whole (setup builds one vocabulary pipeline from each). */
export async function allBaselines(client: Client, index = BASELINES_INDEX): Promise<Baseline[]> {
  const out: Baseline[] = [];
  for (const s of await listBaselines(client, undefined, index)) {
    const b = await getBaseline(client, s.model, s.version, index);
    if (b) out.push(b);
  }
  return out;
}
