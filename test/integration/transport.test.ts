import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { dataStreamName } from '../../src/transport/document.js';
import { MlInputTransport, type MlInputTransportOptions } from '../../src/transport/ml-input-transport.js';
import type { TransportProblem } from '../../src/transport/transport-stats.js';
import { cleanup, testClient, uniqueNamespace } from '../helpers/cluster.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { eventually, storedSummary } from '../helpers/stored.js';
import { installPredictionTemplate } from '../helpers/templates.js';

const client = testClient();
const targetUrl = (client.connectionPool.connections[0]?.url.toString() ?? '').replace(/\/$/, '');

/** A namespace with its templates, removed after the test. */
async function setup(
  t: { after(fn: () => Promise<void>): void },
  extraMappings: Record<string, unknown> = {},
) {
  const namespace = uniqueNamespace();
  const templates = await installPredictionTemplate(client, namespace, extraMappings);
  t.after(() =>
    cleanup(client, {
      dataStreams: [dataStreamName(namespace), `logs-mlmon.dead_letters-${namespace}`],
      indexTemplates: templates,
    }),
  );
  return namespace;
}

function spillDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-spill-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A proxy in front of the node that is not listening yet: connections are refused until `start()`. */
async function refusingProxy(t: { after(fn: () => Promise<void>): void }): Promise<FaultProxy> {
  const proxy = new FaultProxy(targetUrl);
  await proxy.start(); // takes a free port, kept for the restart
  await proxy.stop();
  t.after(() => proxy.stop());
  return proxy;
}

function transport(opts: MlInputTransportOptions): MlInputTransport {
  const tr = new MlInputTransport({ model: 'm', version: '1', retryInitialMs: 20, retryMaxMs: 200, ...opts });
  return tr;
}

function features(i: number) {
  const f: Record<string, unknown> = { i, group: `g${i % 7}`, flag: i % 2 === 0 };
  for (let k = 0; k < 17; k++) f[`x${k}`] = (i * 31 + k) % 101;
  return f;
}

async function settle(tr: MlInputTransport, timeoutMs = 60_000): Promise<void> {
  assert.equal(await tr.flush(timeoutMs), true, `flush did not finish: ${JSON.stringify(tr.stats())}`);
}

test('10,000 predictions become exactly 10,000 documents with the documented fields and types', async (t) => {
  const namespace = await setup(t);
  const tr = transport({ client, namespace, spillDir: false });
  for (let i = 0; i < 10_000; i++)
    tr.logPrediction({ features: features(i), prediction: i / 10_000, latencyMs: i % 50, id: `p${i}` });
  await settle(tr);
  const stats = tr.stats();
  assert.equal(stats.indexed, 10_000);
  assert.equal(stats.failed + stats.dropped + stats.deadLettered, 0);
  const stored = await storedSummary(client, dataStreamName(namespace));
  assert.deepEqual(stored, { total: 10_000, duplicates: [] });

  const mapping = await client.indices.getFieldMapping({
    index: dataStreamName(namespace),
    fields: 'mlmon.*',
  });
  const fields = Object.values(mapping)[0]?.mappings ?? {};
  const typeOf = (f: string) =>
    (Object.values(fields[f]?.mapping ?? {})[0] as { type?: string } | undefined)?.type;
  assert.equal(typeOf('mlmon.features.num.x3'), 'double');
  assert.equal(typeOf('mlmon.features.cat.group'), 'keyword');
  assert.equal(typeOf('mlmon.features.bool.flag'), 'boolean');
  assert.equal(typeOf('mlmon.prediction.num'), 'double');
  assert.equal(typeOf('mlmon.latency_ms'), 'double');
  assert.equal(typeOf('mlmon.model.name'), 'keyword');

  const sum = await client.search({
    index: dataStreamName(namespace),
    size: 0,
    aggs: {
      i: { sum: { field: 'mlmon.features.num.i' } },
      groups: { cardinality: { field: 'mlmon.features.cat.group' } },
    },
  });
  const aggs = sum.aggregations as { i: { value: number }; groups: { value: number } };
  assert.equal(aggs.i.value, (9_999 * 10_000) / 2);
  assert.equal(aggs.groups.value, 7);
  await tr.shutdown();
});

