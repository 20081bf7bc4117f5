import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { dataStreamName } from '../../src/transport/document.js';
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
