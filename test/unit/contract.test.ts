/** The ground-floor contract: one name function per stream, one namespace rule that every consumer applies. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateCatalogOptions } from '../../src/assets/catalog.js';
import { parseConfig } from '../../src/config/mlmon-config.js';
import { ConfigError } from '../../src/contract/errors.js';
import { FEATURE_KINDS, KIND_FIELD } from '../../src/contract/features.js';
import {
  alertsStream,
  deadLettersStream,
  isValidNamespace,
  labelsStream,
  metricsStream,
  predictionsStream,
  STREAM_FAMILIES,
  streamPattern,
  validateNamespace,
} from '../../src/contract/streams.js';
import { renderKibanaRules } from '../../src/setup/kibana-rules.js';
import { renderWatches } from '../../src/setup/watches.js';
import { resolveTransportOptions } from '../../src/transport/options.js';

test('stream names follow <type>-<dataset>-<namespace>', () => {
  assert.equal(predictionsStream('prod'), 'logs-mlmon.predictions-prod');
  assert.equal(deadLettersStream('prod'), 'logs-mlmon.dead_letters-prod');
  assert.equal(metricsStream('prod'), 'metrics-mlmon.window-prod');
  assert.equal(alertsStream('prod'), 'logs-mlmon.alerts-prod');
  assert.equal(labelsStream('prod'), 'logs-mlmon.labels-prod');
  assert.equal(streamPattern('predictions'), 'logs-mlmon.predictions-*');
  assert.deepEqual(STREAM_FAMILIES, ['predictions', 'dead-letters', 'metrics', 'alerts', 'labels']);
});

test('the namespace rule: lowercase, digits, _ and ., not first, at most 100', () => {
  for (const ok of ['default', 'prod_eu', 'a.b', '0', 'x'.repeat(100)]) assert.ok(isValidNamespace(ok), ok);
  for (const bad of ['', '.x', '_x', 'A', 'a-b', 'a b', 'a*', 'x'.repeat(101)])
    assert.ok(!isValidNamespace(bad), bad);
  assert.throws(
    () => validateNamespace('a-b', 'cfg.namespace'),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.option, 'cfg.namespace');
      return true;
    },
  );
});

test('every consumer applies the same namespace rule', () => {
  const consumers: [string, (ns: string) => unknown][] = [
    ['transport', (ns) => resolveTransportOptions({ namespace: ns, node: 'http://127.0.0.1:9200' })],
    ['mlmon.yml', (ns) => parseConfig(`namespace: "${ns}"\n`)],
    ['setup catalog', (ns) => validateCatalogOptions({ namespace: ns })],
    ['watches', (ns) => renderWatches({ namespace: ns })],
    ['kibana rules', (ns) => renderKibanaRules({ namespace: ns })],
  ];
  for (const [name, use] of consumers) {
    for (const ok of ['default', 'a.b']) assert.doesNotThrow(() => use(ok), `${name} accepts ${ok}`);
    for (const bad of ['_x', '.x', 'A', 'a-b'])
      assert.throws(() => use(bad), ConfigError, `${name} refuses ${bad}`);
  }
});

test('each feature kind has its typed sub-object', () => {
  assert.deepEqual(Object.keys(KIND_FIELD), [...FEATURE_KINDS]);
});
