import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { saveBaseline } from '../../src/baseline/baseline-writer.js';
import { profileFile } from '../../src/baseline/profiler.js';
import { defaultConfig, type MlmonConfig } from '../../src/config/mlmon-config.js';
import { alertsStream, metricsStream } from '../../src/contract/streams.js';
import { MetricsExporter } from '../../src/job/exporter.js';
import type { Notification } from '../../src/job/notify.js';
import { runOnce } from '../../src/job/runner.js';
import { dataStreamName } from '../../src/transport/document.js';
import { MlInputTransport } from '../../src/transport/ml-input-transport.js';
import { mlmon } from '../helpers/cli.js';
import { cleanup, testClient, uniqueName, uniqueNamespace } from '../helpers/cluster.js';
import { removeJobState, startWebhookReceiver, type WebhookReceiver } from '../helpers/job-fixtures.js';
import { installPredictionTemplate } from '../helpers/templates.js';

const client = testClient();
const url = client.connectionPool.connections[0]?.url.origin ?? '';
const model = uniqueName('jobm').replaceAll('-', '_');
const baselineIndex = uniqueName('mlmon-baselines-job');
const ns = uniqueNamespace('job');
const metricsNs = uniqueNamespace('jm');
const T0 = Date.parse('2026-02-01T08:00:00Z');
const MIN = 60_000;
let templates: string[] = [];
let hook: WebhookReceiver<Record<string, unknown>>;
let config: MlmonConfig;

