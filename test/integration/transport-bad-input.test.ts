import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { profileFile } from '../../src/baseline/profiler.js';
import { defaultConfig } from '../../src/config/mlmon-config.js';
import { FIELD_LIMITS, INDEX_LIMITS } from '../../src/contract/limits.js';
import { computeWindow } from '../../src/metrics/window.js';
import { dataStreamName, type PredictionDocument } from '../../src/transport/document.js';
import { MlInputTransport } from '../../src/transport/ml-input-transport.js';
import type { TransportProblem } from '../../src/transport/transport-stats.js';
import { anyPrediction } from '../helpers/arbitraries.js';
import { cleanup, testClient, uniqueNamespace } from '../helpers/cluster.js';
import { storedSummary } from '../helpers/stored.js';
import { installPredictionTemplate } from '../helpers/templates.js';

const client = testClient();

async function freshTransport(t: { after(fn: () => Promise<void>): void }) {
  const namespace = uniqueNamespace();
  const templates = await installPredictionTemplate(client, namespace);
  t.after(() =>
    cleanup(client, {
      dataStreams: [dataStreamName(namespace), `logs-mlmon.dead_letters-${namespace}`],
      indexTemplates: templates,
    }),
  );
  const tr = new MlInputTransport({ client, namespace, spillDir: false, maxFeatures: 200 });
  const problems: TransportProblem[] = [];
  tr.on('warn', (p: TransportProblem) => problems.push(p));
  return { tr, namespace, problems };
}

const circular: Record<string, unknown> = { x: 1 };
circular.me = circular;
const badInputs: unknown[] = [
  { features: { a: Number.NaN, b: Number.POSITIVE_INFINITY } },
  { features: { a: undefined, b: null, c: '' } },
  { features: circular },
  { features: { big: 2n ** 70n, small: 3n } },
  { features: { when: new Date(), bad: new Date('nope'), far: new Date(8.64e15) } },
  { features: { buf: Buffer.from('abc'), f32: new Float32Array([1, 2]), ab: new ArrayBuffer(8) } },
  { features: { fn: () => 1, sym: Symbol('x') } },
  { features: { long: 'y'.repeat(100_000) } },
  { features: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`f${i}`, i])) },
  { features: 'just a string' },
  { features: 12 },
  'a bare string',
  42,
  null,
  undefined,
  [1, 2, 3],
  {
    features: { '': 1, '.': 2, 'a..b': 3, 'x.': 4, '\u0000': 5, 'é ü 中文': 'ok', '@timestamp': 1, _id: 'x' },
  },
  { features: { deep: { a: { b: { c: { d: { e: { f: 1 } } } } } } } },
  { features: { tags: ['a', 'b'], mixed: [1, 'a', null], nested: [{ a: 1 }] } },
  { features: { a: 1 }, timestamp: 'not a date', latencyMs: 'slow', model: { not: 'a string' }, context: 7 },
  { features: { a: 1 }, prediction: { label: 'x', score: Number.NaN } },
];

test('each bad input of the table is stored, flagged, and never thrown at the caller', async (t) => {
  const { tr, namespace, problems } = await freshTransport(t);
  for (const input of badInputs) assert.doesNotThrow(() => tr.logPrediction(input));
  assert.equal(await tr.flush(30_000), true);
  const s = tr.stats();
  assert.equal(s.indexed, badInputs.length, JSON.stringify({ s, problems }));
  assert.equal(s.deadLettered + s.failed + s.dropped, 0);
  const stored = await storedSummary(client, dataStreamName(namespace));
  assert.equal(stored.total, badInputs.length);
  const flagged = await client.search({
    index: dataStreamName(namespace),
    size: 0,
    aggs: { flags: { terms: { field: 'mlmon.flags', size: 100 } } },
  });
  const buckets = (flagged.aggregations?.flags as { buckets?: { key: string }[] } | undefined)?.buckets ?? [];
  const flags = buckets.map((b) => b.key);
  for (const expected of [
    'non_finite:a',
    'circular:me',
    'bigint_precision:big',
    'invalid_date:bad',
    'invalid_date:far',
    'unsupported_binary:buf',
    'unsupported_type:fn',
    'truncated:long',
    'too_many_features:4800',
    'wrapped_payload',
    'invalid_timestamp',
    'invalid_latency',
    'too_deep:deep.a.b.c.d.e',
  ]) {
    assert.ok(flags.includes(expected), `flag ${expected} stored (got ${flags.join(', ')})`);
  }
  await tr.shutdown();
});

