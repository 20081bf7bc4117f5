/**
 * `mlmon doctor` on the real node: after setup every check that applies passes (a canary written
 * through the transport and read back, then deleted; the job's window query on the live mappings),
 * the rest are skipped with the reason; a hand-edited component template and a deleted index template
 * turn their lines red with the fix, and `mlmon setup` makes it green again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { saveBaseline } from '../../src/baseline/baseline-writer.js';
import { profileFile } from '../../src/baseline/profiler.js';
import { predictionsStream } from '../../src/contract/streams.js';
import { CANARY_MODEL } from '../../src/doctor/doctor.js';
import { mlmon } from '../helpers/cli.js';
import { testClient, uniqueName, uniqueNamespace } from '../helpers/cluster.js';

const client = testClient();
const url = client.connectionPool.connections[0]?.url.origin as string;
const ns = uniqueNamespace('doc');
const model = uniqueName('docm').replaceAll('-', '_');
const baselineIndex = uniqueName('mlmon-baselines-doc');

interface Check {
  name: string;
  status: 'pass' | 'fail' | 'skip';
  detail: string;
  fix?: string;
}
function doctor() {
  const res = mlmon([
    'doctor',
    '--json',
    '--namespace',
    ns,
    '--baseline-index',
    baselineIndex,
    '--node',
    url,
  ]);
  try {
    return { code: res.code, ...(JSON.parse(res.stdout) as { ok: boolean; checks: Check[] }) };
  } catch {
    throw new Error(`not JSON:\n${res.stdout}\n${res.stderr}`);
  }
}
const byName = (checks: Check[], name: string) => {
  const c = checks.find((x) => x.name === name);
  assert.ok(c, `a check named ${name}: ${checks.map((x) => x.name).join(', ')}`);
  return c;
};

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-doc-'));
  const lines = ['x,c'];
  for (let i = 0; i < 200; i++) lines.push(`${i % 7},${['a', 'b'][i % 2]}`);
  writeFileSync(join(dir, 'train.csv'), `${lines.join('\n')}\n`);
  await saveBaseline(
    client,
    await profileFile({ file: join(dir, 'train.csv'), model, version: '1' }),
    baselineIndex,
  );
  const res = mlmon(['setup', '--namespace', ns, '--baseline-index', baselineIndex, '--node', url]);
  assert.equal(res.code, 0, res.stderr + res.stdout);
});

after(async () => {
  await client.indices.delete({ index: baselineIndex }, { ignore: [404] });
  mlmon(['teardown', '--namespace', ns, '--node', url]);
});

test('after setup every applicable check passes, the rest say why they are skipped, and the canary is gone', async () => {
  const d = doctor();
  assert.equal(d.code, 0, JSON.stringify(d.checks.filter((c) => c.status === 'fail')));
  assert.equal(d.ok, true);
  assert.equal(byName(d.checks, 'cluster').status, 'pass');
  assert.equal(byName(d.checks, `component template mlmon-predictions-${ns}@package`).status, 'pass');
  const canary = byName(d.checks, 'canary prediction');
  assert.equal(canary.status, 'pass', canary.detail);
  assert.match(canary.detail, /read back with the expected types/);
  assert.equal(byName(d.checks, `window query ${model}@1`).status, 'pass');
  // the test node: no security, no Watcher, no ingest; each skip names its reason
  assert.match(byName(d.checks, 'privileges').detail, /security is off/);
  assert.match(byName(d.checks, 'watch execution').detail, /no Watcher/);
  for (const c of d.checks.filter((x) => x.status === 'skip')) assert.ok(c.detail.length > 10, c.name);
  await client.indices.refresh({ index: predictionsStream(ns) });
  const left = await client.count({
    index: predictionsStream(ns),
    query: { term: { 'mlmon.model.name': CANARY_MODEL } },
  });
  assert.equal(left.count, 0, 'the canary was deleted');
});

test('a hand-edited component template and a deleted index template turn their lines red with the fix', async () => {
  const component = `mlmon-predictions-${ns}@package`;
  const stored = await client.cluster.getComponentTemplate({ name: component });
  const body = stored.component_templates[0]?.component_template as unknown as {
    template: { mappings: { properties: Record<string, unknown> } };
  };
  body.template.mappings.properties.hand_added = { type: 'keyword' };
  // (the cluster refuses its own timestamps back)
  const { created_date_millis: _c, modified_date_millis: _m, ...changed } = body as Record<string, unknown>;
  await client.cluster.putComponentTemplate({ name: component, ...changed } as never);
  await client.indices.deleteIndexTemplate({ name: `mlmon-metrics-${ns}` });

  const d = doctor();
  assert.equal(d.code, 1);
  assert.equal(d.ok, false);
  const edited = byName(d.checks, `component template ${component}`);
  assert.equal(edited.status, 'fail');
  assert.match(edited.detail, /hand_added/);
  assert.equal(edited.fix, 'run `mlmon setup`');
  const deleted = byName(d.checks, `index template mlmon-metrics-${ns}`);
  assert.deepEqual([deleted.status, deleted.detail], ['fail', 'missing']);
  // nothing is written while the templates are wrong
  assert.equal(byName(d.checks, 'canary prediction').status, 'skip');

  const fixed = mlmon(['setup', '--namespace', ns, '--baseline-index', baselineIndex, '--node', url]);
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.equal(doctor().code, 0);
});
