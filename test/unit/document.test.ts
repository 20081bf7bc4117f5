import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dataStreamName, toDocument } from '../../src/transport/document.js';
import { resolveTransportOptions } from '../../src/transport/options.js';

const sanitize = resolveTransportOptions({ spillDir: false }).sanitize;

test('features are split by type so one name may carry different types in two models', () => {
  const doc = toDocument(
    {
      model: 'm',
      version: '1',
      features: { a: 1, b: 'x', c: true, d: Number.NaN, e: undefined, f: null, g: '' },
      prediction: 'yes',
    },
    { id: 'id-1', namespace: 'default', sanitize, defaults: {} },
  );
  assert.deepEqual(doc.mlmon.features, { num: { a: 1 }, cat: { b: 'x', g: '' }, bool: { c: true } });
  assert.deepEqual(doc.mlmon.na, ['d', 'e', 'f', 'g']);
  assert.deepEqual(doc.mlmon.flags, ['non_finite:d']);
  assert.deepEqual(doc.mlmon.prediction, { cat: 'yes' });
  assert.equal(doc.mlmon.prediction_id, 'id-1');
});

test('ECS fields and the data stream follow the type-dataset-namespace scheme', () => {
  const doc = toDocument(
    { features: {}, timestamp: 0, context: { traceId: 't', service: 's' } },
    { id: 'x', namespace: 'prod', level: 'warn', sanitize, defaults: { model: 'dm', version: 'dv' } },
  );
  assert.equal(doc['@timestamp'], '1970-01-01T00:00:00.000Z');
  assert.deepEqual(doc.data_stream, { type: 'logs', dataset: 'mlmon.predictions', namespace: 'prod' });
  assert.equal(doc.event.dataset, doc.data_stream.dataset);
  assert.deepEqual(doc.mlmon.model, { name: 'dm', version: 'dv' });
  assert.deepEqual(doc.trace, { id: 't' });
  assert.deepEqual(doc.service, { name: 's' });
  assert.equal(doc.log.level, 'warn');
  assert.equal(doc.mlmon.na, undefined);
  assert.equal(dataStreamName('prod'), 'logs-mlmon.predictions-prod');
});

test('sampling records its rate on the document', () => {
  const doc = toDocument(
    { features: { a: 1 } },
    { id: 'x', namespace: 'n', sampleRate: 0.25, sanitize, defaults: {} },
  );
  assert.equal(doc.mlmon.sample_rate, 0.25);
});
