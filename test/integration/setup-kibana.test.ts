/**
 * Setup's Kibana part: the Elasticsearch side on the real node, Kibana's side by the contract
 * checking server (test/helpers/fake-kibana.ts; no Kibana runs on these machines).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readSavedObjects } from '../../src/setup/kibana.js';
import { mlmon, mlmonAsync } from '../helpers/cli.js';
import { testClient, uniqueNamespace } from '../helpers/cluster.js';
import { type FakeKibana, startFakeKibana } from '../helpers/fake-kibana.js';

const client = testClient();
const nodeArgs = process.env.ES_URL
  ? []
  : ['--node', client.connectionPool.connections[0]?.url.origin as string];
const ns = uniqueNamespace('kbn');
let kibana: FakeKibana;

interface Entry {
  kind: string;
  name: string;
  action: string;
  outcome?: string;
  reason?: string;
}
const run = (...args: string[]) => mlmonAsync(['setup', '--namespace', ns, ...args, ...nodeArgs]);
/** An mlmon command on this namespace and the fake Kibana, printing JSON. */
const withKibana = (command: string) =>
  mlmonAsync([command, '--namespace', ns, '--kibana', kibana.url, '--json', ...nodeArgs]);
const kibanaEntries = (stdout: string, key: 'plan' | 'applied' | 'differing') =>
  ((JSON.parse(stdout) as Record<string, Entry[]>)[key] ?? []).filter((e) => e.kind === 'kibana_objects');

before(async () => {
  kibana = await startFakeKibana({ version: '8.19.0' });
});
after(async () => {
  await kibana.close();
  mlmon(['teardown', '--namespace', ns, ...nodeArgs]);
});

