import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { saveBaseline } from '../../src/baseline/baseline-writer.js';
import { profileFile } from '../../src/baseline/profiler.js';
import { defaultConfig, type MlmonConfig } from '../../src/config/mlmon-config.js';
import { labelsStream, metricsStream, predictionsStream } from '../../src/contract/streams.js';
import { runOnce } from '../../src/job/runner.js';
import { MlInputTransport } from '../../src/transport/ml-input-transport.js';
import { mlmon } from '../helpers/cli.js';
import { cleanup, testClient, uniqueName, uniqueNamespace } from '../helpers/cluster.js';
import { installLabelsTemplate, installPredictionTemplate } from '../helpers/templates.js';

/**
 * `mlmon labels` end to end on the real node: a CSV upload with bad rows reported by line, the same
 * file again (nothing stored twice), corrections from a JSON Lines file with a time column; then
 * `mlmon metrics --json` and the job's metric document carry the window's performance, and a second
 * run of the same window stores nothing twice.
 */
const client = testClient();
const url = client.connectionPool.connections[0]?.url.origin ?? '';
const model = uniqueName('lblm').replaceAll('-', '_');
const baselineIndex = uniqueName('mlmon-baselines-lbl');
const ns = uniqueNamespace('lbl');
const metricsNs = uniqueNamespace('lblm');
const T0 = Date.parse('2026-02-03T08:00:00Z');
const MIN = 60_000;
const N = 40;
const dir = mkdtempSync(join(tmpdir(), 'mlmon-labels-'));
const templates: string[] = [];
const predicted = (i: number) => (i % 2 === 0 ? 'yes' : 'no');
const truth = (i: number) => (i % 3 === 0 ? 'no' : 'yes');
const corrected = new Set([0, 1, 2, 3, 4]);
const flip = (l: string) => (l === 'yes' ? 'no' : 'yes');
let config: MlmonConfig;

before(async () => {
  const lines = ['x,churned'];
  for (let i = 0; i < 500; i++) lines.push(`${i % 7},${i % 3 === 0 ? 'no' : 'yes'}`);
  writeFileSync(join(dir, 'train.csv'), `${lines.join('\n')}\n`);
  await saveBaseline(
    client,
    await profileFile({ file: join(dir, 'train.csv'), model, version: '1', labelColumn: 'churned' }),
    baselineIndex,
  );
  templates.push(...(await installPredictionTemplate(client, ns)), await installLabelsTemplate(client, ns));
  const tr = new MlInputTransport({
    client,
    namespace: ns,
    model,
    version: '1',
    baseline: false,
    spillDir: false,
    checkTemplate: false,
  });
  for (let i = 0; i < N; i++)
    tr.logPrediction({
      id: `req-${i}`,
      features: { x: i % 7 },
      prediction: predicted(i),
      timestamp: T0 + i * 1000,
    });
  assert.equal(await tr.flush(60_000), true);
  await tr.shutdown();
  config = {
    ...structuredClone(defaultConfig),
    index: predictionsStream(ns),
    baselineIndex,
    namespace: metricsNs,
    models: [{ name: model }],
    window: { everyMs: MIN, delayMs: 0, maxCatchUp: 100 },
  };
});

after(async () => {
  await cleanup(client, {
    indices: [baselineIndex],
    dataStreams: [predictionsStream(ns), labelsStream(ns), metricsStream(metricsNs)],
    indexTemplates: templates,
  });
});

const upload = (file: string, ...extra: string[]) => uploadColumns(file, 'request_id', 'churned', ...extra);
const uploadColumns = (file: string, idColumn: string, labelColumn: string, ...extra: string[]) =>
  mlmon([
    'labels',
    '--model',
    model,
    '--from',
    file,
    '--id-column',
    idColumn,
    '--label-column',
    labelColumn,
    '--namespace',
    ns,
    '--node',
    url,
    '--json',
    ...extra,
  ]);
const storedLabels = async () => {
  await client.indices.refresh({ index: labelsStream(ns) });
  return (await client.count({ index: labelsStream(ns) })).count;
};