let seed = 99;
const random = () => {
  seed = (Math.imul(seed ^ (seed >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
  return seed / 2 ** 32;
};
const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const CATS = ['a', 'b', 'c'];

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-job-'));
  const lines = ['x,c,score'];
  for (let i = 0; i < 3000; i++) lines.push(`${normal()},${CATS[i % 3]},${random()}`);
  writeFileSync(join(dir, 'train.csv'), `${lines.join('\n')}\n`);
  await saveBaseline(
    client,
    await profileFile({ file: join(dir, 'train.csv'), model, version: '1', predictionColumn: 'score' }),
    baselineIndex,
  );
  templates = await installPredictionTemplate(client, ns);
  hook = await startWebhookReceiver();
  config = {
    ...structuredClone(defaultConfig),
    index: dataStreamName(ns),
    baselineIndex,
    namespace: metricsNs,
    models: [{ name: model }],
    window: { everyMs: MIN, delayMs: 0, maxCatchUp: 100 },
    notify: {
      webhook: { url: hook.url('/hook'), headers: { 'x-test': '1' } },
      slack: { url: hook.url('/slack') },
    },
  };

  // six one-minute windows: clean, clean, drifted, drifted, clean, clean
  const tr = new MlInputTransport({
    client,
    namespace: ns,
    model,
    version: '1',
    baselineIndex,
    spillDir: false,
    checkTemplate: false,
  });
  await tr.baselineReady();
  for (let w = 0; w < 6; w++) {
    const drift = w === 2 || w === 3 ? 2 : 0;
    for (let i = 0; i < 200; i++) {
      tr.logPrediction({
        features: { x: normal() + drift, c: CATS[i % 3] },
        prediction: random(),
        timestamp: T0 + w * MIN + i * 100,
      });
    }
  }
  assert.equal(await tr.flush(60_000), true);
  await tr.shutdown();
  await client.indices.refresh({ index: dataStreamName(ns) });
});

after(async () => {
  await hook.close();
  await cleanup(client, {
    indices: [baselineIndex, `${baselineIndex}-idle`],
    dataStreams: [dataStreamName(ns), metricsStream(metricsNs), alertsStream(metricsNs)],
    indexTemplates: templates,
  });
  // (no _delete_by_query on the test node: its reindex module is absent)
  await removeJobState(client, model);
  await client.close();
});

async function metricDocs(): Promise<{ window: string; feature: string }[]> {
  await client.indices.refresh({ index: metricsStream(metricsNs) });
  const res = await client.search<{ mlmon: { window: { from: string }; feature: { name: string } } }>({
    index: metricsStream(metricsNs),
    size: 1000,
  });
  return res.hits.hits.map((h) => ({
    window: h._source?.mlmon.window.from as string,
    feature: h._source?.mlmon.feature.name as string,
  }));
}

function hooks(path: string): Notification[] {
  return hook.received.filter((r) => r.path === path).map((r) => r.body as unknown as Notification);
}

test('windows since the checkpoint, catch-up after an outage without gaps, alerts that fire once and resolve, notifications, check', async () => {
  // first run: only the last ready window
  const r1 = await runOnce(client, config, { now: T0 + 2 * MIN });
  assert.deepEqual(
    r1.windows.map((w) => w.from),
    [new Date(T0 + MIN).toISOString()],
  );
  assert.equal(r1.firing.filter((a) => a.model === model).length, 0);

  // the job was down for a while: the next run computes every window it missed, in order
  const r2 = await runOnce(client, config, { now: T0 + 4 * MIN });
  assert.deepEqual(
    r2.windows.map((w) => w.from),
    [T0 + 2 * MIN, T0 + 3 * MIN].map((t) => new Date(t).toISOString()),
  );
  const firing = r2.firing.filter((a) => a.model === model);
  assert.deepEqual(
    firing.map((a) => `${a.feature}/${a.rule}`),
    ['x/numeric_drift'],
  );
  assert.equal(firing[0]?.first_seen, new Date(T0 + 3 * MIN).toISOString());
  assert.equal(firing[0]?.last_seen, new Date(T0 + 4 * MIN).toISOString());
  // fired in window 2, kept firing in window 3: one notification, one event
  assert.deepEqual(
    hooks('/hook').map((n) => `${n.action} ${n.alert.feature}`),
    ['firing x'],
  );
  assert.match(
    String((hook.received.find((r) => r.path === '/slack')?.body as { text?: string } | undefined)?.text),
    /FIRING.*x · numeric_drift: psi/,
  );

  const check = mlmon(['check', '--model', model, '--node', url]);
  assert.equal(check.code, 1, check.stderr);
  assert.match(check.stdout, /numeric_drift/);

  const r3 = await runOnce(client, config, { now: T0 + 6 * MIN });
  assert.equal(r3.windows.length, 2);
  assert.equal(r3.firing.filter((a) => a.model === model).length, 0);
  assert.deepEqual(
    hooks('/hook').map((n) => `${n.action} ${n.alert.feature}`),
    ['firing x', 'resolved x'],
  );
  assert.equal(mlmon(['check', '--model', model, '--node', url]).code, 0);

  // nothing new to do at the same time
  assert.equal((await runOnce(client, config, { now: T0 + 6 * MIN })).windows.length, 0);

  // every window computed once per feature (x, c and the prediction)
  const docs = await metricDocs();
  assert.equal(docs.length, 5 * 3);
  assert.equal(new Set(docs.map((d) => `${d.window}|${d.feature}`)).size, 15);

  // backfilling the whole range adds the first window and stores nothing twice
  const bf = await runOnce(client, config, { backfill: { from: T0, to: T0 + 6 * MIN } });
  assert.equal(bf.windows.length, 6);
  assert.deepEqual(
    bf.windows.map((w) => w.created),
    [3, 0, 0, 0, 0, 0],
  );
  assert.equal((await metricDocs()).length, 6 * 3);
  // the windows were counted already: the backfill (and a second one) notifies nothing
  assert.deepEqual(bf.notifications, []);
  assert.deepEqual(
    (await runOnce(client, config, { backfill: { from: T0, to: T0 + 6 * MIN } })).notifications,
    [],
  );
  assert.deepEqual(
    hooks('/hook').map((n) => `${n.action} ${n.alert.feature}`),
    ['firing x', 'resolved x'],
  );

  await client.indices.refresh({ index: alertsStream(metricsNs) });
  const events = await client.search<{ event: { action: string }; mlmon: { alert: { feature: string } } }>({
    index: alertsStream(metricsNs),
    size: 100,
    sort: [{ '@timestamp': 'asc' }],
  });
  assert.deepEqual(
    events.hits.hits.map((h) => `${h._source?.event.action} ${h._source?.mlmon.alert.feature}`),
    ['firing x', 'resolved x'],
  );
});

test('mlmon metrics --json prints one window with the documented keys', () => {
  const cfg = join(mkdtempSync(join(tmpdir(), 'mlmon-cfg-')), 'mlmon.yml');
  writeFileSync(cfg, `index: ${dataStreamName(ns)}\nbaseline_index: ${baselineIndex}\n`);
  const from = new Date(T0 + 2 * MIN).toISOString();
  const to = new Date(T0 + 3 * MIN).toISOString();
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
  const m = JSON.parse(res.stdout);
  assert.deepEqual(
    Object.keys(m).sort(),
    [
      'alerts',
      'baseline',
      'cleared',
      'docs',
      'level',
      'features',
      'ignored_fields',
      'latency_ms',
      'model',
      'prediction',
      'version',
      'versions',
      'window',
    ].sort(),
  );
  assert.deepEqual(m.window, { from, to });
  assert.equal(m.docs, 200);
  assert.deepEqual(
    Object.keys(m.features.x).sort(),
    [
      'baseline_na_rate',
      'count',
      'evidence',
      'js',
      'ks',
      'ks_p_value',
      'mean_shift_se',
      'na_rate',
      'out_of_range_rate',
      'psi',
      'psi_clear',
      'psi_critical',
      'status',
      'type',
      'wasserstein',
    ].sort(),
  );
  assert.deepEqual(
    Object.keys(m.features.c).sort(),
    [
      'baseline_na_rate',
      'chi2_p_value',
      'count',
      'expected_unseen_rate',
      'evidence',
      'js',
      'js_clear',
      'js_critical',
      'linf',
      'na_rate',
      'status',
      'top_unseen',
      'type',
      'unseen_p_value',
      'unseen_rate',
    ].sort(),
  );
  assert.equal(m.features.x.status, 'critical');
  assert.deepEqual(
    m.alerts.map((a: { feature: string }) => a.feature),
    ['x'],
  );
});

test('run and metrics errors: no baseline, invalid mlmon.yml (path of the bad key), unreachable cluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-cfg-'));
  const bad = join(dir, 'bad.yml');
  writeFileSync(bad, 'rules:\n  psi:\n    warn: high\n');
  const r = mlmon(['run', '--once', '--config', bad, '--node', url]);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /invalid option rules\.psi\.warn/);

  const unknownModel = join(dir, 'nomodel.yml');
  writeFileSync(
    unknownModel,
    `baseline_index: ${baselineIndex}\nmodels: [nobody_here]\nindex: ${dataStreamName(ns)}\nnamespace: ${metricsNs}\n`,
  );
  const nb = mlmon(['run', '--once', '--config', unknownModel, '--node', url]);
  assert.equal(nb.code, 6, nb.stderr);
  assert.match(nb.stderr, /no baseline for nobody_here/);

  // a window below the minimum (10s), from the file or the flag: a config error before anything runs
  const fast = join(dir, 'fast.yml');
  writeFileSync(fast, 'window: { every: 1ms }\n');
  const ff = mlmon(['run', '--once', '--config', fast, '--node', url]);
  assert.equal(ff.code, 3, ff.stderr);
  assert.match(ff.stderr, /invalid option window\.every: must be at least 10s/);
  const fe = mlmon(['run', '--every', '1ms', '--node', url]);
  assert.equal(fe.code, 3, fe.stderr);
  assert.match(fe.stderr, /invalid option --every: must be at least 10s/);

  const down = mlmon(['run', '--once', '--node', 'http://127.0.0.1:1']);
  assert.equal(down.code, 4);
  assert.match(down.stderr, /cannot reach/);
});

