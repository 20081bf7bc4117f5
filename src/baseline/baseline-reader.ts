import type { Client } from '@elastic/elasticsearch';
import type { Baseline } from '../contract/baseline-document.js';
import { isFeatureKind } from '../contract/features.js';
import { BASELINES_INDEX } from '../contract/streams.js';

/**
 * Reads stored baselines. The transport loads this module (and nothing of the writer or the
 * installer), so it imports only the contract. Every document is checked against the stored shape
 * when read: one of another shape (written by hand, by an older tool, or planted) is reported with
 * its id through `onMalformed` and skipped, so no caller meets a missing field.
 */

export interface BaselineSummary {
  model: string;
  version: string;
  created_at: string;
  rows: number;
  features: number;
  source: string;
}

/** A stored document that is not a baseline: its id, the index, and the first thing wrong with it. */
export interface MalformedBaseline {
  id: string;
  index: string;
  problem: string;
}
export type OnMalformed = (m: MalformedBaseline) => void;

/** One document per model and version: re-profiling replaces it. */
export function baselineId(model: string, version: string): string {
  return `${model}@${version}`;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
/** NaN and ±Infinity are stored as null by JSON (the moments of a feature without values) */
const isNumOrNull = (v: unknown) => v === null || isNum(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const numbers = (v: unknown) => Array.isArray(v) && v.every(isNum);
const counts = (v: unknown) => isObj(v) && Object.values(v).every(isNum);

/** What is wrong with one feature's profile, or undefined. */
function featureProblem(path: string, f: unknown): string | undefined {
  if (!isObj(f)) return `${path} is not an object`;
  if (!isFeatureKind(f.type)) return `${path}.type is not a feature type`;
  if (!isNum(f.count) || !isNum(f.na_count)) return `${path}.count or .na_count is not a number`;
  if (!isNumOrNull(f.na_rate)) return `${path}.na_rate is not a number`;
  switch (f.type) {
    case 'numeric': {
      const n = f.numeric;
      if (!isObj(n) || !isObj(n.bins)) return `${path}.numeric.bins is missing`;
      if (!numbers(n.bins.edges) || !numbers(n.bins.counts)) return `${path}.numeric.bins are not numbers`;
      if ((n.bins.counts as number[]).length !== (n.bins.edges as number[]).length + 1)
        return `${path}.numeric.bins.counts does not have one more entry than the edges`;
      if (![n.min, n.max, n.mean, n.std].every(isNumOrNull)) return `${path}.numeric moments are not numbers`;
      return undefined;
    }
    case 'categorical': {
      const c = f.categorical;
      if (!isObj(c) || !counts(c.values)) return `${path}.categorical.values is not a map of counts`;
      if (!isNum(c.other_count)) return `${path}.categorical.other_count is not a number`;
      return undefined;
    }
    case 'text': {
      const t = f.text;
      if (!isObj(t) || !counts(t.vocabulary)) return `${path}.text.vocabulary is not a map of counts`;
      if (!isObj(t.tokens_per_doc) || !isNumOrNull(t.tokens_per_doc.mean))
        return `${path}.text.tokens_per_doc is missing`;
      return undefined;
    }
    case 'boolean': {
      const b = f.boolean;
      if (!isObj(b) || !isNum(b.true) || !isNum(b.false)) return `${path}.boolean counts are missing`;
      return undefined;
    }
    case 'datetime':
      if (
        f.datetime !== undefined &&
        (!isObj(f.datetime) || !isStr(f.datetime.min) || !isStr(f.datetime.max))
      )
        return `${path}.datetime is not a range of dates`;
      return undefined;
  }
}

/** What is wrong with a stored profile, or undefined when it has the shape of a `Baseline`. */
export function baselineProblem(profile: unknown): string | undefined {
  if (!isObj(profile)) return 'profile is missing';
  if (!isStr(profile.model) || !isStr(profile.version))
    return 'profile.model or profile.version is not a string';
  if (!isStr(profile.created_at)) return 'profile.created_at is not a string';
  if (!isObj(profile.source) || !isStr(profile.source.file) || !isNum(profile.source.rows))
    return 'profile.source is missing its file or rows';
  if (!isObj(profile.settings)) return 'profile.settings is missing';
  if (!isObj(profile.features)) return 'profile.features is not an object';
  for (const [name, f] of Object.entries(profile.features)) {
    const p = featureProblem(`profile.features.${name}`, f);
    if (p) return p;
  }
  for (const extra of ['prediction', 'label'] as const) {
    const f = profile[extra];
    if (f === undefined) continue;
    const p = featureProblem(`profile.${extra}`, f);
    if (p) return p;
    if (!isStr((f as Obj).column)) return `profile.${extra}.column is not a string`;
  }
  if (profile.warnings !== undefined && !Array.isArray(profile.warnings))
    return 'profile.warnings is not a list';
  return undefined;
}

/** The baseline in a stored document, or undefined (reported) when the document has another shape. */
function checked(
  hit: { _id?: string; _source?: unknown },
  index: string,
  onMalformed: OnMalformed | undefined,
): Baseline | undefined {
  const profile = isObj(hit._source) ? hit._source.profile : undefined;
  const problem = baselineProblem(profile);
  if (problem === undefined) return profile as Baseline;
  onMalformed?.({ id: hit._id ?? '?', index, problem });
  return undefined;
}

/** How many of the newest documents of a model are tried when the newest ones are malformed. */
const NEWEST_TRIED = 20;

export async function getBaseline(
  client: Client,
  model: string,
  version?: string,
  index = BASELINES_INDEX,
  onMalformed?: OnMalformed,
): Promise<Baseline | undefined> {
  if (!(await client.indices.exists({ index }))) return undefined;
  if (version !== undefined) {
    const res = await client.get<unknown>({ index, id: baselineId(model, version) }, { ignore: [404] });
    return res.found ? checked(res, index, onMalformed) : undefined;
  }
  // the newest well-formed baseline of the model
  const res = await client.search<unknown>({
    index,
    size: NEWEST_TRIED,
    query: { term: { model } },
    sort: [{ created_at: { order: 'desc', unmapped_type: 'date' } }],
  });
  for (const hit of res.hits.hits) {
    const b = checked(hit, index, onMalformed);
    if (b) return b;
  }
  return undefined;
}

export async function listBaselines(
  client: Client,
  model?: string,
  index = BASELINES_INDEX,
  onMalformed?: OnMalformed,
): Promise<BaselineSummary[]> {
  if (!(await client.indices.exists({ index }))) return [];
  const res = await client.search<unknown>({
    index,
    size: 1000,
    _source: ['model', 'version', 'created_at', 'rows', 'features', 'source.file'],
    ...(model ? { query: { term: { model } } } : {}),
    sort: [
      { model: { order: 'asc', unmapped_type: 'keyword' } },
      { created_at: { order: 'desc', unmapped_type: 'date' } },
    ],
  });
  const out: BaselineSummary[] = [];
  for (const h of res.hits.hits) {
    const s = h._source;
    const problem = !isObj(s)
      ? 'the document is empty'
      : !isStr(s.model) || !isStr(s.version)
        ? 'model or version is not a string'
        : !isStr(s.created_at) || !isNum(s.rows)
          ? 'created_at or rows is missing'
          : !Array.isArray(s.features) || !isObj(s.source) || !isStr(s.source.file)
            ? 'features or source.file is missing'
            : undefined;
    if (problem !== undefined || !isObj(s)) {
      onMalformed?.({ id: h._id ?? '?', index, problem: problem ?? 'the document is empty' });
      continue;
    }
    out.push({
      model: s.model as string,
      version: s.version as string,
      created_at: s.created_at as string,
      rows: s.rows as number,
      features: (s.features as unknown[]).length,
      source: (s.source as Obj).file as string,
    });
  }
  return out;
}

/** Every stored baseline, whole (setup builds one vocabulary pipeline from each). */
export async function allBaselines(
  client: Client,
  index = BASELINES_INDEX,
  onMalformed?: OnMalformed,
): Promise<Baseline[]> {
  const out: Baseline[] = [];
  for (const s of await listBaselines(client, undefined, index, onMalformed)) {
    const b = await getBaseline(client, s.model, s.version, index, onMalformed);
    if (b) out.push(b);
  }
  return out;
}
