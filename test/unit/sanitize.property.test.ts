import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { toDocument } from '../../src/transport/document.js';
import { resolveTransportOptions } from '../../src/transport/options.js';
import { anyPrediction } from '../helpers/arbitraries.js';

const opts = resolveTransportOptions({ spillDir: false });

test('any payload becomes a JSON document without throwing', () => {
  fc.assert(
    fc.property(anyPrediction, (p) => {
      const doc = toDocument(p as never, { id: 'x', namespace: 'n', sanitize: opts.sanitize, defaults: {} });
      const text = JSON.stringify(doc);
      const back = JSON.parse(text);
      assert.equal(typeof back.mlmon.model.name, 'string');
      assert.equal(typeof back.mlmon.prediction_id, 'string');
      assert.ok(!Number.isNaN(Date.parse(back['@timestamp'])));
    }),
    { numRuns: 2000 },
  );
});