test('a CSV upload: bad rows reported by line and skipped; the same file again stores nothing twice', async () => {
  const rows = ['request_id,churned'];
  for (let i = 0; i < 30; i++) rows.push(`req-${i},${truth(i)}`);
  rows.push(',yes'); // line 32: no id
  rows.push('req-31,'); // line 33: no label
  rows.push('ghost-1,yes'); // an id no prediction has: kept and counted
  const csv = join(dir, 'labels.csv');
  writeFileSync(csv, `${rows.join('\n')}\n`);
  // the labels became known an hour after the window (no time column: the file's time)
  utimesSync(csv, new Date(T0 + 60 * MIN), new Date(T0 + 60 * MIN));

  const failing = upload(csv);
  assert.equal(failing.code, 6, 'a bad row stops the upload by default');
  assert.match(failing.stderr, /line 32: no request_id/);

  const first = upload(csv, '--on-error', 'skip');
  assert.equal(first.code, 0, first.stderr);
  const r = JSON.parse(first.stdout);
  assert.equal(r.rows, 33);
  assert.equal(r.labels, 31);
  assert.equal(r.stored, 31);
  assert.equal(r.failed, 0);
  assert.deepEqual(r.bad, [
    { line: 32, reason: 'no request_id' },
    { line: 33, reason: 'no churned' },
  ]);
  assert.equal(
    await storedLabels(),
    31,
    'the failed run stored the rows before its bad row, under the same ids',
  );
  const again = JSON.parse(upload(csv, '--on-error', 'skip').stdout);
  assert.equal(again.stored, 31, 'a label stored before counts as stored');
  assert.equal(await storedLabels(), 31);
});

test('corrections from JSON Lines with a time column replace the earlier labels', async () => {
  const jsonl = join(dir, 'corrections.jsonl');
  const at = new Date(T0 + 120 * MIN).toISOString();
  writeFileSync(
    jsonl,
    `${[...corrected].map((i) => JSON.stringify({ request_id: `req-${i}`, churned: flip(truth(i)), at })).join('\n')}\n{"request_id": "req-9", "churned": "yes", "at": "not a time"}\n`,
  );
  const res = upload(jsonl, '--timestamp-column', 'at', '--on-error', 'skip');
  assert.equal(res.code, 0, res.stderr);
  const r = JSON.parse(res.stdout);
  assert.equal(r.labels, corrected.size);
  assert.deepEqual(r.bad, [{ line: 6, reason: 'invalid timestamp' }]);
  assert.equal(await storedLabels(), 31 + corrected.size);
});

