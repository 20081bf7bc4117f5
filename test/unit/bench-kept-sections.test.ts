import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keptSections, replaceSoakSection } from '../../bench/lib/soak-section.js';

test('a rewritten BENCHMARKS.md keeps the sections of runs of their own, in order; the soak replaces only its own', () => {
  const file = [
    '# Benchmarks',
    '## 1. Throughput',
    'old figures',
    '<!-- labels-join:start (by hand) -->',
    '## 8. Label join',
    'join figures',
    '<!-- labels-join:end -->',
    '',
    '<!-- soak:start (written by `npm run soak`, kept by `npm run bench`) -->',
    '## Soak: crashes and node kills',
    'soak figures',
    '<!-- soak:end -->',
    '',
  ].join('\n');
  const kept = keptSections(file);
  assert.match(
    kept,
    /^<!-- labels-join:start[\s\S]*join figures\n<!-- labels-join:end -->\n\n<!-- soak:start[\s\S]*soak figures\n<!-- soak:end -->$/,
  );
  assert.doesNotMatch(kept, /old figures/);
  const again = replaceSoakSection(file, 'new soak');
  assert.match(again, /join figures/);
  assert.match(again, /## Soak: crashes and node kills\n\nnew soak\n<!-- soak:end -->/);
  assert.doesNotMatch(again, /soak figures/);
  assert.equal(keptSections('# nothing kept'), '');
});
