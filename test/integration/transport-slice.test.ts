import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import winston from 'winston';
import { dataStreamName } from '../../src/transport/document.js';
import { MlInputTransport } from '../../src/transport/ml-input-transport.js';
import { cleanup, testClient, uniqueNamespace } from '../helpers/cluster.js';
import { installPredictionTemplate } from '../helpers/templates.js';

test('a prediction logged through winston is stored in the data stream and found by search', async (t) => {
  const client = testClient();
  const namespace = uniqueNamespace();
  const templates = await installPredictionTemplate(client, namespace);
  t.after(() => cleanup(client, { dataStreams: [dataStreamName(namespace)], indexTemplates: templates }));

  const transport = new MlInputTransport({
    client,
    namespace,
    model: 'churn',
    version: '3',
    spillDir: false,
  });
  const logger = winston.createLogger({ transports: [transport] });
  logger.info('prediction', {
    features: { age: 42, plan: 'gold', 'device.os': 'ios', active: true },
    prediction: 0.87,
    latencyMs: 12.5,
    id: 'pred-1',
    context: { traceId: 'trace-abc', service: 'scoring-api' },
  });
  logger.info('a plain log line without features is not a prediction');
  await new Promise((r) => setImmediate(r));
  await transport.flush();
  assert.equal(transport.stats().indexed, 1);
  assert.equal(transport.stats().failed, 0);
  assert.equal(transport.stats().ignored, 1);

  await client.indices.refresh({ index: dataStreamName(namespace) });
  const res = await client.search<Record<string, unknown>>({
    index: dataStreamName(namespace),
    query: { term: { 'mlmon.prediction_id': 'pred-1' } },
  });
  assert.equal(res.hits.hits.length, 1);
  const hit = res.hits.hits[0];
  assert.ok(
    hit?._index.startsWith(`.ds-${dataStreamName(namespace)}-`),
    `stored in a data stream backing index, got ${hit?._index}`,
  );
  assert.deepEqual(hit?._source?.mlmon, {
    model: { name: 'churn', version: '3' },
    prediction_id: 'pred-1',
    features: { num: { age: 42 }, cat: { plan: 'gold', 'device.os': 'ios' }, bool: { active: true } },
    prediction: { num: 0.87 },
    latency_ms: 12.5,
  });
  assert.deepEqual(hit?._source?.trace, { id: 'trace-abc' });
  assert.deepEqual(hit?._source?.data_stream, { type: 'logs', dataset: 'mlmon.predictions', namespace });

  // the dotted feature name stays one field, typed by the template
  const mapping = await client.indices.getFieldMapping({
    index: dataStreamName(namespace),
    fields: 'mlmon.features.*',
  });
  const fields = Object.values(mapping)[0]?.mappings ?? {};
  assert.equal(
    (fields['mlmon.features.cat.device.os']?.mapping['device.os'] as { type?: string })?.type,
    'keyword',
  );
  assert.equal((fields['mlmon.features.num.age']?.mapping.age as { type?: string })?.type, 'double');
  logger.close();
});

after(() => testClient().close());