test('429 and 503 answers, connection resets and item rejections: every document once, only failed items resent', async (t) => {
  const namespace = await setup(t);
  const proxy = new FaultProxy(targetUrl);
  await proxy.start();
  t.after(() => proxy.stop());
  const tr = transport({ node: proxy.url, namespace, batchSize: 100, concurrency: 1, spillDir: false });
  const problems: TransportProblem[] = [];
  tr.on('warn', (p: TransportProblem) => problems.push(p));
  proxy.inject(
    { kind: 'status', status: 429 },
    { kind: 'status', status: 503 },
    { kind: 'reset' },
    { kind: 'status', status: 502 },
    { kind: 'itemRejections', every: 3 },
    { kind: 'status', status: 504 },
    { kind: 'itemRejections', every: 2 },
  );
  for (let i = 0; i < 1000; i++) tr.logPrediction({ features: features(i) });
  await settle(tr);
  assert.equal(proxy.faultsInjected, 7);
  assert.ok(proxy.itemsWithheld >= 40, `withheld ${proxy.itemsWithheld}`);
  const stats = tr.stats();
  assert.equal(stats.indexed, 1000);
  assert.equal(stats.failed + stats.dropped + stats.deadLettered, 0);
  // whole-request failures resend their batch; item rejections resend only the rejected items
  assert.equal(stats.retried, 5 * 100 + proxy.itemsWithheld);
  assert.deepEqual(await storedSummary(client, dataStreamName(namespace)), { total: 1000, duplicates: [] });
  assert.ok(problems.some((p) => p.code === 'cluster_unavailable'));
  assert.ok(problems.some((p) => p.code === 'cluster_available'));
  await tr.shutdown();
});

test('a node that refuses connections at start-up: documents wait, then arrive once it answers', async (t) => {
  const namespace = await setup(t);
  const proxy = new FaultProxy(targetUrl);
  await proxy.start();
  await proxy.stop(); // the port is now closed: ECONNREFUSED
  t.after(() => proxy.stop());
  const tr = transport({ node: proxy.url, namespace, spillDir: false, flushIntervalMs: 50 });
  for (let i = 0; i < 500; i++) tr.logPrediction({ features: features(i) });
  await eventually(() => tr.stats().lastError !== undefined, 'a connection error is recorded');
  assert.match(tr.stats().lastError?.message ?? '', /unavailable/);
  assert.equal(tr.stats().indexed, 0);
  assert.equal(tr.stats().queued + tr.stats().inFlight, 500);
  await proxy.start();
  await settle(tr);
  assert.equal(tr.stats().indexed, 500);
  assert.deepEqual(await storedSummary(client, dataStreamName(namespace)), { total: 500, duplicates: [] });
  await tr.shutdown();
});

