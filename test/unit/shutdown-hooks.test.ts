import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

const repoRoot = process.env.MLMON_REPO_ROOT ?? process.cwd();

test('two installShutdownHooks calls in one process: SIGTERM reports both, then exits once with 143', async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'test/fixtures/two-shutdown-hooks.ts')],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.on('data', (c) => {
    out += c;
    if (out.includes('ready\n') && !child.killed) child.kill('SIGTERM');
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 143);
  assert.deepEqual(out.trim().split('\n'), ['ready', 'report fast SIGTERM', 'report slow SIGTERM']);
});
