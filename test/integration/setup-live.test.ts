/**
 * What is live, on the real node (issue 14): predictions logged through the real transport before
 * `mlmon setup` make a plain index with dynamic mappings; `setup --check` names the stream, the
 * fields and the cause and exits 1; `setup --repair` moves every document into the data stream
 * exactly once and the job computes the window. The same with another team's template that
 * outranks ours.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { saveBaseline } from '../../src/baseline/baseline-writer.js';
import { profileFile } from '../../src/baseline/profiler.js';
import { predictionsStream } from '../../src/contract/streams.js';
import { MlInputTransport } from '../../src/transport/ml-input-transport.js';
import { mlmon } from '../helpers/cli.js';
import { testClient, uniqueName, uniqueNamespace } from '../helpers/cluster.js';
import { storedSummary } from '../helpers/stored.js';

const client = testClient();
const url = client.connectionPool.connections[0]?.url.origin as string;
const model = uniqueName('livem').replaceAll('-', '_');
const baselineIndex = uniqueName('mlmon-baselines-live');
const namespaces: string[] = [];
const foreignTemplates: string[] = [];

interface Problem {
  stream: string;
  field?: string;
  problem: string;
  cause: string;
  fix: string;
  repair?: string;
}
interface Out {
  live?: { problems: Problem[]; streams: { name: string; kind: string; createdByUs: boolean }[] };
  repairs?: {
    rolledOver: string[];
    replaced: { stream: string; documents: number; moved: number }[];
    remaining: Problem[];
  };
}

function run(...args: string[]) {
  const res = mlmon([...args, '--node', url]);
  let out: Out = {};
  if (args.includes('--json'))
    try {
      out = JSON.parse(res.stdout) as Out;
    } catch {
      throw new Error(`not JSON:\n${res.stdout}\n${res.stderr}`);
    }
  return { ...res, out };
}
const setup = (ns: string, ...args: string[]) =>
  run('setup', '--json', '--namespace', ns, '--baseline-index', baselineIndex, ...args);

/** `n` predictions through the real transport; the first `x` is an integer (dynamic mapping: long). */
async function logPredictions(ns: string, n: number, offset = 0): Promise<void> {
  const tr = new MlInputTransport({ client, namespace: ns, model, version: '1', spillDir: false });
  for (let i = offset; i < offset + n; i++)
    tr.logPrediction({ features: { x: (i % 5) + 1, c: ['a', 'b', 'c'][i % 3] }, id: `p${i}` });
  assert.equal(await tr.flush(60_000), true, JSON.stringify(tr.stats()));
  assert.equal(tr.stats().indexed, n);
  await tr.shutdown();
}

async function kindOf(name: string): Promise<'data_stream' | 'index' | 'absent'> {
  const r = await client.indices.resolveIndex(
    { name, expand_wildcards: 'all', ignore_unavailable: true },
    { ignore: [404] },
  );
  if (!r.indices) return 'absent';
  if (r.data_streams.some((d) => d.name === name)) return 'data_stream';
  return r.indices.some((i) => i.name === name) ? 'index' : 'absent';
}

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-live-'));
  const lines = ['x,c'];
  for (let i = 0; i < 300; i++) lines.push(`${(i % 5) + 0.5},${['a', 'b', 'c'][i % 3]}`);
  writeFileSync(join(dir, 'train.csv'), `${lines.join('\n')}\n`);
  await saveBaseline(
    client,
    await profileFile({ file: join(dir, 'train.csv'), model, version: '1' }),
    baselineIndex,
  );
});

after(async () => {
  for (const name of foreignTemplates) await client.indices.deleteIndexTemplate({ name }, { ignore: [404] });
  await client.indices.delete({ index: baselineIndex }, { ignore: [404] });
  // streams stay (the node cannot delete data streams); the templates they use stay with them
  for (const ns of namespaces) mlmon(['teardown', '--namespace', ns, '--node', url]);
});

