import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stackVersions } from '../../scripts/lib/paths.js';
import {
  cleanup,
  ingestEngine,
  testClient,
  testClusterCapabilities,
  uniqueNamespace,
} from '../helpers/cluster.js';
import { pinnedElasticsearchCapabilities, pinnedIngestEngineCapabilities } from '../helpers/pinned-node.js';

const usingOwnNodes = !process.env.ES_URL && !process.env.ES_CLOUD_ID;

test('the test cluster reports its version and capabilities', async () => {
  const caps = await testClusterCapabilities();
  assert.match(caps.version, /^\d+\.\d+\.\d+/);
  if (!usingOwnNodes) return;
  assert.equal(caps.version, stackVersions().elasticsearch);
  const {
    engine,
    modules,
    license,
    ingestProcessors,
    painless,
    dataStreamApi,
    failureStore,
    ilm,
    watcher,
    security,
  } = caps;
  assert.deepEqual(
    {
      engine,
      modules,
      license,
      ingestProcessors,
      painless,
      dataStreamApi,
      failureStore,
      ilm,
      watcher,
      security,
    },
    pinnedElasticsearchCapabilities,
  );
});

test('an index template with data_stream creates a data stream on first write', async (t) => {
  const client = testClient();
  const stream = `logs-mlmon.capprobe-${uniqueNamespace()}`;
  const template = `probe-${stream}`;
  t.after(() => cleanup(client, { dataStreams: [stream], indexTemplates: [template] }));
  await client.indices.putIndexTemplate({
    name: template,
    index_patterns: [stream],
    data_stream: {},
    priority: 400,
    template: { mappings: { properties: { '@timestamp': { type: 'date' } } } },
  });
  await client.index({
    index: stream,
    op_type: 'create',
    document: { '@timestamp': new Date().toISOString() },
  });
  const resolved = await client.indices.resolveIndex({ name: stream });
  assert.deepEqual(
    resolved.data_streams.map((d) => d.name),
    [stream],
  );
  const rolled = await client.indices.rollover({ alias: stream });
  assert.equal(rolled.rolled_over, true);
  // plain writes without op_type create are refused by data streams: the transport must use create
  await assert.rejects(
    client.index({ index: stream, document: { '@timestamp': new Date().toISOString() }, op_type: 'index' }),
  );
});

test('the ingest engine has the processors and Painless the product needs', async () => {
  const engine = await ingestEngine();
  for (const p of pinnedIngestEngineCapabilities.requiredProcessors) {
    assert.ok(engine.capabilities.ingestProcessors.includes(p), `processor ${p} missing on ${engine.url}`);
  }
  assert.equal(engine.capabilities.painless, true);
  if (usingOwnNodes) {
    assert.equal(engine.capabilities.engine, pinnedIngestEngineCapabilities.engine);
    assert.equal(engine.capabilities.version, stackVersions().ingestEngine.opensearch);
    assert.deepEqual(engine.capabilities.modules, pinnedIngestEngineCapabilities.modules);
  }
});
