/**
 * A burst while the cluster is down (README, "The disk buffer"): 100,000 predictions of about
 * 1 KB (110 MB) logged as fast as an application would, in a child process so its RSS is its own.
 * Pending disk writes count against the memory bound, so the peak RSS stays within 6 times
 * `maxQueueBytes` over the idle process (measured: 2.1 to 3.1 times at the default 32 MiB alone, 5.0
 * once under the full suite's load), and nothing is dropped: the disk takes it all.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { transportDefaults } from '../../src/transport/options.js';

const repoRoot = process.env.MLMON_REPO_ROOT ?? process.cwd();
// measured 2.1 to 3.1 times alone, and once 5.0 times while the full suite loaded the machine (README,
// "Memory"; the durability issue stays open on it): the documented bound is 6 times
const RSS_MULTIPLE = 6;

test(`a 110 MB burst with the cluster down: peak RSS within ${RSS_MULTIPLE}x the memory bound, nothing dropped`, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-burst-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const maxQueueBytes = transportDefaults.maxQueueBytes;
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/burst-logger.ts'], {
    cwd: repoRoot,
    // port 1 on the loopback: connections are refused, the cluster is down for the whole burst
    env: {
      ...process.env,
      N: '100000',
      MAX_QUEUE_BYTES: String(maxQueueBytes),
      TARGET_URL: 'http://127.0.0.1:1',
      SPILL_DIR: join(dir, 'buffer'),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  assert.equal(code, 0, out);
  const line = out.split('\n').find((l) => l.startsWith('result '));
  assert.ok(line, out);
  const r = JSON.parse(line.slice(7)) as {
    before: number;
    peak: number;
    stats: { logged: number; dropped: number; spilledDocs: number; queued: number; inFlight: number };
  };
  const growth = r.peak - r.before;
  console.log(
    `# peak RSS ${Math.round(r.peak / 1e6)} MB, ${Math.round(growth / 1e6)} MB over idle = ${(growth / maxQueueBytes).toFixed(2)}x the bound`,
  );
  assert.equal(r.stats.dropped, 0, line);
  assert.equal(r.stats.logged, r.stats.spilledDocs + r.stats.queued + r.stats.inFlight, line);
  assert.ok(
    growth <= RSS_MULTIPLE * maxQueueBytes,
    `RSS grew ${growth} bytes, over ${RSS_MULTIPLE}x ${maxQueueBytes}`,
  );
});
