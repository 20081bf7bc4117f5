/**
 * Repairs of what the live check finds: a data stream whose write index predates the current
 * template is rolled over; a plain index that took a stream's name is replaced by the data stream,
 * only when asked (`mlmon setup --repair`), moving every document with its `_id` through a
 * temporary index and counting at each step, so that nothing is lost and nothing doubled.
 *
 * The copy is client-side (scroll + bulk): the test node has no reindex module (README, "What the
 * test node can do"), and the same code runs everywhere. A failed step leaves the documents where
 * the report says; running the repair again resumes.
 */
import type { Client } from '@elastic/elasticsearch';
import { MlmonError } from '../contract/errors.js';
import type { RawRequest } from '../es/raw-request.js';
import { requestFailed } from '../es/request-error.js';
import type { LiveReport } from './live-check.js';

/** Streams the live check says `mlmon setup` should roll over (our template wins, its write index is not ours). */
export function streamsToRollOver(report: LiveReport): string[] {
  const names = new Set(report.problems.filter((p) => p.repair === 'rollover').map((p) => p.stream));
  return [...names].sort();
}

export async function rollOver(request: RawRequest, streams: string[]): Promise<string[]> {
  const rolled: string[] = [];
  for (const s of streams) {
    const res = await request('POST', `/${encodeURIComponent(s)}/_rollover`);
    if (res.status !== 200) throw requestFailed(`rollover of ${s}`, res.status, res.body);
    rolled.push(s);
  }
  return rolled;
}

/** Where a plain index's documents wait while the data stream takes its name. */
export const repairIndexName = (name: string) => `mlmon-repair-${name}`;

export interface ReplaceReport {
  stream: string;
  /** documents in the plain index at the start (or in the temporary index on a resumed run) */
  documents: number;
  /** documents written into the data stream (a resumed run counts those already there as written) */
  moved: number;
  steps: string[];
}

const PAGE = 1000;

/** Copies every document of `from` into `to` with its `_id`; returns how many were accounted for. */
async function copyAll(client: Client, from: string, to: string, op: 'index' | 'create'): Promise<number> {
  let accounted = 0;
  for await (const page of client.helpers.scrollSearch<Record<string, unknown>>({
    index: from,
    size: PAGE,
    sort: ['_doc'],
    query: { match_all: {} },
  })) {
    const hits = page.body.hits.hits;
    if (!hits.length) continue;
    const operations = hits.flatMap((h) => [{ [op]: { _index: to, _id: h._id } }, h._source ?? {}]);
    // `_none`: the documents are moved as they are, not derived a second time by a default pipeline
    const res = await client.bulk({ operations, pipeline: '_none' });
    for (const item of res.items) {
      const r = item[op] ?? Object.values(item)[0];
      // 409 on create: that document is already in the stream (a resumed repair)
      if (r && (!r.error || (op === 'create' && r.status === 409))) accounted += 1;
      else
        throw new MlmonError(`copying ${from} into ${to}: ${JSON.stringify(r?.error)}`, { exit: 'partial' });
    }
  }
  return accounted;
}

async function count(client: Client, index: string): Promise<number> {
  await client.indices.refresh({ index });
  return (await client.count({ index })).count;
}

async function isPlainIndex(request: RawRequest, name: string): Promise<boolean | undefined> {
  const res = await request('GET', `/_resolve/index/${encodeURIComponent(name)}?expand_wildcards=all`);
  const body = res.body as { indices?: { name: string; data_stream?: string }[]; data_streams?: unknown[] };
  if (body.data_streams?.length) return false;
  const i = body.indices?.find((x) => x.name === name);
  return i ? !i.data_stream : undefined;
}

/**
 * Replaces the plain index `name` by the data stream our template creates: write-block it, copy
 * into `mlmon-repair-<name>`, check the count, delete it, copy back with `create` (the template makes
 * the data stream on the first write), check every document is there, delete the copy.
 */
export async function replacePlainIndex(
  client: Client,
  request: RawRequest,
  name: string,
): Promise<ReplaceReport> {
  const tmp = repairIndexName(name);
  const steps: string[] = [];
  const plain = await isPlainIndex(request, name);
  const tmpExists = (await request('HEAD', `/${encodeURIComponent(tmp)}`)).status === 200;
  if (plain === false && !tmpExists)
    throw new MlmonError(`${name} is already a data stream: nothing to repair`, { exit: 'usage' });
  let documents: number;
  if (plain) {
    // a shipper still writing would add documents after the copy: stop writes to the index first
    const block = await request('PUT', `/${encodeURIComponent(name)}/_block/write`);
    if (block.status !== 200) throw requestFailed(`write block on ${name}`, block.status, block.body);
    steps.push(`blocked writes to ${name}`);
    documents = await count(client, name);
    if (tmpExists) {
      // an earlier run stopped before deleting the index: start the copy over
      const del = await request('DELETE', `/${encodeURIComponent(tmp)}`);
      if (del.status !== 200) throw requestFailed(`delete ${tmp}`, del.status, del.body);
    }
    const mapping = (await client.indices.getMapping({ index: name }))[name]?.mappings ?? {};
    await client.indices.create({ index: tmp, mappings: mapping });
    const copied = await copyAll(client, name, tmp, 'index');
    const inTmp = await count(client, tmp);
    if (copied !== documents || inTmp !== documents)
      throw new MlmonError(
        `copied ${inTmp} of ${documents} documents of ${name} into ${tmp}: nothing was deleted`,
        { exit: 'partial', fix: 'run `mlmon setup --repair` again' },
      );
    steps.push(`copied ${documents} documents into ${tmp}`);
    const del = await request('DELETE', `/${encodeURIComponent(name)}`);
    if (del.status !== 200) throw requestFailed(`delete ${name}`, del.status, del.body);
    steps.push(`deleted the plain index ${name}`);
  } else {
    documents = await count(client, tmp);
    steps.push(`resumed: ${documents} documents wait in ${tmp}`);
  }
  const moved = await copyAll(client, tmp, name, 'create');
  if (moved !== documents)
    throw new MlmonError(`moved ${moved} of ${documents} documents from ${tmp} into ${name}`, {
      exit: 'partial',
      fix: `the documents are safe in ${tmp}: run \`mlmon setup --repair\` again`,
    });
  if ((await isPlainIndex(request, name)) !== false)
    throw new MlmonError(`${name} came back as a plain index: no data-stream template applies to it`, {
      exit: 'partial',
      fix: `the documents are safe in ${tmp}: run \`mlmon setup\` first, then \`mlmon setup --repair\``,
    });
  steps.push(`moved ${moved} documents into the data stream ${name}`);
  const del = await request('DELETE', `/${encodeURIComponent(tmp)}`);
  if (del.status !== 200) throw requestFailed(`delete ${tmp}`, del.status, del.body);
  steps.push(`deleted ${tmp}`);
  return { stream: name, documents, moved, steps };
}