test('an outage longer than the memory bound spills to disk, keeps memory bounded, and replays in order', async (t) => {
  const namespace = await setup(t);
  const dir = spillDir(t);
  const proxy = await refusingProxy(t);
  const tr = transport({
    node: proxy.url,
    namespace,
    spillDir: dir,
    maxQueueDocs: 200,
    batchSize: 100,
    spillSegmentBytes: 64 * 1024,
  });
  let maxResident = 0;
  const resident = () => {
    const s = tr.stats();
    maxResident = Math.max(maxResident, s.queued + s.inFlight);
    return s;
  };
  for (let i = 0; i < 3000; i++) {
    tr.logPrediction({ features: features(i), id: `p${String(i).padStart(5, '0')}` });
    resident();
  }
  // the first predictions are held for the baseline's lookup (which the refused connections fail),
  // within the bound, then written ahead; segments replayed into memory fit the bound too
  await eventually(() => resident().spilledDocs >= 2800, 'documents past the bound are on disk');
  assert.ok(readdirSync(dir).length > 0);
  await proxy.start();
  const watch = setInterval(resident, 5);
  t.after(() => clearInterval(watch));
  await settle(tr);
  clearInterval(watch);
  assert.ok(maxResident <= 200, `resident ${maxResident} exceeds the bound`);
  const s = tr.stats();
  assert.equal(s.indexed, 3000);
  assert.equal(s.dropped + s.failed, 0);
  assert.equal(s.spilledDocs, 0);
  assert.deepEqual(await storedSummary(client, dataStreamName(namespace)), { total: 3000, duplicates: [] });
  // replayed oldest first: document order by id matches the order of arrival (@timestamp was set at log time)
  const first = await client.search<{ mlmon: { prediction_id: string } }>({
    index: dataStreamName(namespace),
    size: 5,
    sort: [{ '@timestamp': 'asc' }, { 'mlmon.prediction_id': 'asc' }],
  });
  assert.deepEqual(
    first.hits.hits.map((h) => h._source?.mlmon.prediction_id),
    ['p00000', 'p00001', 'p00002', 'p00003', 'p00004'],
  );
  await tr.shutdown();
  assert.deepEqual(readdirSync(dir), [], 'segments are deleted once sent');
});

/** Records in the disk buffer's segment files (replayed ones stay there until they are stored). */
function recordsOnDisk(dir: string): number {
  let n = 0;
  for (const owner of readdirSync(dir, { withFileTypes: true })) {
    if (!owner.isDirectory()) continue;
    for (const f of readdirSync(join(dir, owner.name)))
      if (f.endsWith('.ndjson'))
        n += readFileSync(join(dir, owner.name, f), 'utf8')
          .split('\n')
          .filter((l) => l.length > 0).length;
  }
  return n;
}

test('predictions held for the baseline lookup while the cluster is unreachable: within the bound, written ahead, none lost or duplicated', async (t) => {
  const namespace = await setup(t);
  const dir = spillDir(t);
  // a cluster that takes connections and never answers: the baseline lookup stays pending, so the
  // first predictions are held for it; the hold gives up after 1 s (a disk buffer exists) and writes them ahead
  const proxy = new FaultProxy(targetUrl);
  await proxy.start();
  t.after(() => proxy.stop());
  proxy.hang();
  const maxQueueDocs = 300;
  const tr = transport({
    node: proxy.url,
    namespace,
    spillDir: dir,
    maxQueueDocs,
    batchSize: 100,
    requestTimeoutMs: 3000,
  });
  let maxResident = 0;
  let unbalanced = '';
  const sample = () => {
    const s = tr.stats();
    maxResident = Math.max(maxResident, s.queued + s.inFlight);
    const accounted =
      s.indexed + s.deadLettered + s.failed + s.queued + s.inFlight + s.spilledDocs + s.dropped;
    if (s.logged + s.adopted !== accounted) unbalanced ||= JSON.stringify(s);
    return s;
  };
  const watch = setInterval(sample, 5);
  t.after(() => clearInterval(watch));
  const total = 2000;
  // 2,000 over about 400 ms: the first ones wait for the lookup, the rest find the bound reached
  for (let i = 0; i < total; i++) {
    tr.logPrediction({ features: features(i), id: `h${String(i).padStart(5, '0')}` });
    if (i % 50 === 49) await new Promise((r) => setTimeout(r, 10));
  }
  const during = sample();
  assert.equal(during.logged, total);
  assert.equal(maxResident, maxQueueDocs, 'the hold fills the memory bound and no more');
  // the hold is over (1 s) long before the lookup fails: every prediction is on disk
  await eventually(() => recordsOnDisk(dir) === total, `all ${total} predictions written ahead to disk`);
  assert.equal(sample().dropped, 0);
  proxy.unhang();
  await settle(tr);
  clearInterval(watch);
  const s = sample();
  assert.equal(s.indexed, total, JSON.stringify(s));
  assert.equal(s.dropped + s.failed + s.deadLettered, 0);
  assert.ok(maxResident <= maxQueueDocs, `resident ${maxResident} exceeds the bound of ${maxQueueDocs}`);
  assert.equal(unbalanced, '', 'the counts add up at every sample, held predictions included');
  assert.deepEqual(await storedSummary(client, dataStreamName(namespace)), { total, duplicates: [] });
  await tr.shutdown();
});

