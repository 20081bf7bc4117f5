/**
 * Roles and failures that need security on: a secured node of this test's own. The test
 * distribution cannot store native roles (README, "What the test node can do"), so setup writes the
 * roles for the file realm (`--roles-file`) and the node enforces them exactly as it would native ones.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@elastic/elasticsearch';
import { mlmon } from '../helpers/cli.js';
import { uniqueNamespace } from '../helpers/cluster.js';
import { FileRealm, type OwnNode, startOwnNode } from '../helpers/own-node.js';

let node: OwnNode;
let realm: FileRealm;
const ns = uniqueNamespace('sec');
const password = 'mlmon-test-password';

function as(user: string, pass = password) {
  return { ES_USERNAME: user, ES_PASSWORD: pass, ES_CA_FILE: node.caFile as string, ES_URL: '' };
}
function setupAs(env: NodeJS.ProcessEnv, ...args: string[]) {
  return mlmon(['setup', '--node', node.url, '--namespace', ns, ...args], { env });
}
function clientAs(user: string): Client {
  return new Client({
    node: node.url,
    auth: { username: user, password },
    tls: { ca: readFileSync(node.caFile as string) },
  });
}
/** The HTTP status of a request that may be refused. */
async function status(fn: () => Promise<unknown>): Promise<number> {
  try {
    await fn();
    return 200;
  } catch (err) {
    return (err as { meta?: { statusCode?: number } }).meta?.statusCode ?? -1;
  }
}

before(async () => {
  node = await startOwnNode({ security: true });
  realm = new FileRealm(node);
});
after(async () => {
  await node?.stop();
});

describe('mlmon setup with security on', () => {
  it('writes least-privilege roles that the node enforces', async () => {
    const rolesFile = join(node.dir, 'mlmon-roles.yml');
    const admin = as(node.username as string, node.password as string);
    const first = setupAs(admin, '--roles-file', rolesFile, '--json');
    assert.equal(first.code, 0, first.stderr + first.stdout);
    const roles = (
      JSON.parse(first.stdout) as { applied: { kind: string; outcome: string }[] }
    ).applied.filter((e) => e.kind === 'role');
    assert.deepEqual(
      roles.map((r) => r.outcome),
      ['applied', 'applied', 'applied'],
    );
    const again = JSON.parse(setupAs(admin, '--roles-file', rolesFile, '--json').stdout) as {
      applied: { outcome: string }[];
    };
    assert.ok(again.applied.every((e) => e.outcome === 'unchanged' || e.outcome === 'skipped'));

    realm.addRoles(readFileSync(rolesFile, 'utf8'));
    for (const role of ['shipper', 'job', 'reader']) realm.addUser(role, password, [`mlmon-${role}-${ns}`]);
    for (const role of ['shipper', 'job', 'reader']) await realm.waitForUser(node, role, password);

    const inputs = `logs-mlmon.predictions-${ns}`;
    const metrics = `metrics-mlmon.window-${ns}`;
    const doc = { '@timestamp': new Date().toISOString(), mlmon: { model: { name: 'churn' } } };
    const shipper = clientAs('shipper');
    const job = clientAs('job');
    const reader = clientAs('reader');
    try {
      // the shipper writes inputs (creating the stream), and can do nothing else with them
      const created = await shipper.index({ index: inputs, op_type: 'create', document: doc });
      assert.equal(created.result, 'created');
      await node.admin.indices.refresh({ index: inputs });
      assert.equal(await status(() => shipper.search({ index: inputs })), 403);
      assert.equal(await status(() => shipper.delete({ index: created._index, id: created._id })), 403);
      assert.equal(await status(() => shipper.indices.delete({ index: created._index })), 403);
      assert.equal(
        await status(() => shipper.index({ index: metrics, op_type: 'create', document: doc })),
        403,
      );

      // the job reads inputs and writes metrics, but cannot write inputs
      const found = await job.search({ index: inputs });
      assert.equal((found.hits.total as { value: number }).value, 1);
      assert.equal(await status(() => job.index({ index: inputs, op_type: 'create', document: doc })), 403);
      assert.equal(await status(() => job.index({ index: metrics, op_type: 'create', document: doc })), 200);

      // the reader reads everything and writes nothing
      await node.admin.indices.refresh({ index: metrics });
      assert.equal(await status(() => reader.search({ index: metrics })), 200);
      assert.equal(await status(() => reader.search({ index: inputs })), 200);
      assert.equal(
        await status(() => reader.index({ index: metrics, op_type: 'create', document: doc })),
        403,
      );
    } finally {
      await Promise.all([shipper.close(), job.close(), reader.close()]);
    }
  });

  it('403: names the missing privilege and reports what was not applied', () => {
    // the shipper may write inputs, not look at the cluster or install templates
    const res = setupAs(as('shipper'), '--namespace', uniqueNamespace('deny'));
    assert.equal(res.code, 5, res.stderr + res.stdout);
    assert.match(res.stderr, /not allowed \(403\)/);
    // the cluster names the privileges that would grant it
    assert.match(res.stderr, /granted by the cluster privileges \[[a-z_,]*monitor/);
    assert.match(res.stderr, /nothing was applied/);
  });

  it('401 and TLS without the CA: one line each, exit 5 and 4', () => {
    const wrong = setupAs(as('shipper', 'not-the-password'));
    assert.equal(wrong.code, 5, wrong.stderr);
    assert.match(wrong.stderr, /refused the credentials \(401\)/);
    const noCa = mlmon(['setup', '--node', node.url], {
      env: { ES_USERNAME: 'shipper', ES_PASSWORD: password, ES_URL: '' },
    });
    assert.equal(noCa.code, 4, noCa.stderr);
    assert.match(noCa.stderr, /TLS failure/);
    assert.match(noCa.stderr, /ES_CA_FILE/);
  });

  it('roles through the API where the cluster cannot store them: a clear reason, templates still applied', () => {
    const other = uniqueNamespace('api');
    const res = mlmon(['setup', '--node', node.url, '--namespace', other, '--json'], {
      env: as(node.username as string, node.password as string),
    });
    assert.equal(res.code, 7, res.stderr);
    const applied = (
      JSON.parse(res.stdout) as { applied: { kind: string; name: string; outcome: string; error?: string }[] }
    ).applied;
    assert.deepEqual(
      [
        ...new Set(
          applied.filter((e) => e.kind.endsWith('template') && e.name.includes(other)).map((e) => e.outcome),
        ),
      ],
      ['applied'],
      res.stdout,
    );
    const roles = applied.filter((e) => e.kind === 'role');
    assert.deepEqual(
      roles.map((r) => r.outcome),
      ['failed', 'failed', 'failed'],
      res.stdout,
    );
    assert.match(res.stderr, /--roles-file/);
  });
});