test('property: arbitrary payloads never throw and are all indexed without rejection', async (t) => {
  const { tr, namespace, problems } = await freshTransport(t);
  const samples = fc.sample(anyPrediction, { numRuns: 400, seed: 20261127 });
  for (const p of samples) assert.doesNotThrow(() => tr.logPrediction(p));
  assert.equal(await tr.flush(60_000), true);
  const s = tr.stats();
  const rejected = problems.filter((p) => p.code === 'dead_lettered').map((p) => p.message);
  assert.deepEqual(rejected, []);
  assert.equal(s.indexed, samples.length);
  assert.equal((await storedSummary(client, dataStreamName(namespace))).total, samples.length);
  await tr.shutdown();
});

after(() => client.close());

test("the index's limits: a long category is cut to ignore_above, __proto__ is stored, fields past the limit are flagged and the job reports what the index ignored", async (t) => {
  const namespace = uniqueNamespace('lim');
  const stream = dataStreamName(namespace);
  const templates = await installPredictionTemplate(client, namespace);
  t.after(() => cleanup(client, { dataStreams: [stream], indexTemplates: templates }));
  const tr = new MlInputTransport({ client, namespace, spillDir: false, model: 'lim', version: '1' });
  const problems: TransportProblem[] = [];
  tr.on('warn', (p: TransportProblem) => problems.push(p));
  const max = INDEX_LIMITS.categoryIgnoreAbove;
  const long = `${'k'.repeat(max)}-and-more`;
  tr.logPrediction({ id: 'long', features: { c: long } });
  tr.logPrediction({
    id: 'proto',
    features: JSON.parse('{"__proto__": 7, "constructor": "c", "prototype": true}'),
  });
  // 11 documents of 1,000 new numeric features: 11,000 fields, past the stream's 10,000
  const perDoc = FIELD_LIMITS.maxFeatures;
  const docs = Math.ceil((INDEX_LIMITS.totalFields + 1000) / perDoc);
  for (let d = 0; d < docs; d++)
    tr.logPrediction({
      id: `wide${d}`,
      features: Object.fromEntries(Array.from({ length: perDoc }, (_, i) => [`w${d * perDoc + i}`, i])),
    });
  assert.equal(await tr.flush(120_000), true, JSON.stringify(tr.stats()));
  const s = tr.stats();
  assert.equal(s.indexed, docs + 2);
  const budget = INDEX_LIMITS.totalFields - INDEX_LIMITS.reservedFields;
  // the transport's own view: every feature field past its budget is flagged, plus the cut category
  // (the long category and the three prototype names took 4 fields of the budget first)
  assert.equal(s.limitedFields, docs * perDoc + 4 - budget + 1);
  assert.equal(problems.filter((p) => p.code === 'field_limit').length, 1);
  await client.indices.refresh({ index: stream });

  // the cut value is searchable (the whole one would not be)
  const byValue = await client.count({
    index: stream,
    query: { term: { 'mlmon.features.cat.c': 'k'.repeat(max) } },
  });
  assert.equal(byValue.count, 1);
  const longDoc = await client.search<PredictionDocument>({
    index: stream,
    query: { term: { 'mlmon.prediction_id': 'long' } },
  });
  assert.deepEqual(longDoc.hits.hits[0]?._source?.mlmon.flags, ['truncated_keyword:c']);
  // __proto__ and friends are stored, indexed fields
  for (const field of [
    'mlmon.features.num.__proto__',
    'mlmon.features.cat.constructor',
    'mlmon.features.bool.prototype',
  ]) {
    const n = await client.count({ index: stream, query: { exists: { field } } });
    assert.equal(n.count, 1, field);
  }
  const last = await client.search<PredictionDocument>({
    index: stream,
    query: { term: { 'mlmon.prediction_id': `wide${docs - 1}` } },
  });
  const lastFlags = last.hits.hits[0]?._source?.mlmon.flags ?? [];
  assert.equal(lastFlags.length, perDoc);
  assert.ok(lastFlags.every((f) => f.startsWith('field_limit:')));

  // the index's own view, as the job reports it: the fields it kept in _source without indexing
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-lim-'));
  writeFileSync(join(dir, 'train.csv'), 'w0\n1\n2\n3\n');
  const b = await profileFile({ file: join(dir, 'train.csv'), model: 'lim', version: '1' });
  const m = await computeWindow(
    client,
    {
      model: 'lim',
      from: new Date(Date.now() - 3_600_000),
      to: new Date(Date.now() + 60_000),
      index: stream,
    },
    b,
    defaultConfig.rules,
  );
  assert.equal(m.docs, docs + 2);
  const ignored = m.ignored_fields.filter((f) => f.field.startsWith('mlmon.features.num.w'));
  assert.ok(ignored.length > 0, JSON.stringify(m.ignored_fields));
  // what the index ignored, the transport flagged
  const flaggedNames = new Set(lastFlags.map((f) => `mlmon.features.num.${f.slice('field_limit:'.length)}`));
  for (const f of ignored.filter((x) => x.field.startsWith(`mlmon.features.num.w${(docs - 1) * perDoc}`)))
    assert.ok(flaggedNames.has(f.field), f.field);
  await tr.shutdown();
});
