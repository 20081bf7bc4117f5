import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const repoRoot = process.env.MLMON_REPO_ROOT ?? process.cwd();

async function writeLargeCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  const words = ['alpha', 'beta', 'gamma', 'delta', 'omega', 'kappa', 'sigma', 'zeta'];
  out.write('a,b,c,d,e,f,plan,city,device,note\n');
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    const x = (i * 2654435761) % 1_000_003;
    chunk += `${x / 1000},${(x % 977) * 1.5},${i % 100},${Math.sin(i)},${x % 7},${i},p${x % 5},c${x % 300},d${x % 40},${words[x % 8]} ${words[i % 8]} ${words[(x + i) % 8]}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      chunk = '';
    }
  }
  out.end(chunk);
  await new Promise<void>((r) => out.on('finish', () => r()));
}

test('a large CSV profiles in bounded memory (streaming, sketch past the exact limit)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-mem-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'large.csv');
  const rows = 1_500_000;
  await writeLargeCsv(file, rows);
  const size = statSync(file).size;
  assert.ok(size > 100 * 1024 * 1024, `file is ${size} bytes`);
  const res = spawnSync(process.execPath, ['--import', 'tsx', 'test/fixtures/profile-rss.ts', file], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 600_000,
  });
  assert.equal(res.status, 0, res.stderr);
  const out = JSON.parse(res.stdout.trim().split('\n').pop() as string) as {
    rows: number;
    maxRssMiB: number;
    methods: string[];
  };
  assert.equal(out.rows, rows);
  assert.ok(
    out.methods.every((m) => m === 'sketch'),
    'past 200,000 values the edges come from the sketch',
  );
  // the file is more than 100 MiB; the process stays far below what holding it would take
  assert.ok(out.maxRssMiB < 300, `peak RSS ${out.maxRssMiB.toFixed(0)} MiB`);
  console.log(
    `profiled ${(size / 2 ** 20).toFixed(0)} MiB, ${rows} rows, peak RSS ${out.maxRssMiB.toFixed(0)} MiB`,
  );
});
