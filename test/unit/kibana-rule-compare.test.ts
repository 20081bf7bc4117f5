import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planKibanaRules } from '../../src/setup/kibana.js';
import { renderKibanaRules } from '../../src/setup/kibana-rules.js';
import { startFakeKibana } from '../helpers/fake-kibana.js';

test('a Kibana rule whose GET adds uuid and connector_type_id to its actions is unchanged; a changed one is an update', async () => {
  const kibana = await startFakeKibana();
  try {
    const rules = renderKibanaRules({ namespace: 'p', serverLogConnectorId: 'my-log' });
    const rule = rules[0];
    assert.ok(rule && rule.body.actions.length === 1);
    // stored as created; the fake's GET echoes the actions with the fields Kibana adds
    kibana.rules.set(rule.id, structuredClone(rule.body) as unknown as Record<string, unknown>);
    const conn = { url: kibana.url, headers: {} };
    const [same] = await planKibanaRules(conn, [
      rule as unknown as { id: string; body: Record<string, unknown> },
    ]);
    assert.equal(same?.action, 'unchanged', JSON.stringify(same?.differences));

    const changed = renderKibanaRules({ namespace: 'p', serverLogConnectorId: 'other-log' })[0];
    const [update] = await planKibanaRules(conn, [
      changed as unknown as { id: string; body: Record<string, unknown> },
    ]);
    assert.equal(update?.action, 'update');
    assert.deepEqual(update?.differences, ['actions[0].id: "my-log" in the cluster, "other-log" expected']);
  } finally {
    await kibana.close();
  }
});
