import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderKibanaRules } from '../../src/setup/kibana-rules.js';
import { fixtureSchema } from '../helpers/schema.js';

const validate = fixtureSchema('kibana-es-query-rule.schema.json');

test('the Kibana rules follow the documented .es-query params, over the alerts data stream', () => {
  const rules = renderKibanaRules({ namespace: 'prod' });
  assert.deepEqual(
    rules.map((r) => r.id),
    ['mlmon-alerts-firing-prod', 'mlmon-alerts-critical-prod'],
  );
  for (const { id, body } of rules) {
    assert.equal(validate(body), true, `${id}: ${JSON.stringify(validate.errors)}`);
    assert.deepEqual(body.params.index, ['logs-mlmon.alerts-prod']);
    assert.equal(body.params.timeWindowSize, 10);
    assert.equal(body.params.timeWindowUnit, 'm');
    assert.equal(body.schedule.interval, '5m');
    // Kibana requires the DSL as a JSON string with a query
    assert.ok((JSON.parse(body.params.esQuery) as { query?: unknown }).query);
    assert.deepEqual(body.actions, []);
    assert.doesNotMatch(JSON.stringify(body), /\$\{/);
  }
  assert.match(JSON.stringify(rules[1]?.body.params.esQuery), /critical/);
});

test('a Server log connector becomes the action of the query-matched group; bad options are refused', () => {
  const [rule] = renderKibanaRules({
    namespace: 'p',
    interval: '1m',
    timeWindow: '2h',
    serverLogConnectorId: 'conn-1',
  });
  assert.ok(rule);
  assert.equal(validate(rule.body), true, JSON.stringify(validate.errors));
  assert.equal(rule.body.params.timeWindowSize, 2);
  assert.equal(rule.body.params.timeWindowUnit, 'h');
  assert.equal(rule.body.actions[0]?.group, 'query matched');
  assert.equal(rule.body.actions[0]?.id, 'conn-1');
  assert.throws(() => renderKibanaRules({ namespace: 'p', timeWindow: '10 minutes' }), /timeWindow/);
  assert.throws(() => renderKibanaRules({ namespace: 'P' }), /namespace/);
  // the schema can fail: a between comparator needs two thresholds, the unit must be one Kibana knows
  const bad = structuredClone(rule.body) as unknown as { params: Record<string, unknown> };
  bad.params.thresholdComparator = 'between';
  assert.equal(validate(bad), false);
  bad.params.thresholdComparator = '>';
  bad.params.timeWindowUnit = 'w';
  assert.equal(validate(bad), false);
});