test('run --once says what it did: a second run within the window computes nothing and says when the next is ready', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-idle-'));
  const idle = `${model}_idle`;
  // a baseline index of its own: the other tests list this file's baselines
  const idleIndex = `${baselineIndex}-idle`;
  writeFileSync(join(dir, 'train.csv'), `x\n${Array.from({ length: 50 }, (_, i) => i).join('\n')}\n`);
  await saveBaseline(
    client,
    await profileFile({ file: join(dir, 'train.csv'), model: idle, version: '1' }),
    idleIndex,
  );
  const yml = join(dir, 'mlmon.yml');
  writeFileSync(
    yml,
    `baseline_index: ${idleIndex}\nmodels: [${idle}]\nindex: ${dataStreamName(ns)}\nnamespace: ${metricsNs}\nwindow: { every: 1h, delay: 1s }\n`,
  );
  const first = mlmon(['run', '--once', '--config', yml, '--node', url]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, new RegExp(`^${idle} {2}\\S+ \\.\\. \\S+ {2}0 docs`, 'm'));
  const second = mlmon(['run', '--once', '--config', yml, '--node', url]);
  assert.equal(second.code, 0, second.stderr);
  // window.delay 1s: the next window starts at the hour before now - 1 s and is ready 1 s after its end
  const hour = Math.floor((Date.now() - 1000) / 3_600_000) * 3_600_000;
  assert.match(
    second.stdout,
    new RegExp(
      `^${idle}: no window computed: up to date: the next window, ${new Date(hour).toISOString()} \\.\\. ${new Date(hour + 3_600_000).toISOString()}, is ready at ${new Date(hour + 3_601_000).toISOString()}`.replaceAll(
        '.000Z',
        '\\.000Z',
      ),
      'm',
    ),
  );
  assert.match(
    second.stdout,
    /for history \(windows before the checkpoint\) run `mlmon run --backfill <from> <to>`/,
  );
  const json = mlmon(['run', '--once', '--json', '--config', yml, '--node', url]);
  const report = JSON.parse(json.stdout) as {
    models: string[];
    idle: { model: string }[];
    windows: unknown[];
  };
  assert.deepEqual(report.models, [idle]);
  assert.deepEqual(
    report.idle.map((i) => i.model),
    [idle],
  );
  assert.deepEqual(report.windows, []);
});