describe('mlmon setup --kibana', () => {
  const { objects } = readSavedObjects();

  it('imports every saved object in one request, then finds them unchanged', async () => {
    const first = await run('--kibana', kibana.url, '--json');
    assert.equal(first.code, 0, first.stderr);
    const entries = kibanaEntries(first.stdout, 'applied');
    const saved = entries.filter((e) => !e.name.startsWith('alerting rule'));
    assert.equal(saved.length, objects.length);
    assert.ok(saved.every((e) => e.action === 'create' && e.outcome === 'applied'));
    assert.equal(kibana.imports.length, 1, 'one import request');
    // every object of the file, plus the version marker
    assert.equal(kibana.imports[0]?.length, objects.length + 1);
    const imp = kibana.requests.find((r) => r.path.startsWith('/api/saved_objects/_import'));
    assert.equal(imp?.path, '/api/saved_objects/_import?overwrite=true');
    assert.equal(imp?.headers['kbn-xsrf'], 'true');
    // the test node has no Watcher: Kibana's own rules notify on the job's alerts instead
    assert.deepEqual([...kibana.rules.keys()].sort(), [
      `mlmon-alerts-critical-${ns}`,
      `mlmon-alerts-firing-${ns}`,
    ]);

    const second = await run('--kibana', kibana.url, '--json');
    assert.equal(second.code, 0, second.stderr);
    assert.ok(kibanaEntries(second.stdout, 'applied').every((e) => e.outcome === 'unchanged'));
    assert.equal(kibana.imports.length, 1, 'nothing imported again');
  });

  it('--check names a saved object deleted in Kibana; setup puts it back', async () => {
    const victim = objects.find((o) => o.type === 'dashboard') ?? objects[0];
    assert.ok(victim);
    kibana.objects.delete(`${victim.type}:${victim.id}`);
    const check = await run('--kibana', kibana.url, '--check', '--json');
    assert.equal(check.code, 1);
    assert.deepEqual(
      kibanaEntries(check.stdout, 'differing').map((e) => e.name),
      [`${victim.type} ${victim.id}`],
    );
    assert.equal((await run('--kibana', kibana.url)).code, 0);
    assert.ok(kibana.objects.has(`${victim.type}:${victim.id}`));
  });

  it('a rule changed in Kibana is updated with the documented update body', async () => {
    const id = `mlmon-alerts-firing-${ns}`;
    const rule = kibana.rules.get(id) as { schedule: { interval: string } };
    rule.schedule = { interval: '1h' };
    const res = await run('--kibana', kibana.url, '--json');
    assert.equal(res.code, 0, res.stderr + res.stdout);
    assert.equal((kibana.rules.get(id) as { schedule: { interval: string } }).schedule.interval, '5m');
    assert.ok(kibana.requests.some((r) => r.method === 'PUT' && r.path === `/api/alerting/rule/${id}`));
  });

  it('Kibana unreachable (exit 4), refusing the credentials (exit 5), too old (skipped with the reason)', async () => {
    const down = await run('--kibana', 'http://127.0.0.1:1');
    assert.equal(down.code, 4);
    assert.match(down.stderr, /cannot reach Kibana at http:\/\/127\.0\.0\.1:1.*nothing was applied/);
    const locked = await startFakeKibana({ authorization: 'Basic c29tZW9uZTplbHNl' });
    const old = await startFakeKibana({ version: '8.7.1' });
    try {
      const denied = await run('--kibana', locked.url);
      assert.equal(denied.code, 5);
      assert.match(denied.stderr, /Kibana at .* refused the credentials \(401\)/);
      const res = await run('--kibana', old.url, '--dry-run', '--json');
      assert.equal(res.code, 0, res.stderr);
      const saved = kibanaEntries(res.stdout, 'plan').filter((e) => !e.name.startsWith('alerting rule'));
      assert.ok(
        saved.every((e) => e.action === 'skip' && /Kibana 8\.7\.1 is older than 8\.8/.test(e.reason ?? '')),
      );
      assert.equal(old.imports.length, 0);
    } finally {
      await Promise.all([locked.close(), old.close()]);
    }
  });

  it('doctor --kibana: the saved objects and rules pass; a disabled rule and a failing one turn red', async () => {
    const doctor = async () => {
      const res = await withKibana('doctor');
      return {
        code: res.code,
        ...(JSON.parse(res.stdout) as { checks: { name: string; status: string; detail: string }[] }),
      };
    };
    const ruleId = `mlmon-alerts-firing-${ns}`;
    const ok = await doctor();
    // every saved object and rule is an asset line; each rule also has its own line, enabled and running
    const kib = ok.checks.filter((c) => c.name.startsWith('kibana objects '));
    assert.equal(kib.length, objects.length + 2, ok.checks.map((c) => c.name).join(', '));
    const rules = ok.checks.filter((c) => c.name.startsWith('alerting rule '));
    assert.deepEqual(rules.map((c) => `${c.name} ${c.status} ${c.detail}`).sort(), [
      `alerting rule mlmon-alerts-critical-${ns} pass enabled, last run ok`,
      `alerting rule mlmon-alerts-firing-${ns} pass enabled, last run ok`,
    ]);
    assert.ok(
      kib.every((c) => c.status === 'pass'),
      JSON.stringify(kib.filter((c) => c.status !== 'pass')),
    );
    const rule = kibana.rules.get(ruleId) as Record<string, unknown>;
    rule.enabled = false;
    const off = await doctor();
    assert.equal(off.code, 1);
    const line = off.checks.find((c) => c.name === `alerting rule ${ruleId}`);
    assert.equal(line?.status, 'fail');
    assert.match(line?.detail ?? '', /disabled/);
    rule.enabled = true;
    rule.execution_status = { status: 'error', error: { message: 'index not found' } };
    const failing = await doctor();
    assert.match(
      failing.checks.find((c) => c.name === `alerting rule ${ruleId}`)?.detail ?? '',
      /last run failed: index not found/,
    );
    delete rule.execution_status;
  });

  it('a second space: the copies get new ids with ours as origin; setup finds them unchanged and teardown removes them', async () => {
    // the ids are taken in the default space, so Kibana gives the copies in team_b ids of its own
    // (check_conflicts.ts) and a re-import overwrites those copies (check_origin_conflicts.ts)
    const space = ['--kibana', kibana.url, '--kibana-space', 'team_b'];
    const first = await run(...space, '--json');
    assert.equal(first.code, 0, first.stderr);
    const copies = kibana.spaces.get('team_b') as Map<string, Record<string, unknown>>;
    assert.equal(copies.size, objects.length + 1);
    for (const o of objects) {
      const copy = [...copies.values()].find((x) => x.type === o.type && x.originId === o.id);
      assert.ok(copy, `${o.type} ${o.id} copied with its origin`);
      assert.notEqual(copy.id, o.id);
    }
    const again = await run(...space, '--json');
    assert.equal(again.code, 0, again.stderr);
    const saved = kibanaEntries(again.stdout, 'applied').filter((e) => !e.name.startsWith('alerting rule'));
    assert.ok(
      saved.every((e) => e.outcome === 'unchanged'),
      JSON.stringify(saved.filter((e) => e.outcome !== 'unchanged').slice(0, 3)),
    );
    assert.equal(copies.size, objects.length + 1, 'no second copy');
    // teardown in that space removes the copies by their ids, and leaves the default space alone
    const down = await mlmonAsync([
      'teardown',
      '--namespace',
      ns,
      ...space,
      '--keep-data',
      '--json',
      ...nodeArgs,
    ]);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(copies.size, 0);
    assert.equal(kibana.objects.size, objects.length + 1);
  });

  it('teardown --kibana deletes the objects and the rules', async () => {
    const res = await withKibana('teardown');
    assert.equal(res.code, 0, res.stderr);
    assert.equal(kibana.objects.size, 0);
    assert.equal(kibana.rules.size, 0);
  });
});
