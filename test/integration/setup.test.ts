/**
 * `mlmon setup` / `teardown` against the real node, each test in a namespace of its own (the
 * namespace install: names and patterns end in -<ns>, so tests never touch each other's assets).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { mlmon } from '../helpers/cli.js';
import { testClient, uniqueNamespace } from '../helpers/cluster.js';
import { startOwnNode } from '../helpers/own-node.js';

const repoRoot = process.env.MLMON_REPO_ROOT ?? process.cwd();
const client = testClient();
const nodeArgs = process.env.ES_URL
  ? []
  : ['--node', client.connectionPool.connections[0]?.url.origin as string];

interface Entry {
  kind: string;
  name: string;
  action: string;
  outcome?: string;
  version?: number;
  installedVersion?: number;
  differences?: string[];
  rolledOver?: string[];
  reason?: string;
}

function setup(...args: string[]) {
  return mlmon(['setup', ...args, ...nodeArgs]);
}
function json(res: { stdout: string; stderr: string }) {
  try {
    return JSON.parse(res.stdout) as {
      plan?: Entry[];
      applied?: Entry[];
      differing?: Entry[];
      removed?: Entry[];
    };
  } catch {
    throw new Error(`not JSON:\n${res.stdout}\n${res.stderr}`);
  }
}
/** The assets that belong to the namespace (the shared baselines/job-state ones may exist already). */
const own = (ns: string) => (e: Entry) => e.name.includes(ns) && e.kind.endsWith('template');

const namespaces: string[] = [];
after(async () => {
  // templates still used by streams stay (the node cannot delete data streams); the rest goes
  for (const ns of namespaces) mlmon(['teardown', '--namespace', ns, ...nodeArgs]);
});