test('Prometheus gauges per model, feature and metric', async () => {
  const exporter = new MetricsExporter();
  const port = await exporter.listen(0);
  const r = await runOnce(client, config, { backfill: { from: T0 + 2 * MIN, to: T0 + 3 * MIN } });
  exporter.update(r.metrics[0] as NonNullable<(typeof r.metrics)[0]>, new Map([[model, 1]]));
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  await exporter.close();
  const psiLine = text
    .split('\n')
    .find((l) =>
      l.startsWith(`mlmon_feature_metric{model="${model}",version="all",feature="x",metric="psi"}`),
    );
  assert.ok(psiLine, text.slice(0, 500));
  assert.equal(Number(psiLine.split(' ').pop()), r.metrics[0]?.features.x?.psi);
  assert.match(text, new RegExp(`mlmon_window_documents\\{model="${model}",version="all"\\} 200`));
  assert.match(text, new RegExp(`mlmon_alerts_firing\\{model="${model}"\\} 1`));
});

test('mlmon run --every keeps running and stops cleanly on SIGTERM', async () => {
  const { spawn } = await import('node:child_process');
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-every-'));
  const cfg = join(dir, 'mlmon.yml');
  writeFileSync(
    cfg,
    `index: ${dataStreamName(ns)}\nbaseline_index: ${baselineIndex}\nnamespace: ${metricsNs}\nmodels: [${model}]\nwindow: { max_catch_up: 2, delay: 1s }\n`,
  );
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'run', '--every', '1h', '--config', cfg, '--node', url, '--json'],
    {
      cwd: process.env.MLMON_REPO_ROOT ?? process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!out.includes('\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (!out.includes('\n')) child.kill('SIGKILL');
  assert.ok(out.includes('\n'), `no report from mlmon run: ${err}`);
  const report = JSON.parse(out.split('\n')[0] as string) as { windows: { from: string }[] };
  // one window without a checkpoint, at most max_catch_up after the earlier tests' checkpoint
  assert.ok(report.windows.length >= 1 && report.windows.length <= 2, `${report.windows.length} windows`);
  const started = Date.now();
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.ok(Date.now() - started < 10_000, 'stops without waiting for the next window');
});

test('a malformed stored baseline document is reported with its id and skipped by run, metrics and baseline list', async () => {
  // a prediction-shaped document (what a planted disk-buffer line once wrote there), and a newest
  // "baseline" of the model whose profile lacks its numeric bins
  const planted = `planted-${model}`;
  const broken = `${model}@broken`;
  await client.index({
    index: baselineIndex,
    id: planted,
    document: { '@timestamp': new Date().toISOString(), mlmon: { features: { num: { x: 1 } } } },
  });
  await client.index({
    index: baselineIndex,
    id: broken,
    refresh: true,
    document: {
      model,
      version: 'broken',
      created_at: '2030-01-01T00:00:00Z',
      rows: 1,
      features: ['x'],
      source: { file: 'x.csv', format: 'csv' },
      profile: {
        model,
        version: 'broken',
        created_at: '2030-01-01T00:00:00Z',
        source: { file: 'x.csv', rows: 1 },
        settings: {},
        features: { x: { type: 'numeric', count: 1, na_count: 0, na_rate: 0 } },
      },
    },
  });
  try {
    const dir = mkdtempSync(join(tmpdir(), 'mlmon-malformed-'));
    const cfg = join(dir, 'mlmon.yml');
    // no models: every model with a baseline, so the whole index is listed
    writeFileSync(
      cfg,
      `index: ${dataStreamName(ns)}\nbaseline_index: ${baselineIndex}\nnamespace: ${metricsNs}\n`,
    );
    const list = mlmon(['baseline', 'list', '--index', baselineIndex, '--json', '--node', url]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(
      list.stderr,
      new RegExp(`skipped the stored baseline document ${planted} in ${baselineIndex}`),
    );
    const listed = JSON.parse(list.stdout) as { model: string; version: string }[];
    assert.deepEqual(listed.map((s) => `${s.model}@${s.version}`).sort(), [`${model}@1`, broken].sort());

    const from = new Date(T0 + 2 * MIN).toISOString();
    const to = new Date(T0 + 3 * MIN).toISOString();
    const metrics = mlmon([
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
    assert.equal(metrics.code, 0, metrics.stderr);
    assert.match(
      metrics.stderr,
      new RegExp(`skipped the stored baseline document ${broken} .*numeric\\.bins`),
    );
    // the newest well-formed baseline is used instead
    assert.equal(JSON.parse(metrics.stdout).baseline, `${model}@1`);

    const run = mlmon(['run', '--backfill', from, to, '--config', cfg, '--node', url, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /Cannot read properties/);
    const report = JSON.parse(run.stdout) as {
      windows: { model: string }[];
      malformedBaselines: { id: string }[];
    };
    assert.deepEqual(report.malformedBaselines.map((m) => m.id).sort(), [broken, planted].sort());
    assert.ok(report.windows.some((w) => w.model === model));
  } finally {
    for (const id of [planted, broken]) await client.delete({ index: baselineIndex, id, refresh: true });
  }
});