test('Parquet: read by the baseline reader, INT64 labels as numbers, a null label reported by row', async () => {
  const parquet = new URL('../fixtures/baseline/train.parquet', import.meta.url).pathname;
  const csvRows = readFileSync(new URL('../fixtures/baseline/train.csv', import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
  const withoutAge = csvRows.filter((r) => r[1] === '').length;
  assert.ok(withoutAge > 0);
  const before = await storedLabels();
  const res = uploadColumns(parquet, 'id', 'age', '--on-error', 'skip');
  assert.equal(res.code, 0, res.stderr);
  const r = JSON.parse(res.stdout);
  assert.equal(r.rows, csvRows.length);
  assert.equal(r.badRows, withoutAge);
  assert.equal(r.labels, csvRows.length - withoutAge);
  assert.equal(r.stored, r.labels);
  assert.equal(await storedLabels(), before + r.labels);
  const one = await client.search<{ mlmon: { label: { num: number } } }>({
    index: labelsStream(ns),
    query: { term: { 'mlmon.prediction_id': 'c00000' } },
  });
  assert.equal(one.hits.hits[0]?._source?.mlmon.label.num, 60);
});

test('mlmon metrics --json and the job: the window performance, written once per state of its labels', async () => {
  const cfg = join(dir, 'mlmon.yml');
  writeFileSync(cfg, `index: ${predictionsStream(ns)}\nbaseline_index: ${baselineIndex}\n`);
  const from = new Date(T0).toISOString();
  const to = new Date(T0 + MIN).toISOString();
  const res = mlmon([
    'metrics',
    '--model',
    model,
    '--from',
    from,
    '--to',
    to,
    '--json',
    '--config',
    cfg,
    '--node',
    url,
  ]);
  assert.equal(res.code, 0, res.stderr);
  const p = JSON.parse(res.stdout).performance;
  // the truth as the labels finally say
  let correct = 0;
  for (let i = 0; i < 30; i++) if ((corrected.has(i) ? flip(truth(i)) : truth(i)) === predicted(i)) correct++;
  assert.equal(p.task, 'classification');
  assert.equal(p.labeled, 30);
  assert.equal(p.predictions, N);
  assert.equal(p.coverage, 30 / N);
  assert.equal(p.unknown_labels, 0, 'the unknown label is timestamped after this window');
  assert.equal(p.accuracy, correct / 30);
  assert.equal(p.label_delay_ms.p50 > 59 * MIN, true);

  const text = mlmon([
    'metrics',
    '--model',
    model,
    '--from',
    from,
    '--to',
    to,
    '--config',
    cfg,
    '--node',
    url,
  ]);
  const shown = Number((correct / 30).toPrecision(4)); // the table's four significant digits
  assert.ok(
    text.stdout.includes(`performance: 30 labelled (coverage 0.75): accuracy ${shown} `),
    text.stdout,
  );

  const backfill = { from: T0, to: T0 + MIN };
  const r1 = await runOnce(client, config, { backfill });
  assert.equal(r1.metrics[0]?.performance?.accuracy, correct / 30);
  const r2 = await runOnce(client, config, { backfill });
  assert.equal(r2.windows[0]?.created, 0, 'the same window and labels: nothing new');
  await client.indices.refresh({ index: metricsStream(metricsNs) });
  const docs = await client.search<{
    mlmon: {
      metric: Record<string, number>;
      performance: { task: string; detail: { confusion_matrix: { labels: string[] } } };
    };
  }>({
    index: metricsStream(metricsNs),
    query: { term: { 'mlmon.feature.name': '(performance)' } },
  });
  assert.equal(docs.hits.hits.length, 1);
  const doc = docs.hits.hits[0]?._source?.mlmon;
  assert.equal(doc?.metric.accuracy, correct / 30);
  assert.equal(doc?.metric.coverage, 0.75);
  assert.equal(doc?.performance.task, 'classification');
  assert.deepEqual(doc?.performance.detail.confusion_matrix.labels, ['no', 'yes']);
});

test('a label after its window was computed: the window is computed again once, nothing twice', async () => {
  const now = T0 + MIN + 1000;
  const first = await runOnce(client, config, { now });
  assert.equal(first.windows.length, 1, 'the last ready window');
  assert.equal(first.relabeled.created, 0, 'its labels have not changed since');
  const before = first.metrics[0]?.performance;
  assert.ok(before);
  // a correction, a day later: req-10 was labelled "yes", its prediction "yes"
  const tr = new MlInputTransport({
    client,
    namespace: ns,
    model,
    baseline: false,
    spillDir: false,
    checkTemplate: false,
  });
  tr.logLabel({ id: 'req-10', label: 'no', timestamp: T0 + 24 * 60 * MIN });
  assert.equal(await tr.flush(30_000), true);
  await tr.shutdown();
  await client.indices.refresh({ index: labelsStream(ns) });
  const second = await runOnce(client, config, { now });
  assert.equal(second.windows.length, 0, 'no new window');
  assert.deepEqual(second.relabeled, { windows: 1, created: 1 });
  const third = await runOnce(client, config, { now });
  assert.deepEqual(third.relabeled, { windows: 1, created: 0 }, 'nothing twice');
  await client.indices.refresh({ index: metricsStream(metricsNs) });
  const docs = await client.search<{ mlmon: { computed_at: string; metric: Record<string, number> } }>({
    index: metricsStream(metricsNs),
    query: { term: { 'mlmon.feature.name': '(performance)' } },
    sort: [{ 'mlmon.computed_at': 'desc' }],
  });
  assert.equal(docs.hits.hits.length, 2, "one document per state of the window's labels");
  const latest = docs.hits.hits[0]?._source?.mlmon.metric;
  assert.equal(latest?.accuracy, (before.accuracy as number) - 1 / 30);
  assert.equal(latest?.labeled, 30);
});