test('past the disk limit the oldest segments are dropped and counted', async (t) => {
  const namespace = await setup(t);
  const dir = spillDir(t);
  const proxy = await refusingProxy(t);
  const tr = transport({
    node: proxy.url,
    namespace,
    spillDir: dir,
    maxQueueDocs: 100,
    spillSegmentBytes: 16 * 1024,
    maxSpillBytes: 128 * 1024,
    // no baseline lookup: against a node that holds connections it would hold the first predictions
    // (up to 10 s, README "Derived fields at log time") and they would enter the spill after the count below
    baseline: false,
  });
  const problems: TransportProblem[] = [];
  tr.on('warn', (p: TransportProblem) => problems.push(p));
  for (let i = 0; i < 2000; i++) {
    tr.logPrediction({ features: features(i) });
    // let the disk writes go through as a real stream of requests would
    if (i % 100 === 0) await new Promise((r) => setImmediate(r));
  }
  await eventually(() => tr.stats().dropped > 0, 'oldest segments dropped');
  const dropped = tr.stats().dropped;
  assert.ok(problems.some((p) => p.code === 'dropped_disk_limit' && (p.count ?? 0) > 0));
  await proxy.start();
  await settle(tr);
  const s = tr.stats();
  assert.ok(s.spilledBytes <= 128 * 1024);
  assert.equal(s.indexed + s.dropped, 2000, JSON.stringify(s));
  assert.equal(s.dropped, dropped);
  assert.deepEqual(await storedSummary(client, dataStreamName(namespace)), {
    total: 2000 - dropped,
    duplicates: [],
  });
  await tr.shutdown();
});

test('a document the mapping rejects goes to the dead-letter stream with the reason; the others are stored', async (t) => {
  // a user's own mapping says `code` is a number; the model sends a string once
  const namespace = await setup(t, {
    mlmon: {
      properties: {
        features: {
          properties: { cat: { type: 'object', subobjects: false, properties: { code: { type: 'long' } } } },
        },
      },
    },
  });
  const tr = transport({ client, namespace, spillDir: false });
  const problems: TransportProblem[] = [];
  tr.on('warn', (p: TransportProblem) => problems.push(p));
  if (process.env.DEBUG_TEST)
    tr.on('warn', (p: TransportProblem) => console.log(p.code, p.message, tr.stats()));
  tr.logPrediction({ features: { code: '12' }, id: 'ok-1' });
  tr.logPrediction({ features: { code: 'ABC-9' }, id: 'bad-1' });
  tr.logPrediction({ features: { code: '7' }, id: 'ok-2' });
  await settle(tr);
  const s = tr.stats();
  assert.equal(s.indexed, 2);
  assert.equal(s.deadLettered, 1);
  assert.equal(s.failed + s.dropped, 0);
  assert.equal(
    problems.filter((p) => p.code === 'dead_lettered' && /document_parsing_exception/.test(p.message)).length,
    1,
  );
  const dlIndex = `logs-mlmon.dead_letters-${namespace}`;
  await client.indices.refresh({ index: dlIndex });
  const dl = await client.search<{
    error: { type: string; message: string };
    mlmon: { dead_letter: { original: string; status: number; target: string } };
  }>({
    index: dlIndex,
  });
  assert.equal(dl.hits.hits.length, 1);
  const letter = dl.hits.hits[0]?._source;
  assert.equal(letter?.error.type, 'document_parsing_exception');
  assert.match(letter?.error.message ?? '', /code/);
  assert.equal(letter?.mlmon.dead_letter.status, 400);
  assert.equal(letter?.mlmon.dead_letter.target, dataStreamName(namespace));
  assert.equal(JSON.parse(letter?.mlmon.dead_letter.original ?? '{}').mlmon.prediction_id, 'bad-1');
  await tr.shutdown();
});

