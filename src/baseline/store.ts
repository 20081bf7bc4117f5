import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { MlmonError } from '../errors.js';
import { indexBody } from '../setup/catalog.js';
import { ensureIndex } from '../setup/ensure.js';
import type { Baseline } from './types.js';

/** The product's baseline index (a plain index: a baseline is replaced, not appended). */
export const DEFAULT_BASELINE_INDEX = 'mlmon-baselines';

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

export function validateName(what: 'model' | 'version', value: string): string {
  if (!value || value.length > 200 || /[\s@/\\]/.test(value)) {
    throw new MlmonError(`invalid ${what} "${value}"`, {
      exit: 'usage',
      fix: `a ${what} is 1 to 200 characters without spaces, "@", "/" or "\\"`,
    });
  }
  return value;
}

export async function ensureBaselineIndex(client: Client, index: string): Promise<void> {
  await ensureIndex(client, index, indexBody('baselines'));
}

export async function saveBaseline(
  client: Client,
  baseline: Baseline,
  index = DEFAULT_BASELINE_INDEX,
): Promise<{ id: string; replaced: boolean }> {
  await ensureBaselineIndex(client, index);
  const id = baselineId(baseline.model, baseline.version);
  const res = await client.index({
    index,
    id,
    refresh: 'wait_for',
    document: {
      model: baseline.model,
      version: baseline.version,
      created_at: baseline.created_at,
      rows: baseline.source.rows,
      features: Object.keys(baseline.features),
      tokenizer: baseline.tokenizer,
      source: { file: baseline.source.file, format: baseline.source.format },
      profile: baseline,
    },
  });
  return { id, replaced: res.result === 'updated' };
}

export async function getBaseline(
  client: Client,
  model: string,
  version?: string,
  index = DEFAULT_BASELINE_INDEX,
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
  index = DEFAULT_BASELINE_INDEX,
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

/** The local copy: `<dir>/<model>/<version>.json`. */
export function localBaselinePath(dir: string, model: string, version: string): string {
  return join(dir, model, `${version}.json`);
}

export function writeLocalBaseline(path: string, baseline: Baseline): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(baseline, null, 1)}\n`);
}

export function readLocalBaseline(path: string): Baseline {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Baseline;
  } catch (err) {
    throw new MlmonError(`cannot read the baseline ${path}: ${(err as Error).message}`, { exit: 'badInput' });
  }
}

/** Every stored baseline, whole (setup builds one vocabulary pipeline from each). */
export async function allBaselines(client: Client, index = DEFAULT_BASELINE_INDEX): Promise<Baseline[]> {
  const out: Baseline[] = [];
  for (const s of await listBaselines(client, undefined, index)) {
    const b = await getBaseline(client, s.model, s.version, index);
    if (b) out.push(b);
  }
  return out;
}
