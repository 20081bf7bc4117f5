import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { deadLettersStream, labelsStream, predictionsStream } from '../../src/contract/streams.js';
import { MlInputTransport, type MlInputTransportOptions } from '../../src/transport/ml-input-transport.js';
import type { TransportWarning } from '../../src/transport/transport-stats.js';
import { cleanup, testClient, uniqueNamespace } from '../helpers/cluster.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { installLabelsTemplate, installPredictionTemplate } from '../helpers/templates.js';

/**
 * logLabel keeps logPrediction's guarantees on the real node: through an outage labels go to the
 * disk buffer as their own record kind and the next transport sends them to the labels stream (not
 * the predictions'); a label sent twice is one document; junk is refused, counted, never thrown.
 */
const client = testClient();
const targetUrl = (client.connectionPool.connections[0]?.url.toString() ?? '').replace(/\/$/, '');

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const namespace = uniqueNamespace('lt');
  const templates = [
    ...(await installPredictionTemplate(client, namespace)),
    await installLabelsTemplate(client, namespace),
  ];
  t.after(() =>
    cleanup(client, {
      dataStreams: [predictionsStream(namespace), labelsStream(namespace), deadLettersStream(namespace)],
      indexTemplates: templates,
    }),
  );
  return namespace;
}

const transport = (opts: MlInputTransportOptions) =>
  new MlInputTransport({
    model: 'm',
    version: '1',
    retryInitialMs: 20,
    retryMaxMs: 200,
    baseline: false,
    ...opts,
  });

async function count(index: string): Promise<number> {
  await client.indices.refresh({ index, ignore_unavailable: true });
  return (await client.count({ index, ignore_unavailable: true, allow_no_indices: true })).count;
}

test('an outage: labels are saved to disk with the predictions and replayed into the labels stream', async (t) => {
  const namespace = await setup(t);
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-spill-labels-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const proxy = new FaultProxy(targetUrl);
  await proxy.start();
  await proxy.stop(); // refused until started again, on the same port
  t.after(() => proxy.stop());

  const first = transport({ node: proxy.url, namespace, spillDir: dir, checkTemplate: false });
  const at = Date.UTC(2026, 0, 7);
  for (let i = 0; i < 200; i++)
    first.logPrediction({ id: `p${i}`, features: { i }, prediction: 'yes', timestamp: at });
  for (let i = 0; i < 100; i++)
    first.logLabel({ id: `p${i}`, label: i % 2 ? 'yes' : 'no', timestamp: at + 1000 });
  // the same label twice (a retry by the application): one document
  first.logLabel({ id: 'p0', label: 'no', timestamp: at + 1000 });
  const report = await first.shutdown({ timeoutMs: 300 });
  assert.equal(report.savedToDisk, 301);

  await proxy.start();
  const second = transport({ node: proxy.url, namespace, spillDir: dir, checkTemplate: false });
  assert.equal(await second.flush(60_000), true, JSON.stringify(second.stats()));
  const s = second.stats();
  assert.equal(s.indexed, 301, 'the duplicate label counts as stored (409)');
  assert.equal(s.deadLettered + s.failed + s.dropped, 0);
  await second.shutdown();
  assert.equal(await count(predictionsStream(namespace)), 200);
  assert.equal(await count(labelsStream(namespace)), 100);
  assert.equal(await count(deadLettersStream(namespace)), 0);
  const one = await client.search<{ mlmon: { prediction_id: string; label: { cat: string } } }>({
    index: labelsStream(namespace),
    query: { term: { 'mlmon.prediction_id': 'p1' } },
  });
  assert.equal(one.hits.hits[0]?._source?.mlmon.label.cat, 'yes');
});

test('logLabel never throws: junk is refused, counted and warned, the rest is sent', async (t) => {
  const namespace = await setup(t);
  const tr = transport({ client, namespace, spillDir: false, checkTemplate: false });
  const warnings: TransportWarning[] = [];
  tr.on('warn', (w: TransportWarning) => warnings.push(w));
  const junk: unknown[] = [
    null,
    undefined,
    42,
    'x',
    [],
    { label: 1 },
    { id: 'a' },
    { id: 'a', label: {} },
    { id: 'a', label: 1, timestamp: 'soon' },
  ];
  for (const j of junk) assert.doesNotThrow(() => tr.logLabel(j));
  tr.logLabel({ id: 'ok', label: 3.5 });
  assert.equal(await tr.flush(30_000), true);
  const s = tr.stats();
  assert.equal(s.labelsRefused, junk.length);
  assert.equal(s.labels, 1);
  assert.equal(s.indexed, 1);
  assert.equal(warnings.filter((w) => w.code === 'label_refused').length, junk.length);
  assert.ok(warnings.some((w) => /missing id/.test(w.message)));
  await tr.shutdown();
  assert.equal(await count(labelsStream(namespace)), 1);
});
