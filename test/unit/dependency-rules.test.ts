/**
 * The layering rules (.dependency-cruiser.cjs) hold on the tree, and they bite: an upward import or
 * a folder cycle planted in a copy of src/ makes the checker fail with the rule's name.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const root = process.env.MLMON_REPO_ROOT ?? process.cwd();
const bin = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

function cruise(cwd: string): { status: number | null; out: string } {
  const res = spawnSync(process.execPath, [bin, 'src', '--config', '.dependency-cruiser.cjs'], {
    cwd,
    encoding: 'utf8',
  });
  return { status: res.status, out: `${res.stdout}${res.stderr}` };
}

/** A copy of the tree the rules read, with `plant` applied: [file under src/, line to append]. */
function plantedCopy(plant: [string, string][]): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-depcruise-'));
  for (const f of ['src', 'tsconfig.json', '.dependency-cruiser.cjs', 'package.json'])
    cpSync(join(root, f), join(dir, f), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  for (const [file, line] of plant) appendFileSync(join(dir, 'src', file), `\n${line}\n`);
  return dir;
}

test('the tree follows the layering rules', () => {
  const r = cruise(root);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /no dependency violations found/);
});

test('an upward import from the transport into the commands is refused, naming the rules', () => {
  const dir = plantedCopy([['transport/document.ts', "import '../cli/context.js';"]]);
  try {
    const r = cruise(dir);
    assert.notEqual(r.status, 0, r.out);
    assert.match(r.out, /cli-is-a-leaf: src\/transport\/document\.ts → src\/cli\/context\.ts/);
    assert.match(r.out, /layer-transport: src\/transport\/document\.ts → src\/cli\/context\.ts/);
    assert.match(r.out, /transport-loads-only-what-it-needs/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a cycle between two folders is refused', () => {
  // job imports baseline already; baseline importing job closes a folder cycle
  const dir = plantedCopy([['baseline/values.ts', "import '../job/windows.js';"]]);
  try {
    const r = cruise(dir);
    assert.notEqual(r.status, 0, r.out);
    assert.match(r.out, /no-folder-cycles/);
    assert.match(r.out, /layer-baseline: src\/baseline\/values\.ts → src\/job\/windows\.ts/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the contract imports nothing of the project', () => {
  const dir = plantedCopy([['contract/limits.ts', "import '../es/raw-request.js';"]]);
  try {
    const r = cruise(dir);
    assert.notEqual(r.status, 0, r.out);
    assert.match(r.out, /layer-contract: src\/contract\/limits\.ts → src\/es\/raw-request\.ts/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