test('a 413 for a large batch halves the batch size instead of failing', async (t) => {
  const namespace = await setup(t);
  const proxy = new FaultProxy(targetUrl);
  await proxy.start();
  t.after(() => proxy.stop());
  proxy.inject({ kind: 'status', status: 413 });
  const tr = transport({ node: proxy.url, namespace, batchSize: 400, concurrency: 1, spillDir: false });
  for (let i = 0; i < 400; i++) tr.logPrediction({ features: features(i) });
  await settle(tr);
  assert.equal(tr.stats().indexed, 400);
  assert.equal(proxy.bulkRequests, 3);
  assert.deepEqual(await storedSummary(client, dataStreamName(namespace)), { total: 400, duplicates: [] });
  await tr.shutdown();
});

test('shutdown during an outage saves what is left to disk, and the next transport sends it', async (t) => {
  const namespace = await setup(t);
  const dir = spillDir(t);
  const proxy = await refusingProxy(t);
  const first = transport({ node: proxy.url, namespace, spillDir: dir });
  for (let i = 0; i < 300; i++) first.logPrediction({ features: features(i) });
  const report = await first.shutdown({ timeoutMs: 300 });
  assert.equal(report.complete, false);
  assert.equal(report.savedToDisk, 300);
  assert.equal(report.unsent, 0);

  await proxy.start();
  const second = transport({ node: proxy.url, namespace, spillDir: dir });
  await settle(second);
  assert.equal(second.stats().indexed, 300);
  assert.deepEqual(await storedSummary(client, dataStreamName(namespace)), { total: 300, duplicates: [] });
  await second.shutdown();
});

test('invalid options fail at construction, naming the option', () => {
  assert.throws(() => new MlInputTransport({ node: 'nope' }), /invalid option node/);
  assert.throws(() => new MlInputTransport({ client, namespace: 'Bad-NS' }), /invalid option namespace/);
  assert.throws(() => new MlInputTransport({ client, batchSize: 0 }), /invalid option batchSize/);
  assert.throws(() => new MlInputTransport({ client, sampleRate: 2 }), /invalid option sampleRate/);
  assert.throws(
    () => new MlInputTransport({ client, hash: ['email'], hashSecretEnv: 'MLMON_TEST_NO_SUCH_SECRET' }),
    /invalid option hash/,
  );
  assert.throws(
    () => new MlInputTransport({ client, spillSegmentBytes: 64 * 1024 * 1024 }),
    /invalid option spillSegmentBytes/,
  );
});

after(() => client.close());

test('a missing index template is reported at start; an installed one is not', async (t) => {
  const withTemplate = await setup(t);
  const problemsOf = async (namespace: string) => {
    const tr = transport({ client, namespace, spillDir: false });
    const problems: TransportProblem[] = [];
    tr.on('warn', (p: TransportProblem) => problems.push(p));
    await new Promise((r) => setTimeout(r, 500));
    await tr.shutdown();
    return problems.map((p) => p.code);
  };
  assert.deepEqual(await problemsOf(withTemplate), []);
  // a namespace where another template wins (not ours; independent of whether `mlmon setup` ran
  // cluster-wide on this node)
  const foreign = uniqueNamespace('nt');
  const name = `test-foreign-${foreign}`;
  await client.indices.putIndexTemplate({
    name,
    index_patterns: [dataStreamName(foreign)],
    data_stream: {},
    priority: 400,
  });
  try {
    assert.deepEqual(await problemsOf(foreign), ['template_missing']);
  } finally {
    await client.indices.deleteIndexTemplate({ name });
  }
});

