import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeSpillLine, encodeSpillLine } from '../../src/transport/spill-line.js';

const ID = '019a3c1e-7b2a-7cc1-9f00-0123456789ab';

test('a written line reads back as written, without any target index', () => {
  const line = encodeSpillLine('p', ID, '{"a":1}');
  assert.equal(line, `p\t${ID}\t{"a":1}\n`);
  assert.deepEqual(decodeSpillLine(line.slice(0, -1)), { ok: true, kind: 'p', id: ID, json: '{"a":1}' });
  assert.deepEqual(decodeSpillLine(`d\t${ID}-dl\t{"b":"x\\ty"}`), {
    ok: true,
    kind: 'd',
    id: `${ID}-dl`,
    json: '{"b":"x\\ty"}',
  });
});

test('malformed lines are refused with a reason, never thrown', () => {
  const cases: [string, RegExp][] = [
    ['', /not a segment line/],
    ['garbage without tabs', /not a segment line/],
    // the earlier format named its own index: a planted line could write anywhere
    [`${ID}\tmlmon-baselines\t{"x":1}`, /unknown record kind/],
    [`p\t${'a'.repeat(600)}\t{"x":1}`, /invalid document id/],
    [`p\t\t{"x":1}`, /invalid document id/],
    [`p\tid with space\t{"x":1}`, /invalid document id/],
    [`p\t${ID}\t{"x":1`, /not a JSON object/],
    [`p\t${ID}\t[1,2]`, /not a JSON object/],
    [`p\t${ID}\tnull`, /not a JSON object/],
  ];
  for (const [line, reason] of cases) {
    const decoded = decodeSpillLine(line);
    assert.equal(decoded.ok, false, line);
    if (!decoded.ok) assert.match(decoded.reason, reason, line);
  }
});
