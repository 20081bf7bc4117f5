import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const repoRoot = process.env.MLMON_REPO_ROOT ?? process.cwd();

test('README lists every warn code of the transport (TransportProblem.code), and no other', () => {
  // the union in src/transport/transport-stats.ts is the one list of codes the type checker enforces
  const source = readFileSync(join(repoRoot, 'src', 'transport', 'transport-stats.ts'), 'utf8');
  const union = /interface TransportProblem \{[\s\S]*?code:([\s\S]*?);/.exec(source)?.[1] ?? '';
  const codes = [...union.matchAll(/'([a-z_]+)'/g)].map((m) => m[1] as string);
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const list = /codes:\n([\s\S]*?) \(the stream exists/.exec(readme)?.[1] ?? '';
  const documented = [...list.matchAll(/`([a-z_]+)`/g)].map((m) => m[1] as string);
  assert.ok(codes.length >= 15, codes.join(', '));
  assert.deepEqual([...documented].sort(), [...codes].sort());
});