test('a stream that exists with mappings the job cannot use is reported at start, naming the field', async () => {
  const namespace = uniqueNamespace('wm');
  const name = dataStreamName(namespace);
  // a plain index with a text model name, as the first write makes it before `mlmon setup`; a
  // higher-priority plain template masks any cluster-wide install while the index is created
  const mask = `test-mask-${namespace}`;
  await client.indices.putIndexTemplate({ name: mask, index_patterns: [name], priority: 900 });
  try {
    await client.indices.create({
      index: name,
      mappings: {
        properties: { mlmon: { properties: { model: { properties: { name: { type: 'text' } } } } } },
      },
    });
  } finally {
    await client.indices.deleteIndexTemplate({ name: mask });
  }
  try {
    const tr = transport({ client, namespace, spillDir: false });
    const problems: TransportProblem[] = [];
    tr.on('warn', (p: TransportProblem) => problems.push(p));
    await eventually(() => problems.some((p) => p.code === 'mapping_mismatch'), 'mapping_mismatch warning');
    await tr.shutdown();
    const warning = problems.find((p) => p.code === 'mapping_mismatch');
    assert.match(
      warning?.message ?? '',
      new RegExp(`mlmon\\.model\\.name is mapped as text in ${name.replaceAll('.', '\\.')}`),
    );
  } finally {
    await client.indices.delete({ index: name }, { ignore: [404] });
  }
});

test('prom-client metrics mirror stats()', async (t) => {
  const { Registry } = await import('prom-client');
  const namespace = await setup(t);
  const registry = new Registry();
  const tr = transport({ client, namespace, spillDir: false, metricsRegistry: registry });
  for (let i = 0; i < 25; i++) tr.logPrediction({ features: features(i) });
  await settle(tr);
  const text = await registry.metrics();
  assert.match(
    text,
    new RegExp(`mlmon_transport_indexed_total\\{data_stream="${dataStreamName(namespace)}"\\} 25`),
  );
  assert.match(text, /mlmon_transport_queued\{data_stream="[^"]+"\} 0/);
  assert.match(text, /mlmon_transport_dropped_total\{data_stream="[^"]+"\} 0/);
  await tr.shutdown();
});

test('predictions logged after shutdown are dropped, counted, and reported once', async (t) => {
  const namespace = await setup(t);
  const tr = transport({ client, namespace, spillDir: false });
  const problems: TransportProblem[] = [];
  tr.on('warn', (p: TransportProblem) => problems.push(p));
  tr.logPrediction({ features: { i: 1 } });
  const report = await tr.shutdown();
  assert.equal(report.complete, true);
  assert.equal(report.indexed, 1);
  for (let i = 0; i < 3; i++) assert.doesNotThrow(() => tr.logPrediction({ features: { i } }));
  assert.equal(tr.stats().dropped, 3);
  assert.equal(problems.filter((p) => p.code === 'logged_after_shutdown').length, 1);
});

test("the call takes the prediction as it was: later changes by the caller are not logged, the time is the call's", async (t) => {
  const namespace = await setup(t);
  const tr = transport({ client, namespace, spillDir: false });
  const reused: Record<string, unknown> = { age: 41, plan: 'gold' };
  const before = Date.now();
  tr.logPrediction({ features: reused, prediction: 0.5 });
  const after = Date.now();
  // the application reuses its object for the next request, at once
  reused.age = 99;
  reused.plan = 'changed';
  await new Promise((r) => setTimeout(r, 50));
  await settle(tr);
  await client.indices.refresh({ index: dataStreamName(namespace) });
  const res = await client.search<{
    '@timestamp': string;
    mlmon: { features: Record<string, Record<string, unknown>> };
  }>({
    index: dataStreamName(namespace),
  });
  const doc = res.hits.hits[0]?._source;
  assert.equal(res.hits.hits.length, 1);
  assert.equal(doc?.mlmon.features.num?.age, 41);
  assert.equal(doc?.mlmon.features.cat?.plan, 'gold');
  const at = Date.parse(doc?.['@timestamp'] as string);
  assert.ok(at >= before && at <= after, `${doc?.['@timestamp']} within the call`);
  await tr.shutdown();
});
