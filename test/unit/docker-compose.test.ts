import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { stackVersions } from '../../scripts/lib/paths.js';

test('docker-compose.yml parses and runs Elasticsearch and Kibana at the pinned version', () => {
  const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8')) as {
    services: Record<string, { image: string; ports?: string[] }>;
  };
  const pin = stackVersions().elasticsearch;
  assert.equal(compose.services.elasticsearch?.image, `docker.elastic.co/elasticsearch/elasticsearch:${pin}`);
  assert.equal(compose.services.kibana?.image, `docker.elastic.co/kibana/kibana:${pin}`);
  for (const service of Object.values(compose.services)) {
    for (const port of service.ports ?? [])
      assert.match(port, /^127\.0\.0\.1:/, 'ports bind to loopback only');
  }
});
