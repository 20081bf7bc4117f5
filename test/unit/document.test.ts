import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dataStreamName, toDocument } from '../../src/transport/document.js';

test('features are split by type so one name may carry different types in two models', () => {
  const doc = toDocument(
    {
      model: 'm',
      version: '1',
      features: { a: 1, b: 'x', c: true, d: Number.NaN, e: undefined },
      prediction: 'yes',
    },
    { id: 'id-1', namespace: 'default' },
  );
  assert.deepEqual(doc.mlmon.features, { num: { a: 1, d: null }, cat: { b: 'x' }, bool: { c: true } });
  assert.deepEqual(doc.mlmon.prediction, { cat: 'yes' });
  assert.equal(doc.mlmon.prediction_id, 'id-1');
});

test('ECS fields and the data stream follow the type-dataset-namespace scheme', () => {
  const doc = toDocument(
    { features: {}, timestamp: 0, context: { traceId: 't', service: 's' } },
    { id: 'x', namespace: 'prod', level: 'warn' },
  );
  assert.equal(doc['@timestamp'], '1970-01-01T00:00:00.000Z');
  assert.deepEqual(doc.data_stream, { type: 'logs', dataset: 'mlmon.predictions', namespace: 'prod' });
  assert.equal(doc.event.dataset, doc.data_stream.dataset);
  assert.deepEqual(doc.trace, { id: 't' });
  assert.deepEqual(doc.service, { name: 's' });
  assert.equal(doc.log.level, 'warn');
  assert.equal(dataStreamName('prod'), 'logs-mlmon.predictions-prod');
});