test('logged before setup: --check names the stream and fields, --repair moves every document once, the job computes the window', async () => {
  const ns = uniqueNamespace('live');
  namespaces.push(ns);
  const stream = predictionsStream(ns);
  // a shared node may hold a cluster-wide install from another test file: a template of a higher
  // priority with no mappings and no data stream masks it, so the first write finds no mlmon
  // template, as on a cluster where setup never ran
  const mask = `test-mask-${ns}`;
  await client.indices.putIndexTemplate({ name: mask, index_patterns: [stream], priority: 900 });
  try {
    await logPredictions(ns, 60);
  } finally {
    await client.indices.deleteIndexTemplate({ name: mask });
  }
  assert.equal(await kindOf(stream), 'index', 'the first write made a plain index');

  // the job explains a window query the plain index's mappings break: field, index, type, fix
  const cfg = join(mkdtempSync(join(tmpdir(), 'mlmon-live-cfg-')), 'mlmon.yml');
  writeFileSync(cfg, `index: ${stream}\nbaseline_index: ${baselineIndex}\n`);
  const from = new Date(Date.now() - 3_600_000).toISOString();
  const to = new Date(Date.now() + 600_000).toISOString();
  const window = ['metrics', '--model', model, '--from', from, '--to', to, '--config', cfg];
  const broken = run(...window);
  assert.equal(broken.code, 8, broken.stderr);
  assert.match(
    broken.stderr,
    new RegExp(
      `the window query on ${stream.replaceAll('.', '\\.')} failed: .*mlmon\\.model\\.version is mapped as text in ${stream.replaceAll('.', '\\.')}`,
    ),
  );
  assert.match(broken.stderr, /mlmon\.features\.num\.x is mapped as long/);
  assert.match(broken.stderr, /fix: .*mlmon setup --repair/);
  assert.doesNotMatch(broken.stderr, /raw error|search_phase_execution_exception/);
  const verbose = run(...window, '--verbose');
  assert.equal(verbose.code, 8);
  assert.match(verbose.stderr, /raw error: .*search_phase_execution_exception/);

  const installed = setup(ns);
  assert.equal(installed.code, 1, `setup leaves the plain index and says so:\n${installed.stderr}`);
  assert.ok(
    installed.out.repairs?.remaining.some((p) => p.stream === stream && p.repair === 'replace-index'),
    JSON.stringify(installed.out.repairs),
  );
  assert.equal(await kindOf(stream), 'index', 'never replaced without --repair');

  const check = setup(ns, '--check');
  assert.equal(check.code, 1, check.stderr);
  const problems = check.out.live?.problems ?? [];
  const byField = new Map(problems.filter((p) => p.field).map((p) => [p.field, p]));
  assert.deepEqual([...byField.keys()].sort(), [
    'mlmon.features.cat.c',
    'mlmon.features.num.x',
    'mlmon.model.name',
    'mlmon.model.version',
  ]);
  assert.match(byField.get('mlmon.features.num.x')?.problem ?? '', /mapped as long .*needs double/);
  assert.match(byField.get('mlmon.model.name')?.problem ?? '', /mapped as text/);
  for (const p of problems) {
    assert.equal(p.stream, stream);
    assert.match(p.cause, /created before mlmon setup/);
    assert.match(p.fix, /mlmon setup --repair/);
  }
  assert.ok(problems.some((p) => /is a plain index, not a data stream/.test(p.problem)));
  const text = run('setup', '--check', '--namespace', ns, '--baseline-index', baselineIndex);
  assert.equal(text.code, 1);
  assert.match(text.stdout, new RegExp(`${stream.replaceAll('.', '\\.')} field mlmon\\.model\\.name`));

  const repaired = setup(ns, '--repair');
  assert.equal(repaired.code, 0, repaired.stderr + repaired.stdout);
  assert.deepEqual(
    repaired.out.repairs?.replaced.map((r) => [r.stream, r.documents, r.moved]),
    [[stream, 60, 60]],
  );
  assert.deepEqual(repaired.out.repairs?.remaining, []);
  assert.equal(await kindOf(stream), 'data_stream');
  assert.equal(await kindOf(`mlmon-repair-${stream}`), 'absent', 'the temporary index is gone');
  assert.deepEqual(await storedSummary(client, stream), { total: 60, duplicates: [] });
  const ids = await client.search<{ mlmon: { prediction_id: string } }>({
    index: stream,
    size: 100,
    _source: ['mlmon.prediction_id'],
  });
  assert.deepEqual(
    ids.hits.hits.map((h) => h._source?.mlmon.prediction_id).sort(),
    Array.from({ length: 60 }, (_, i) => `p${i}`).sort(),
  );

  const again = setup(ns, '--check');
  assert.equal(again.code, 0, JSON.stringify(again.out.live));
  assert.equal(again.out.live?.streams.find((s) => s.name === stream)?.createdByUs, true);

  // a prediction logged after the repair lands in the data stream, and the job reads all of them
  await logPredictions(ns, 5, 60);
  const metrics = run('metrics', '--model', model, '--from', from, '--to', to, '--json', '--config', cfg);
  assert.equal(metrics.code, 0, metrics.stderr);
  const m = JSON.parse(metrics.stdout) as { docs: number; features: Record<string, { count: number }> };
  assert.equal(m.docs, 65);
  assert.equal(m.features.x?.count, 65);
  assert.equal(m.features.c?.count, 65);
});

test('another team’s template of a higher priority: --check names it; setup rolls over once ours wins', async () => {
  const ns = uniqueNamespace('livef');
  namespaces.push(ns);
  const stream = predictionsStream(ns);
  assert.equal(setup(ns).code, 0);
  const foreign = `test-foreign-${ns}`;
  foreignTemplates.push(foreign);
  await client.indices.putIndexTemplate({
    name: foreign,
    index_patterns: [stream],
    data_stream: {},
    priority: 900,
  });
  await logPredictions(ns, 10);
  assert.equal(await kindOf(stream), 'data_stream');

  const check = setup(ns, '--check');
  assert.equal(check.code, 1);
  const problems = check.out.live?.problems ?? [];
  assert.ok(
    problems.some((p) => p.field === 'mlmon.model.name'),
    JSON.stringify(problems),
  );
  for (const p of problems) {
    assert.equal(p.stream, stream);
    assert.equal(
      p.cause,
      `template ${foreign} (priority 900) has higher priority than mlmon-predictions-${ns}`,
    );
    assert.match(p.fix, new RegExp(`lower the priority of ${foreign}`));
  }
  // setup cannot fix another team's template: it says so and rolls nothing over
  const blocked = setup(ns);
  assert.equal(blocked.code, 1);
  assert.deepEqual(blocked.out.repairs?.rolledOver, []);

  await client.indices.deleteIndexTemplate({ name: foreign });
  const fixed = setup(ns);
  assert.deepEqual(fixed.out.repairs?.rolledOver, [stream]);
  const later = setup(ns, '--check');
  // the new write index is ours; only the first backing index keeps the wrong types, and says so
  assert.equal(later.out.live?.streams.find((s) => s.name === stream)?.createdByUs, true);
  const left = later.out.live?.problems ?? [];
  assert.ok(left.length > 0);
  for (const p of left) {
    assert.ok(p.field, JSON.stringify(p));
    assert.match(p.cause, /backing index\(es\) \.ds-.*-000001 were created before the current template/);
  }
  assert.equal(later.code, 1);
});
