import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { dataStreamName } from '../../src/transport/document.js';
import { MlInputTransport } from '../../src/transport/ml-input-transport.js';
import type { TransportProblem } from '../../src/transport/transport-stats.js';
import { startOwnNode } from '../helpers/own-node.js';
import { storedSummary } from '../helpers/stored.js';
import { installPredictionTemplate } from '../helpers/templates.js';

test('the node is stopped mid-stream and restarted: zero lost, zero duplicated', async (t) => {
  // a node of its own: stopping the shared one would break tests running beside this one
  const node = await startOwnNode();
  t.after(() => node.stop());
  const { url, admin, dir } = node;
  const namespace = 'restart';
  await installPredictionTemplate(admin, namespace);

  const tr = new MlInputTransport({
    node: url,
    namespace,
    batchSize: 200,
    flushIntervalMs: 100,
    retryInitialMs: 50,
    retryMaxMs: 1000,
    requestTimeoutMs: 5000,
    spillDir: join(dir, 'spill'),
    maxQueueDocs: 2000,
  });
  const problems: TransportProblem[] = [];
  tr.on('warn', (p: TransportProblem) => problems.push(p));
  const total = 6000;
  const log = async (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      tr.logPrediction({ features: { i, even: i % 2 === 0 }, id: `r${i}` });
      if (i % 100 === 0) await new Promise((r) => setTimeout(r, 5));
    }
  };
  await log(0, 2000);
  node.run('stop');
  await log(2000, 4000); // the node is down: memory fills, then the disk buffer takes over
  const during = tr.stats();
  assert.ok(during.queued + during.inFlight <= 2000, `memory bound kept: ${JSON.stringify(during)}`);
  node.run('start', '--only', 'elasticsearch', '--keep-data');
  await log(4000, total);
  assert.equal(await tr.flush(120_000), true, JSON.stringify(tr.stats()));

  const s = tr.stats();
  assert.equal(s.indexed, total, JSON.stringify(s));
  assert.equal(s.dropped + s.failed + s.deadLettered, 0);
  assert.deepEqual(await storedSummary(admin, dataStreamName(namespace)), { total, duplicates: [] });
  assert.ok(problems.some((p) => p.code === 'cluster_unavailable'));
  assert.ok(problems.some((p) => p.code === 'cluster_available'));
  await tr.shutdown();
});
