import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, test } from 'node:test';
import { dataStreamName } from '../../src/transport/document.js';
import { cleanup, testClient, uniqueNamespace } from '../helpers/cluster.js';
import { storedSummary } from '../helpers/stored.js';
import { installPredictionTemplate } from '../helpers/templates.js';

const client = testClient();
const repoRoot = process.env.MLMON_REPO_ROOT ?? process.cwd();
const targetUrl = (client.connectionPool.connections[0]?.url.toString() ?? '').replace(/\/$/, '');

function runChild(env: Record<string, string>, onLine: (line: string, kill: () => void) => void) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/child-logger.ts'], {
    cwd: repoRoot,
    env: { ...process.env, TARGET_URL: targetUrl, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (const line of chunk.toString().split('\n')) if (line) onLine(line, () => child.kill('SIGTERM'));
  });
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, out })),
  );
}

for (const mode of ['signal', 'natural'] as const) {
  test(`a process that logs 5,000 predictions and ${mode === 'signal' ? 'is stopped by SIGTERM' : 'ends on its own'} stores all 5,000`, async (t) => {
    const namespace = uniqueNamespace();
    const templates = await installPredictionTemplate(client, namespace);
    t.after(() => cleanup(client, { dataStreams: [dataStreamName(namespace)], indexTemplates: templates }));
    const result = await runChild({ N: '5000', NAMESPACE: namespace, MODE: mode }, (line, kill) => {
      if (line === 'ready') kill();
    });
    if (mode === 'signal') {
      assert.equal(result.code, 128 + 15, result.out);
      const report = JSON.parse(
        result.out
          .split('\n')
          .find((l) => l.startsWith('report '))
          ?.slice(7) ?? '{}',
      );
      assert.equal(report.complete, true);
      assert.equal(report.indexed, 5000);
    } else {
      assert.equal(result.code, 0, result.out);
    }
    assert.deepEqual(await storedSummary(client, dataStreamName(namespace)), { total: 5000, duplicates: [] });
  });
}

after(() => client.close());
