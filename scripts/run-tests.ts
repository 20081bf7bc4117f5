/**
 * `npm test` (all), `npm run test:unit`, `npm run test:integration`.
 * Integration tests need a cluster: ES_URL, or the project's own nodes, which this script starts once
 * for the run when they are not already running, and stops afterwards if it started them.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from './lib/paths.js';

type Mode = 'unit' | 'integration' | 'all';

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...testFiles(path));
    else if (entry.endsWith('.test.ts')) out.push(path);
  }
  return out.sort();
}

function esNode(command: 'start' | 'stop' | 'status'): number {
  const res = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'scripts', 'es-node.ts'), command],
    {
      stdio: command === 'status' ? 'ignore' : 'inherit',
      cwd: repoRoot,
    },
  );
  return res.status ?? 1;
}

const mode = (process.argv[2] ?? 'all') as Mode;
if (!['unit', 'integration', 'all'].includes(mode)) {
  console.error('usage: run-tests.ts unit|integration|all [node --test options...]');
  process.exit(2);
}
const dirs = mode === 'all' ? ['unit', 'integration'] : [mode];
const files = dirs.flatMap((d) => testFiles(join(repoRoot, 'test', d))).map((f) => relative(repoRoot, f));

let startedHere = false;
if (mode !== 'unit' && !process.env.ES_URL && esNode('status') !== 0) {
  if (esNode('start') !== 0) {
    console.error('could not start the test nodes (see above); set ES_URL to use an existing cluster');
    process.exit(1);
  }
  startedHere = true;
}

const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-timeout=300000',
    ...process.argv.slice(3),
    ...files,
  ],
  { stdio: 'inherit', cwd: repoRoot, env: { ...process.env, MLMON_REPO_ROOT: repoRoot } },
);
if (startedHere) esNode('stop');
process.exit(result.status ?? 1);