describe('mlmon setup', () => {
  it('plans, installs, then reports everything unchanged; the templates shape real documents', async () => {
    const ns = uniqueNamespace('setup');
    namespaces.push(ns);
    const dry = setup('--dry-run', '--json', '--namespace', ns);
    assert.equal(dry.code, 0, dry.stderr);
    const planned = json(dry).plan?.filter(own(ns)) ?? [];
    // 5 data stream families x (component + index template)
    assert.equal(planned.length, 10);
    assert.ok(
      planned.every((e) => e.action === 'create'),
      JSON.stringify(planned),
    );
    assert.equal(
      await client.indices.existsIndexTemplate({ name: `mlmon-predictions-${ns}` }),
      false,
      'a dry run changes nothing',
    );

    const first = setup('--json', '--namespace', ns);
    assert.equal(first.code, 0, first.stderr + first.stdout);
    assert.deepEqual(
      json(first)
        .applied?.filter(own(ns))
        .map((e) => e.outcome),
      Array(10).fill('applied'),
    );

    const second = setup('--json', '--namespace', ns);
    assert.equal(second.code, 0, second.stderr);
    const again = json(second).applied ?? [];
    assert.ok(
      again.every((e) => e.outcome === 'unchanged' || e.outcome === 'skipped'),
      JSON.stringify(again.filter((e) => e.outcome !== 'unchanged' && e.outcome !== 'skipped')),
    );
    assert.equal(setup('--check', '--namespace', ns).code, 0);

    const tpl = (await client.indices.getIndexTemplate({ name: `mlmon-predictions-${ns}` }))
      .index_templates[0]?.index_template;
    assert.deepEqual(tpl?.index_patterns, [`logs-mlmon.predictions-${ns}`]);
    assert.equal(tpl?.priority, 260);
    assert.deepEqual(tpl?.composed_of, [`mlmon-predictions-${ns}@package`, `mlmon-predictions-${ns}@custom`]);
    assert.equal((tpl?._meta as { managed_by?: string } | undefined)?.managed_by, 'ml-input-monitor');
    assert.equal(tpl?.template?.lifecycle?.data_retention, '30d');

    // a document arriving by another shipper gets the product's mappings
    const stream = `logs-mlmon.predictions-${ns}`;
    await client.index({
      index: stream,
      op_type: 'create',
      refresh: true,
      document: { '@timestamp': new Date().toISOString(), mlmon: { features: { num: { age: 3 } } } },
    });
    const mapping = await client.indices.getMapping({ index: stream });
    const props = JSON.stringify(Object.values(mapping)[0]?.mappings);
    assert.match(props, /"mlmon\.features\.num\.age":\{"type":"double"\}|"age":\{"type":"double"\}/);
  });

  it('takes a retention per stream and names a bad one', () => {
    const ns = uniqueNamespace('ret');
    namespaces.push(ns);
    const res = setup('--json', '--namespace', ns, '--retention', 'predictions=7d,metrics=90d');
    assert.equal(res.code, 0, res.stderr);
    const bad = setup('--namespace', ns, '--retention', 'predictions=soon');
    assert.equal(bad.code, 3);
    assert.match(bad.stderr, /retention\.predictions.*"soon" is not a retention/);
    // ILM asked for where there is none: said, and retention stays with the data stream lifecycle
    const ilm = json(setup('--dry-run', '--json', '--namespace', ns, '--ilm'));
    const skip = ilm.plan?.find((e) => e.kind === 'ilm_policy');
    assert.equal(skip?.action, 'skip');
    assert.match(skip?.reason ?? '', /no ILM: retention stays with the data stream lifecycle/);
    const unknown = setup('--namespace', ns, '--retention', 'inputs=7d');
    assert.equal(unknown.code, 3);
    assert.match(unknown.stderr, /unknown data stream "inputs"/);
  });

  it('--check names an asset changed by hand, and setup repairs it', async () => {
    const ns = uniqueNamespace('chk');
    namespaces.push(ns);
    assert.equal(setup('--namespace', ns).code, 0);
    const name = `mlmon-metrics-${ns}@package`;
    const current = (await client.cluster.getComponentTemplate({ name })).component_templates[0]
      ?.component_template;
    assert.ok(current);
    // someone adds a field through the API, and raises a template's priority
    const template = structuredClone(current.template);
    const props = template.mappings?.properties;
    assert.ok(props);
    props.added_by_hand = { type: 'keyword' };
    await client.cluster.putComponentTemplate({
      name,
      template,
      version: current.version,
      _meta: current._meta,
    });
    const {
      created_date_millis: _c,
      modified_date_millis: _m,
      ...alerts
    } = ((await client.indices.getIndexTemplate({ name: `mlmon-alerts-${ns}` })).index_templates[0]
      ?.index_template ?? {}) as unknown as Record<string, unknown>;
    await client.indices.putIndexTemplate({
      ...alerts,
      name: `mlmon-alerts-${ns}`,
      priority: 270,
    } as Parameters<typeof client.indices.putIndexTemplate>[0]);

    const check = setup('--check', '--json', '--namespace', ns);
    assert.equal(check.code, 1, 'a changed asset fails the check');
    const differing = json(check).differing ?? [];
    assert.deepEqual(differing.map((e) => e.name).sort(), [name, `mlmon-alerts-${ns}`].sort());
    const comp = differing.find((e) => e.name === name);
    assert.ok(
      comp?.differences?.some((d) => d.includes('added_by_hand') && d.includes('only in the cluster')),
    );
    const idx = differing.find((e) => e.name === `mlmon-alerts-${ns}`);
    assert.ok(
      idx?.differences?.some((d) => d.startsWith('priority: 270 in the cluster, 260 expected')),
      JSON.stringify(idx),
    );

    const text = setup('--check', '--namespace', ns);
    assert.match(text.stdout, new RegExp(`2 asset\\(s\\) differ.*${name.replace('.', '\\.')} \\(changed\\)`));

    const repair = setup('--json', '--namespace', ns);
    assert.equal(repair.code, 0, repair.stderr);
    assert.equal(setup('--check', '--namespace', ns).code, 0);
  });

  it('upgrades from the previous asset version and rolls data streams over', async () => {
    const ns = uniqueNamespace('upg');
    namespaces.push(ns);
    // what version 0.1.0 installed: one index template per stream, mappings inline
    for (const family of ['predictions', 'dead-letters', 'metrics', 'alerts']) {
      const previous = JSON.parse(
        readFileSync(join(repoRoot, 'test', 'fixtures', 'assets-0.1.0', `mlmon-${family}.json`), 'utf8'),
      ) as { index_patterns: string[] };
      await client.indices.putIndexTemplate({
        ...previous,
        name: `mlmon-${family}-${ns}`,
        index_patterns: previous.index_patterns.map((p) => p.replace(/\*$/, ns)),
        priority: 260,
      } as Parameters<typeof client.indices.putIndexTemplate>[0]);
    }
    const stream = `logs-mlmon.predictions-${ns}`;
    await client.index({
      index: stream,
      op_type: 'create',
      refresh: true,
      document: { '@timestamp': new Date().toISOString() },
    });
    const before = await client.indices.resolveIndex({ name: stream });
    assert.equal(before.data_streams[0]?.backing_indices.length, 1);

    const plan = json(setup('--dry-run', '--json', '--namespace', ns)).plan?.filter(own(ns)) ?? [];
    const predictions = plan.find((e) => e.name === `mlmon-predictions-${ns}`);
    assert.equal(predictions?.action, 'update');
    assert.equal(predictions?.installedVersion, 2);
    assert.equal(predictions?.version, 3);
    assert.equal(plan.find((e) => e.name === `mlmon-predictions-${ns}@package`)?.action, 'create');
    assert.match(setup('--dry-run', '--namespace', ns).stdout, /mlmon-predictions-\S+\s+update\s+2 -> 3/);

    const res = setup('--json', '--namespace', ns);
    assert.equal(res.code, 0, res.stderr);
    const applied = json(res).applied?.find((e) => e.name === `mlmon-predictions-${ns}`);
    assert.deepEqual(applied?.rolledOver, [stream]);
    // the stream's own lifecycle would be updated too; this node has no data stream API to do it
    assert.equal(
      (applied as { note?: string } | undefined)?.note,
      'existing streams keep their retention: this cluster has no data stream API',
    );
    const afterResolve = await client.indices.resolveIndex({ name: stream });
    const backing = afterResolve.data_streams[0]?.backing_indices ?? [];
    assert.equal(backing.length, 2);
    // the new write index has this version's lifecycle and composition
    const settings = await client.indices.getSettings({ index: backing[1] as string });
    assert.ok(Object.values(settings)[0]);
    const tpl = await client.indices.simulateIndexTemplate({ name: stream });
    assert.equal(
      (tpl.template as { lifecycle?: { data_retention?: string } }).lifecycle?.data_retention,
      '30d',
    );
    assert.equal(setup('--check', '--namespace', ns).code, 0);
  });

  it('teardown removes what setup installed and says which data stays, and why', async () => {
    const ns = uniqueNamespace('tdn');
    assert.equal(setup('--namespace', ns).code, 0);
    // one stream gets data: this node cannot delete data streams (no data stream API)
    await client.index({
      index: `metrics-mlmon.window-${ns}`,
      op_type: 'create',
      refresh: true,
      document: { '@timestamp': new Date().toISOString() },
    });
    const res = mlmon(['teardown', '--namespace', ns, '--json', ...nodeArgs]);
    assert.equal(res.code, 0, res.stderr);
    const removed = json(res).removed ?? [];
    const outcome = (name: string) => removed.find((e) => e.name === name && e.kind !== 'index')?.outcome;
    assert.equal(outcome(`mlmon-predictions-${ns}`), 'removed');
    assert.equal(outcome(`mlmon-predictions-${ns}@package`), 'removed');
    assert.equal(outcome(`mlmon-alerts-${ns}`), 'removed');
    // the cluster-wide template still matches the stream, so the cluster lets this one go
    assert.equal(outcome(`mlmon-metrics-${ns}`), 'removed');
    const stream = removed.find((e) => e.kind === 'index' && e.name === `metrics-mlmon.window-${ns}`);
    assert.equal(stream?.outcome, 'kept');
    assert.match(stream?.reason ?? '', /no data stream API/);
    // shared assets stay for the other namespaces
    assert.deepEqual(
      removed.filter((e) => !e.name.includes(ns)),
      [],
    );
    assert.equal(await client.indices.existsIndexTemplate({ name: `mlmon-predictions-${ns}` }), false);
    // nothing left to remove: a second teardown finds it absent
    const again = json(mlmon(['teardown', '--namespace', ns, '--json', ...nodeArgs])).removed ?? [];
    assert.equal(again.find((e) => e.name === `mlmon-predictions-${ns}`)?.outcome, 'absent');
  });

  it('an unreachable cluster: one line, exit 4, nothing applied', () => {
    const res = mlmon(['setup', '--node', 'http://127.0.0.1:1']);
    assert.equal(res.code, 4);
    assert.match(res.stderr, /cannot reach http:\/\/127\.0\.0\.1:1/);
    assert.match(res.stderr, /fix: /);
  });
});

describe('mlmon setup against an unsupported Elasticsearch', () => {
  it('an 8.x node: one line naming the version floor, exit 3, nothing applied', async () => {
    const versions = JSON.parse(readFileSync(join(repoRoot, 'stack-versions.json'), 'utf8')) as {
      unsupportedElasticsearch: { version: string };
    };
    const old = await startOwnNode({ version: versions.unsupportedElasticsearch.version });
    try {
      const res = mlmon(['setup', '--node', old.url], { env: { ES_URL: '' } });
      assert.equal(res.code, 3, res.stderr + res.stdout);
      const v = versions.unsupportedElasticsearch.version.replaceAll('.', '\\.');
      assert.match(res.stderr, new RegExp(`Elasticsearch ${v} is too old: mlmon needs 9\\.0 or newer`));
      assert.match(res.stderr, /nothing was applied/);
      assert.match(res.stderr, /fix: upgrade the cluster/);
      // 8.19 still answers this client: nothing of ours is there
      assert.equal(await old.admin.indices.existsIndexTemplate({ name: 'mlmon-predictions' }), false);
    } finally {
      await old.stop();
    }
  });
});
