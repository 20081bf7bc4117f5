import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ingestEngine, uniqueName } from '../helpers/cluster.js';

const pipeline = {
  description: 'exercises the processors and Painless the product relies on',
  processors: [
    { set: { field: 'event.ingested', value: '{{{_ingest.timestamp}}}' } },
    { lowercase: { field: 'text', target_field: 'text_lower' } },
    { split: { field: 'text_lower', separator: '\\s+', target_field: 'tokens' } },
    {
      script: {
        lang: 'painless',
        source:
          'int n = 0; for (def t : ctx.tokens) { if (!params.vocab.contains(t)) { n++; } } ctx.oov_count = n;',
        params: { vocab: ['the', 'cat', 'sat'] },
      },
    },
  ],
};

test('a pipeline with set, lowercase, split and a Painless script runs in the simulate API', async () => {
  const { request, url } = await ingestEngine();
  const res = await request('POST', '/_ingest/pipeline/_simulate', {
    pipeline,
    docs: [{ _source: { text: 'The cat SAT on the mat' } }],
  });
  assert.equal(res.status, 200, `simulate on ${url}: ${JSON.stringify(res.body)}`);
  const doc = (res.body as { docs: { doc: { _source: Record<string, unknown> } }[] }).docs[0]?.doc._source;
  assert.deepEqual(doc?.tokens, ['the', 'cat', 'sat', 'on', 'the', 'mat']);
  assert.equal(doc?.oov_count, 2);
  assert.match(String((doc?.event as { ingested?: string })?.ingested), /^\d{4}-\d\d-\d\dT/);
});

test('a stored pipeline transforms documents indexed through it', async (t) => {
  const { request } = await ingestEngine();
  const id = uniqueName('mlmon-test-pipeline');
  const index = uniqueName('mlmon-test-ingest');
  t.after(async () => {
    await request('DELETE', `/${index}`);
    await request('DELETE', `/_ingest/pipeline/${id}`);
  });
  assert.equal((await request('PUT', `/_ingest/pipeline/${id}`, pipeline)).status, 200);
  const put = await request('PUT', `/${index}/_doc/1?pipeline=${id}&refresh=true`, { text: 'A dog sat' });
  assert.equal(put.status, 201, JSON.stringify(put.body));
  const got = await request('GET', `/${index}/_doc/1`);
  const source = (got.body as { _source: Record<string, unknown> })._source;
  assert.deepEqual(source.tokens, ['a', 'dog', 'sat']);
  assert.equal(source.oov_count, 2);
});

test('a script that fails makes the pipeline fail with the script error', async () => {
  const { request } = await ingestEngine();
  const res = await request('POST', '/_ingest/pipeline/_simulate', {
    pipeline: { processors: [{ script: { source: 'ctx.x = ctx.missing.length()' } }] },
    docs: [{ _source: {} }],
  });
  const error = (res.body as { docs: { error?: { type?: string } }[] }).docs[0]?.error;
  assert.equal(error?.type, 'script_exception');
});
