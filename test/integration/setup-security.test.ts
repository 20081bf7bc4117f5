/**
 * Roles and failures that need security on: a secured node of this test's own. The test
 * distribution cannot store native roles (README, "What the test node can do"), so setup writes the
 * roles for the file realm (`--roles-file`) and the node enforces them exactly as it would native ones.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@elastic/elasticsearch';
import { saveBaseline } from '../../src/baseline/baseline-writer.js';
import { profileFile } from '../../src/baseline/profiler.js';
import { defaultConfig, type MlmonConfig } from '../../src/config/mlmon-config.js';
import { runOnce } from '../../src/job/runner.js';
import { dataStreamName } from '../../src/transport/document.js';
import { MlInputTransport } from '../../src/transport/ml-input-transport.js';
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
      ['applied', 'applied', 'applied', 'applied'],
    );
    const again = JSON.parse(setupAs(admin, '--roles-file', rolesFile, '--json').stdout) as {
      applied: { outcome: string }[];
    };
    assert.ok(again.applied.every((e) => e.outcome === 'unchanged' || e.outcome === 'skipped'));

    realm.addRoles(readFileSync(rolesFile, 'utf8'));
    for (const role of ['shipper', 'job', 'reader', 'labeler'])
      realm.addUser(role, password, [`mlmon-${role}-${ns}`]);
    for (const role of ['shipper', 'job', 'reader', 'labeler']) await realm.waitForUser(node, role, password);

    const inputs = `logs-mlmon.predictions-${ns}`;
    const metrics = `metrics-mlmon.window-${ns}`;
    const doc = { '@timestamp': new Date().toISOString(), mlmon: { model: { name: 'churn' } } };
    const shipper = clientAs('shipper');
    const job = clientAs('job');
    const reader = clientAs('reader');
    const labeler = clientAs('labeler');
    const labels = `logs-mlmon.labels-${ns}`;
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
      // the label writer creates labels, and reads or changes nothing: not even its own labels
      const label = {
        '@timestamp': new Date().toISOString(),
        mlmon: { model: { name: 'churn' }, prediction_id: 'p1' },
      };
      const stored = await labeler.index({ index: labels, op_type: 'create', document: label });
      assert.equal(stored.result, 'created');
      assert.equal(await status(() => labeler.search({ index: labels })), 403);
      assert.equal(await status(() => labeler.delete({ index: stored._index, id: stored._id })), 403);
      assert.equal(await status(() => labeler.search({ index: inputs })), 403);
      assert.equal(
        await status(() => labeler.index({ index: inputs, op_type: 'create', document: doc })),
        403,
      );
      assert.equal(
        await status(() => labeler.index({ index: metrics, op_type: 'create', document: doc })),
        403,
      );
      // the job reads labels (the join) and cannot write them
      await node.admin.indices.refresh({ index: labels });
      assert.equal(((await job.search({ index: labels })).hits.total as { value: number }).value, 1);
      assert.equal(await status(() => job.index({ index: labels, op_type: 'create', document: label })), 403);
    } finally {
      await Promise.all([shipper.close(), job.close(), reader.close(), labeler.close()]);
    }
  });

  it('the shipper role is enough for the transport, the job role for the job', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlmon-sec-'));
    const lines = ['x,c'];
    for (let i = 0; i < 600; i++) lines.push(`${(i % 50) / 10},${['a', 'b', 'c'][i % 3]}`);
    writeFileSync(join(dir, 'train.csv'), `${lines.join('\n')}\n`);
    const model = `secm_${ns}`;
    await saveBaseline(node.admin, await profileFile({ file: join(dir, 'train.csv'), model, version: '1' }));

    const shipper = clientAs('shipper');
    const job = clientAs('job');
    const labeler = clientAs('labeler');
    try {
      const transport = new MlInputTransport({
        client: shipper,
        namespace: ns,
        model,
        version: '1',
        spillDir: false,
      });
      // the shipper reads the baseline for the derived fields
      assert.equal(await transport.baselineReady(), `${model}@1`);
      const T0 = Date.parse('2026-03-01T10:00:00Z');
      for (let i = 0; i < 300; i++)
        transport.logPrediction({
          id: `p${i}`,
          features: { x: (i % 50) / 10, c: i % 7 === 0 ? 'zzz' : 'a' },
          prediction: i % 2 ? 'yes' : 'no',
          timestamp: T0 + i * 100,
        });
      assert.equal(await transport.flush(60_000), true);
      const report = await transport.shutdown();
      assert.equal(report.indexed, 300, JSON.stringify(report));
      assert.equal(report.deadLettered, 0);
      assert.equal(report.failed, 0);
      await node.admin.indices.refresh({ index: dataStreamName(ns) });

      const config: MlmonConfig = {
        ...structuredClone(defaultConfig),
        index: dataStreamName(ns),
        namespace: ns,
        models: [{ name: model }],
        window: { everyMs: 60_000, delayMs: 0, maxCatchUp: 10 },
      };
      // the labels come from a service holding the label writer's role only
      const labelsTransport = new MlInputTransport({
        client: labeler,
        namespace: ns,
        model,
        baseline: false,
        spillDir: false,
      });
      for (let i = 0; i < 100; i++)
        labelsTransport.logLabel({ id: `p${i}`, label: i % 4 ? 'yes' : 'no', timestamp: T0 + 3_600_000 });
      assert.equal(await labelsTransport.flush(60_000), true);
      const labelled = await labelsTransport.shutdown();
      assert.equal(labelled.indexed, 100, JSON.stringify(labelled));
      await node.admin.indices.refresh({ index: `logs-mlmon.labels-${ns}` });
      const run = await runOnce(job, config, { now: T0 + 60_000 });
      assert.equal(run.windows.length, 1);
      // the job computes performance with its own role
      const performance = run.metrics[0]?.performance;
      assert.equal(performance?.labeled, 100);
      assert.equal(performance?.coverage, 100 / 300);
      let correct = 0;
      for (let i = 0; i < 100; i++) if ((i % 4 ? 'yes' : 'no') === (i % 2 ? 'yes' : 'no')) correct++;
      assert.equal(performance?.accuracy, correct / 100);
      await node.admin.indices.refresh({ index: `metrics-mlmon.window-${ns}` });
      const metrics = await node.admin.search<{
        mlmon: { feature: { name: string }; metric: { unseen_rate?: number } };
      }>({
        index: `metrics-mlmon.window-${ns}`,
        query: { term: { 'mlmon.feature.name': 'c' } },
      });
      // 43 of 300 documents carry the unseen "zzz"
      assert.equal(metrics.hits.hits[0]?._source?.mlmon.metric.unseen_rate, 43 / 300);
    } finally {
      await Promise.all([shipper.close(), job.close(), labeler.close()]);
    }
  });

  it('mlmon doctor: the admin passes every check; each role checks what it may and says what it could not', () => {
    interface Check {
      name: string;
      status: string;
      detail: string;
    }
    const doctorAs = (env: NodeJS.ProcessEnv) => {
      const rolesFile = join(node.dir, 'mlmon-roles.yml');
      const res = mlmon(
        ['doctor', '--json', '--node', node.url, '--namespace', ns, '--roles-file', rolesFile],
        {
          env,
        },
      );
      try {
        return { code: res.code, ...(JSON.parse(res.stdout) as { ok: boolean; checks: Check[] }) };
      } catch {
        throw new Error(`not JSON:\n${res.stdout}\n${res.stderr}`);
      }
    };
    const status = (checks: Check[], name: string) => checks.find((c) => c.name === name)?.status;
    const admin = doctorAs(as(node.username as string, node.password as string));
    assert.equal(admin.code, 0, JSON.stringify(admin.checks.filter((c) => c.status === 'fail')));
    assert.equal(status(admin.checks, 'canary prediction'), 'pass');
    for (const role of ['shipper', 'job', 'reader'])
      assert.equal(status(admin.checks, `privileges of mlmon-${role}-${ns}`), 'pass', role);

    for (const role of ['shipper', 'job', 'reader']) {
      const d = doctorAs(as(role));
      assert.equal(d.code, 0, `${role}: ${JSON.stringify(d.checks.filter((c) => c.status === 'fail'))}`);
      assert.equal(status(d.checks, `privileges of mlmon-${role}-${ns}`), 'pass', role);
      // the other roles' privileges are not these credentials': skipped, naming what is lacking
      for (const other of ['shipper', 'job', 'reader'].filter((r) => r !== role)) {
        const c = d.checks.find((x) => x.name === `privileges of mlmon-${other}-${ns}`);
        if (c?.status === 'pass') continue; // (the reader's read is part of the job's)
        assert.equal(c?.status, 'skip', `${role} on ${other}`);
        assert.match(c?.detail ?? '', /these credentials lack/);
      }
      // the templates cannot be read with a role's credentials: said, not failed
      assert.ok(
        d.checks.some((c) => c.status === 'skip' && /these credentials may not/.test(c.detail)),
        role,
      );
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
    const res = mlmon(['setup', '--node', node.url, '--namespace', other, '--api-keys', '--json'], {
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
    // four roles, then the shipper's and the job's API keys: the node stores neither
    assert.deepEqual(
      roles.map((r) => r.outcome),
      ['failed', 'failed', 'failed', 'failed', 'failed', 'failed'],
      res.stdout,
    );
    assert.deepEqual(
      roles.slice(4).map((r) => r.name),
      [`mlmon-shipper-${other} API key`, `mlmon-job-${other} API key`],
    );
    assert.match(roles[4]?.error ?? '', /API key for mlmon-shipper-.*HTTP 400/);
    assert.doesNotMatch(res.stdout, /"encoded"/);
    assert.match(res.stderr, /--roles-file/);
  });
});
