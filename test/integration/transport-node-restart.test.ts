import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Client } from '@elastic/elasticsearch';
import { dataStreamName } from '../../src/transport/document.js';
import { MlInputTransport } from '../../src/transport/ml-input-transport.js';
import type { TransportProblem } from '../../src/transport/stats.js';
import { storedSummary } from '../helpers/stored.js';
import { installPredictionTemplate } from '../helpers/templates.js';

const repoRoot = process.env.MLMON_REPO_ROOT ?? process.cwd();

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Runs scripts/es-node.ts for a node of this test's own (state file, fixed port). */
function esNode(stateFile: string, port: number, ...args: string[]): void {
  const env: NodeJS.ProcessEnv = { ...process.env, MLMON_STATE_FILE: stateFile, MLMON_ES_PORT: String(port) };
  delete env.ES_URL;
  const res = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'scripts', 'es-node.ts'), ...args],
    {
      cwd: repoRoot,
      env,
      encoding: 'utf8',
    },
  );
  assert.equal(res.status, 0, `es-node ${args.join(' ')}:\n${res.stdout}\n${res.stderr}`);
}

test('the node is stopped mid-stream and restarted: zero lost, zero duplicated', async (t) => {
  // a node of its own: stopping the shared one would break tests running beside this one
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-restart-'));
  const stateFile = join(dir, 'node.json');
  const port = await freePort();
  t.after(() => {
    esNode(stateFile, port, 'stop');
    rmSync(dir, { recursive: true, force: true });
  });
  esNode(stateFile, port, 'start', '--only', 'elasticsearch');
  const url = JSON.parse(readFileSync(stateFile, 'utf8')).elasticsearch.url as string;
  const admin = new Client({ node: url });
  t.after(() => admin.close());
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
  esNode(stateFile, port, 'stop');
  await log(2000, 4000); // the node is down: memory fills, then the disk buffer takes over
  const during = tr.stats();
  assert.ok(during.queued + during.inFlight <= 2000, `memory bound kept: ${JSON.stringify(during)}`);
  esNode(stateFile, port, 'start', '--only', 'elasticsearch', '--keep-data');
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
