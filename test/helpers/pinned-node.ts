/**
 * What the nodes `npm run es:start` starts can do, as README ("What the test node can do") states it.
 * test/integration/capabilities.test.ts checks these against the running nodes, so README stays true.
 */
export const pinnedElasticsearchCapabilities = {
  engine: 'elasticsearch',
  modules: ['apm', 'transport-netty4', 'x-pack-core', 'x-pack-security'],
  license: 'basic',
  // only x-pack-security's own processor: ingest-common is not in the test distribution
  ingestProcessors: ['set_security_user'],
  painless: false,
  dataStreamApi: false,
  failureStore: false,
  ilm: false,
  watcher: false,
  security: false,
} as const;

export const pinnedIngestEngineCapabilities = {
  engine: 'opensearch',
  modules: ['ingest-common', 'lang-mustache', 'lang-painless', 'transport-netty4'],
  painless: true,
  // the processors the product's pipelines use
  requiredProcessors: [
    'set',
    'script',
    'split',
    'lowercase',
    'date',
    'remove',
    'rename',
    'json',
    'fingerprint',
    'pipeline',
    'fail',
    'foreach',
    'dot_expander',
  ],
} as const;
