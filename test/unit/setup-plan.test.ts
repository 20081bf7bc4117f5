import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { elasticsearchAssets, parseRetention, roleAssets } from '../../src/assets/catalog.js';
import type { Capabilities } from '../../src/es/capabilities.js';
import { checkSupported } from '../../src/setup/cluster-support.js';
import { differences, flattenSettings } from '../../src/setup/compare.js';
import { rolesYaml } from '../../src/setup/security-assets.js';

describe('comparing an asset with what the cluster returns', () => {
  it('accepts the cluster normalizing settings and filling in defaults', () => {
    const desired = {
      version: 3,
      template: {
        settings: { 'index.mapping.total_fields.limit': 10000, number_of_shards: 1 },
        mappings: { dynamic: false },
      },
      data_stream: {},
    };
    const installed = {
      version: 3,
      template: {
        settings: { index: { mapping: { total_fields: { limit: '10000' } }, number_of_shards: '1' } },
        mappings: { dynamic: 'false' },
      },
      data_stream: { hidden: false, allow_custom_routing: false },
      created_date_millis: 1,
    };
    assert.deepEqual(differences(desired, installed, { ignore: ['created_date_millis'] }), []);
  });

  it('names a changed value, a missing key and a key added by hand', () => {
    const desired = { priority: 260, template: { mappings: { properties: { a: { type: 'keyword' } } } } };
    const installed = {
      priority: 270,
      template: { mappings: { properties: { b: { type: 'keyword' } } } },
    };
    assert.deepEqual(differences(desired, installed), [
      'priority: 270 in the cluster, 260 expected',
      'template.mappings.properties.a: missing in the cluster',
      'template.mappings.properties.b: only in the cluster',
    ]);
  });

  it('compares arrays in order and by length', () => {
    assert.deepEqual(differences({ p: ['a', 'b'] }, { p: ['b', 'a'] }), [
      'p[0]: "b" in the cluster, "a" expected',
      'p[1]: "a" in the cluster, "b" expected',
    ]);
    assert.deepEqual(differences({ p: ['a'] }, { p: ['a', 'b'] }), ['p: differs']);
  });

  it('flattens nested settings with the index. prefix', () => {
    assert.deepEqual(flattenSettings({ index: { lifecycle: { name: 'x' } }, 'mapping.depth.limit': 5 }), {
      'index.lifecycle.name': 'x',
      'index.mapping.depth.limit': '5',
    });
  });
});

describe('the asset catalog', () => {
  it('scopes names, patterns and priority to a namespace; shared indices stay global', () => {
    const assets = elasticsearchAssets({ namespace: 'prod' });
    const predictions = assets.find((a) => a.name === 'mlmon-predictions-prod');
    assert.deepEqual(predictions?.body.index_patterns, ['logs-mlmon.predictions-prod']);
    assert.equal(predictions?.body.priority, 260);
    assert.deepEqual(predictions?.body.composed_of, [
      'mlmon-predictions-prod@package',
      'mlmon-predictions-prod@custom',
    ]);
    assert.ok(assets.some((a) => a.name === 'mlmon-baselines' && a.kind === 'index' && a.shared));
    // components come before the index templates that use them
    const order = assets.map((a) => a.kind);
    assert.ok(order.lastIndexOf('component_template') < order.indexOf('index_template'));
  });

  it('ILM replaces the data stream lifecycle, one policy per stream with its retention', () => {
    const assets = elasticsearchAssets({ ilm: true, retention: { metrics: '90d' } });
    const policy = assets.find((a) => a.name === 'mlmon-metrics-lifecycle');
    assert.ok(policy);
    assert.equal((policy.body.phases as { delete: { min_age: string } }).delete.min_age, '90d');
    const tpl = assets.find((a) => a.name === 'mlmon-metrics')?.body.template as Record<string, unknown>;
    assert.equal(tpl.lifecycle, undefined);
    assert.deepEqual(tpl.settings, {
      'index.lifecycle.name': 'mlmon-metrics-lifecycle',
      'index.lifecycle.prefer_ilm': true,
    });
  });

  it('parses and checks retention', () => {
    assert.deepEqual(parseRetention('predictions=7d, alerts=400d'), { predictions: '7d', alerts: '400d' });
    assert.throws(() => parseRetention('predictions'), /not family=duration/);
    assert.throws(() => parseRetention('predictions=soon'), /"soon" is not a retention/);
  });

  it('narrows role index patterns to the namespace and writes file-realm YAML', () => {
    const roles = roleAssets({ namespace: 'prod' });
    assert.deepEqual(
      roles.map((r) => r.name),
      ['mlmon-shipper-prod', 'mlmon-job-prod', 'mlmon-reader-prod', 'mlmon-labeler-prod'],
    );
    const shipper = roles[0]?.body.indices as { names: string[]; privileges: string[] }[];
    assert.deepEqual(shipper[0]?.names, [
      'logs-mlmon.predictions-prod',
      'logs-mlmon.labels-prod',
      'logs-mlmon.dead_letters-prod',
    ]);
    assert.deepEqual(shipper[0]?.privileges, ['create_doc', 'auto_configure']);
    const yaml = rolesYaml(roles);
    assert.match(yaml, /^mlmon-shipper-prod:\n/m);
    assert.doesNotMatch(yaml, /description/);
  });
});

describe('supported clusters', () => {
  const caps = (version: string): Capabilities => ({
    engine: 'elasticsearch',
    version,
    modules: [],
    license: 'basic',
    ingestProcessors: [],
    painless: false,
    dataStreamApi: true,
    failureStore: false,
    ilm: true,
    watcher: false,
    security: false,
  });
  it('refuses Elasticsearch older than 9.0 with the fix', () => {
    assert.throws(
      () => checkSupported(caps('8.19.3')),
      /Elasticsearch 8\.19\.3 is too old: mlmon needs 9\.0/,
    );
    assert.doesNotThrow(() => checkSupported(caps('9.0.0')));
  });
});
