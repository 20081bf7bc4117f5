/**
 * Prometheus for real (Debian's `prometheus` package: /usr/bin/prometheus and /usr/bin/promtool):
 * a server on 127.0.0.1 scrapes the transport's registry and `mlmon run`'s exporter, and its HTTP API
 * shows the series and labels; the shipped rules load and fire; promtool checks and unit-tests them;
 * the Grafana dashboard follows Grafana's schema and queries only series this server saw.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Registry } from 'prom-client';
import { ASSET_PATHS } from '../../src/assets/layout.js';
import { saveBaseline } from '../../src/baseline/baseline-writer.js';
import { profileFile } from '../../src/baseline/profiler.js';
import { defaultConfig, type MlmonConfig } from '../../src/config/mlmon-config.js';
import type { Baseline } from '../../src/contract/baseline-document.js';
import { alertsStream, metricsStream } from '../../src/contract/streams.js';
import { MetricsExporter } from '../../src/job/exporter.js';
import { type RunReport, runOnce } from '../../src/job/runner.js';
import { dataStreamName } from '../../src/transport/document.js';
import { MlInputTransport } from '../../src/transport/ml-input-transport.js';
import { cleanup, testClient, uniqueName, uniqueNamespace } from '../helpers/cluster.js';
import { removeJobState } from '../helpers/job-fixtures.js';
import { fixtureSchema } from '../helpers/schema.js';
import { installPredictionTemplate } from '../helpers/templates.js';

const repo = process.env.MLMON_REPO_ROOT ?? process.cwd();
const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';
const RULES = join(repo, ASSET_PATHS.prometheusRules);
const RULE_TESTS = join(repo, 'test/fixtures/prometheus/mlmon-alerts.test.yml');

const client = testClient();
const model = uniqueName('promm').replaceAll('-', '_');
const baselineIndex = uniqueName('mlmon-baselines-prom');
const ns = uniqueNamespace('prom');
const metricsNs = uniqueNamespace('pm');
const T0 = Date.parse('2026-02-01T08:00:00Z');
const MIN = 60_000;
const PER_WINDOW = 300;
const CATS = ['a', 'b', 'c'];

let seed = 7;
const random = () => {
  seed = (Math.imul(seed ^ (seed >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
  return seed / 2 ** 32;
};
const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

let baseline: Baseline;
let templates: string[] = [];
let transport: MlInputTransport;
let transportServer: Server;
let exporter: MetricsExporter;
let report: RunReport;
let prometheus: ChildProcess | undefined;
/** `mlmon run --every 1m --metrics-port`, as a user runs it */
let cli: ChildProcess | undefined;
let cliReport: { firing: { feature: string; rule: string }[] } | undefined;
let promUrl = '';
let promDir = '';
let promLog = '';
/** every metric name the server holds, once it has scraped both endpoints */
let seen = new Set<string>();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = netServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${promUrl}${path}`, { signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { status: string; data: T; error?: string };
  assert.equal(body.status, 'success', `${path}: ${body.error ?? res.status}`);
  return body.data;
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}
const query = (q: string) => api<{ result: Sample[] }>(`/api/v1/query?query=${encodeURIComponent(q)}`);

/** Polls `check` every 250 ms for at most `ms`; returns its last value. */
async function until<T>(ms: number, check: () => Promise<T | undefined>): Promise<T | undefined> {
  const end = Date.now() + ms;
  for (let i = 0; i < 400 && Date.now() < end; i++) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
  return undefined;
}

/** The metric names a PromQL expression reads (the product's and the process's families). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b((?:mlmon|process|nodejs)_[a-z0-9_]+)\b/g)].map((m) => m[1] as string);
}

before(async () => {
  // training: x ~ N(0, 1), c uniform over a/b/c, the score uniform on [0, 1]
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-prom-'));
  const lines = ['x,c,score'];
  for (let i = 0; i < 3000; i++) lines.push(`${normal()},${CATS[i % 3]},${random()}`);
  writeFileSync(join(dir, 'train.csv'), `${lines.join('\n')}\n`);
  baseline = await profileFile({
    file: join(dir, 'train.csv'),
    model,
    version: '1',
    predictionColumn: 'score',
  });
  await saveBaseline(client, baseline, baselineIndex);
  templates = await installPredictionTemplate(client, ns);

  const registry = new Registry();
  transport = new MlInputTransport({
    client,
    namespace: ns,
    model,
    version: '1',
    baselineIndex,
    spillDir: false,
    checkTemplate: false,
    metricsRegistry: registry,
  });
  transportServer = createServer((_req, res) => {
    void registry
      .metrics()
      .then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text));
  });
  await new Promise<void>((r) => transportServer.listen(0, '127.0.0.1', () => r()));
  // two one-minute windows: clean, then x shifted by 3 and a third of c unseen
  for (let w = 0; w < 2; w++) {
    for (let i = 0; i < PER_WINDOW; i++) {
      const drifted = w === 1;
      transport.logPrediction({
        features: { x: normal() + (drifted ? 3 : 0), c: drifted && i % 3 === 0 ? 'zzz' : CATS[i % 3] },
        prediction: random(),
        latencyMs: 20 + 10 * random(),
        timestamp: T0 + w * MIN + i * 150,
      });
    }
  }
  assert.equal(await transport.flush(60_000), true);
  await client.indices.refresh({ index: dataStreamName(ns) });

  const config: MlmonConfig = {
    ...structuredClone(defaultConfig),
    index: dataStreamName(ns),
    baselineIndex,
    namespace: metricsNs,
    models: [{ name: model }],
    window: { everyMs: MIN, delayMs: 0, maxCatchUp: 10 },
  };
  exporter = new MetricsExporter();
  const jobPort = await exporter.listen(0);
  report = await runOnce(client, config, { backfill: { from: T0, to: T0 + 2 * MIN } });
  exporter.report(report);

  // the command itself: its first run computes the latest minute (empty) and keeps the alerts firing
  const cliPort = await freePort();
  const cfg = join(dir, 'mlmon.yml');
  writeFileSync(
    cfg,
    `index: ${dataStreamName(ns)}\nbaseline_index: ${baselineIndex}\nnamespace: ${metricsNs}\nmodels: [${model}]\nwindow: { max_catch_up: 2, delay: 1s }\n`,
  );
  const url = client.connectionPool.connections[0]?.url.origin ?? '';
  cli = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repo, 'src/cli/main.ts'),
      'run',
      '--every',
      '1m',
      '--metrics-port',
      String(cliPort),
      '--config',
      cfg,
      '--node',
      url,
      '--json',
    ],
    { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let cliOut = '';
  let cliErr = '';
  cli.stdout?.on('data', (c: Buffer) => {
    cliOut += c.toString();
  });
  cli.stderr?.on('data', (c: Buffer) => {
    cliErr = (cliErr + c.toString()).slice(-4000);
  });
  const firstLine = await until(60_000, async () =>
    cliOut.includes('\n') ? cliOut.split('\n')[0] : undefined,
  );
  assert.ok(firstLine, `no report from mlmon run: ${cliErr}`);
  cliReport = JSON.parse(firstLine) as typeof cliReport;
  assert.match(cliErr, new RegExp(`Prometheus metrics on http://127.0.0.1:${cliPort}/metrics`));

  if (!spawnSync(PROMETHEUS, ['--version']).stdout)
    throw new Error(`${PROMETHEUS} missing: apt-get install prometheus`);
  promDir = mkdtempSync(join(tmpdir(), 'mlmon-prometheus-'));
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  const transportPort = (transportServer.address() as { port: number }).port;
  writeFileSync(
    join(promDir, 'prometheus.yml'),
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      `rule_files: [${JSON.stringify(RULES)}]`,
      'scrape_configs:',
      `  - { job_name: transport, static_configs: [{ targets: ["127.0.0.1:${transportPort}"] }] }`,
      `  - { job_name: mlmon-run, static_configs: [{ targets: ["127.0.0.1:${jobPort}"] }] }`,
      `  - { job_name: mlmon-run-cli, static_configs: [{ targets: ["127.0.0.1:${cliPort}"] }] }`,
      '',
    ].join('\n'),
  );
  prometheus = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(promDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(promDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  prometheus.stderr?.on('data', (c: Buffer) => {
    promLog = (promLog + c.toString()).slice(-4000);
  });
  const ready = await until(30_000, async () =>
    (await fetch(`${promUrl}/-/ready`, { signal: AbortSignal.timeout(2000) })).ok ? true : undefined,
  );
  assert.ok(ready, `Prometheus not ready in 30 s: ${promLog}`);
  // both targets up, and at least three scrapes of each (rates need two points)
  const scraped = await until(30_000, async () => {
    const r = await query('count_over_time(up[1m]) >= 3 and up == 1');
    return r.result.length === 3 ? true : undefined;
  });
  assert.ok(scraped, `targets not scraped: ${JSON.stringify(await api('/api/v1/targets'))}`);
  seen = new Set(await api<string[]>('/api/v1/label/__name__/values'));
});

after(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((r) => prometheus?.once('exit', r));
    prometheus.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  }
  if (promDir) rmSync(promDir, { recursive: true, force: true });
  if (cli && cli.exitCode === null) {
    const exited = new Promise((r) => cli?.once('exit', r));
    cli.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  }
  await exporter?.close();
  await new Promise<void>((r) => (transportServer ? transportServer.close(() => r()) : r()));
  await transport?.shutdown();
  await cleanup(client, {
    indices: [baselineIndex],
    dataStreams: [dataStreamName(ns), metricsStream(metricsNs), alertsStream(metricsNs)],
    indexTemplates: templates,
  });
  await removeJobState(client, model);
});

test("the transport's series: predictions counted per model and version, the value on the baseline's bins, latency, process metrics", async () => {
  const n = 2 * PER_WINDOW;
  const sel = `{job="transport",model="${model}",version="1"}`;
  const count = await query(`mlmon_predictions_total${sel}`);
  assert.equal(count.result.length, 1);
  assert.equal(Number(count.result[0]?.value[1]), n);
  assert.equal(Number((await query(`mlmon_prediction_value_count${sel}`)).result[0]?.value[1]), n);
  assert.equal(Number((await query(`mlmon_prediction_latency_seconds_count${sel}`)).result[0]?.value[1]), n);
  // latencies were 20-30 ms: all of them in the 25/50 ms buckets, none at or under 10 ms
  assert.equal(
    Number(
      (await query(`mlmon_prediction_latency_seconds_bucket{job="transport",model="${model}",le="0.05"}`))
        .result[0]?.value[1],
    ),
    n,
  );
  assert.equal(
    Number(
      (await query(`mlmon_prediction_latency_seconds_bucket{job="transport",model="${model}",le="0.01"}`))
        .result[0]?.value[1],
    ),
    0,
  );

  // the value's buckets are the baseline's prediction bin edges, and the counts are cumulative
  const edges = baseline.prediction?.numeric?.bins.edges ?? [];
  assert.ok(edges.length >= 5, `baseline prediction edges: ${edges.join(',')}`);
  const buckets = (await query(`mlmon_prediction_value_bucket${sel}`)).result
    .map((s) => ({
      le: Number(s.metric.le === '+Inf' ? Number.POSITIVE_INFINITY : s.metric.le),
      n: Number(s.value[1]),
    }))
    .sort((a, b) => a.le - b.le);
  assert.deepEqual(
    buckets.map((b) => b.le),
    [...edges, Number.POSITIVE_INFINITY],
  );
  assert.equal(buckets.at(-1)?.n, n);
  for (let i = 1; i < buckets.length; i++) assert.ok((buckets[i]?.n ?? 0) >= (buckets[i - 1]?.n ?? 0));
  // equal-frequency training bins: fresh uniform scores put roughly 1/(edges+1) in each, none empty
  const shares = buckets.map((b, i) => (b.n - (i ? (buckets[i - 1]?.n ?? 0) : 0)) / n);
  for (const s of shares)
    assert.ok(s > 0.3 / buckets.length && s < 3 / buckets.length, `bin shares ${shares.join(',')}`);

  // the transport's own figures and prom-client's process metrics, from the same registry
  assert.equal(
    Number(
      (await query(`mlmon_transport_indexed_total{job="transport",data_stream="${dataStreamName(ns)}"}`))
        .result[0]?.value[1],
    ),
    n,
  );
  for (const name of [
    'process_cpu_user_seconds_total',
    'process_resident_memory_bytes',
    'nodejs_eventloop_lag_p99_seconds',
  ])
    assert.equal((await query(`${name}{job="transport"}`)).result.length, 1, name);
});

test("the job's series: window metrics per model, version, feature and metric; alerts per rule; the window's end", async () => {
  const last = report.metrics.at(-1);
  assert.ok(last);
  const psi = await query(
    `mlmon_feature_metric{job="mlmon-run",model="${model}",version="all",feature="x",metric="psi"}`,
  );
  assert.equal(psi.result.length, 1);
  assert.equal(Number(psi.result[0]?.value[1]), last.features.x?.psi);
  assert.ok((last.features.x?.psi ?? 0) > 0.5, 'x drifted by 3 standard deviations');
  const unseen = await query(
    `mlmon_feature_metric{job="mlmon-run",model="${model}",feature="c",metric="unseen_rate"}`,
  );
  assert.equal(Number(unseen.result[0]?.value[1]), last.features.c?.unseen_rate);
  assert.equal(
    Number(
      (await query(`mlmon_window_documents{job="mlmon-run",model="${model}",version="all"}`)).result[0]
        ?.value[1],
    ),
    PER_WINDOW,
  );
  assert.equal(
    Number(
      (await query(`mlmon_window_end_timestamp_seconds{job="mlmon-run",model="${model}"}`)).result[0]
        ?.value[1],
    ),
    (T0 + 2 * MIN) / 1000,
  );
  assert.equal(
    Number(
      (await query(`mlmon_window_duration_seconds{job="mlmon-run",model="${model}"}`)).result[0]?.value[1],
    ),
    60,
  );
  const p95 = (await query(`mlmon_window_latency_seconds{job="mlmon-run",model="${model}",quantile="p95"}`))
    .result;
  assert.ok(Number(p95[0]?.value[1]) >= 0.02 && Number(p95[0]?.value[1]) <= 0.03, JSON.stringify(p95));

  // one series per firing alert, labelled as the job's alert states are
  const firing = (await query(`mlmon_alert_firing{job="mlmon-run",model="${model}"}`)).result.map(
    (s) => s.metric,
  );
  const expected = report.firing.filter((a) => a.model === model);
  assert.ok(
    expected.some((a) => a.rule === 'numeric_drift' && a.feature === 'x'),
    JSON.stringify(expected),
  );
  assert.ok(
    expected.some((a) => a.rule === 'unseen_categories' && a.feature === 'c'),
    JSON.stringify(expected),
  );
  assert.deepEqual(
    firing.map((m) => [m.version, m.feature, m.rule, m.metric, m.severity].join(' ')).sort(),
    expected.map((a) => [a.version ?? 'all', a.feature, a.rule, a.metric, a.severity].join(' ')).sort(),
  );
  assert.equal(
    Number((await query(`mlmon_alerts_firing{job="mlmon-run",model="${model}"}`)).result[0]?.value[1]),
    expected.length,
  );
});

test('mlmon run --metrics-port serves the same series: the alerts still firing, and the window it just computed', async () => {
  const firing = (await query(`mlmon_alert_firing{job="mlmon-run-cli",model="${model}"}`)).result.map(
    (x) => x.metric,
  );
  assert.deepEqual(
    firing.map((m) => `${m.feature} ${m.rule}`).sort(),
    report.firing
      .filter((a) => a.model === model)
      .map((a) => `${a.feature} ${a.rule}`)
      .sort(),
  );
  assert.deepEqual(
    cliReport?.firing.map((a) => `${a.feature} ${a.rule}`).sort(),
    firing.map((m) => `${m.feature} ${m.rule}`).sort(),
  );
  // its window is the latest whole minute (1 s delay), empty: no predictions were logged then
  const end = Number(
    (await query(`mlmon_window_end_timestamp_seconds{job="mlmon-run-cli",model="${model}"}`)).result[0]
      ?.value[1],
  );
  assert.equal(end % 60, 0);
  assert.ok(Date.now() / 1000 - end < 180, `window ended at ${end}`);
  assert.equal(
    Number(
      (await query(`mlmon_window_duration_seconds{job="mlmon-run-cli",model="${model}"}`)).result[0]
        ?.value[1],
    ),
    60,
  );
  assert.equal(
    Number((await query(`mlmon_window_documents{job="mlmon-run-cli",model="${model}"}`)).result[0]?.value[1]),
    0,
  );
});

test('the shipped rules load in Prometheus, read only series it has, and fire on the drifted window', async () => {
  const groups = (
    await api<{ groups: { rules: { name: string; query: string; health: string }[] }[] }>('/api/v1/rules')
  ).groups;
  const rules = groups.flatMap((g) => g.rules);
  assert.deepEqual(rules.map((r) => r.name).sort(), [
    'MlmonDrift',
    'MlmonJobStale',
    'MlmonLatencyHigh',
    'MlmonNaRateRise',
    'MlmonOovWords',
    'MlmonPredictionRateDrop',
    'MlmonUnseenCategories',
    'MlmonVolumeDrop',
  ]);
  for (const r of rules) {
    assert.notEqual(r.health, 'err', `${r.name}: ${JSON.stringify(r)}`);
    for (const name of metricNames(r.query))
      assert.ok(seen.has(name), `${r.name} reads ${name}, which Prometheus never saw`);
  }
  // the drift and unseen verdicts of the job's window, and a job whose windows are from February 2026
  const alerts = await until(20_000, async () => {
    const a = (
      await api<{ alerts: { labels: Record<string, string>; state: string }[] }>('/api/v1/alerts')
    ).alerts.filter((x) => x.labels.model === model && x.state === 'firing');
    const names = new Set(a.map((x) => x.labels.alertname));
    return names.has('MlmonDrift') && names.has('MlmonUnseenCategories') ? a : undefined;
  });
  assert.ok(alerts, 'MlmonDrift and MlmonUnseenCategories firing');
  const drift = alerts.find((a) => a.labels.alertname === 'MlmonDrift' && a.labels.feature === 'x');
  assert.equal(drift?.labels.rule, 'numeric_drift');
  assert.equal(drift?.labels.metric, 'psi');
  assert.ok(
    !alerts.some((a) => a.labels.alertname === 'MlmonLatencyHigh'),
    '20-30 ms is under the 1 s objective',
  );
  assert.ok(!alerts.some((a) => a.labels.alertname === 'MlmonNaRateRise'), 'no feature lost values');
  // the backfill's windows ended in February 2026, but the command computes the latest minute every
  // minute: the model is monitored, so the stale-job alert stays quiet
  const all = (await api<{ alerts: { labels: Record<string, string>; state: string }[] }>('/api/v1/alerts'))
    .alerts;
  assert.equal(
    all.find((a) => a.labels.alertname === 'MlmonJobStale' && a.labels.model === model),
    undefined,
  );
});

test('promtool check rules passes on the shipped rules, and its unit tests prove each alert fires on a drifting series and stays quiet on a clean one', () => {
  const check = spawnSync(PROMTOOL, ['check', 'rules', RULES], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /SUCCESS: 8 rules found/);
  const unit = spawnSync(PROMTOOL, ['test', 'rules', RULE_TESTS], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(unit.status, 0, unit.stdout + unit.stderr);
  // every alert has a firing case in the unit tests
  const tests = readFileSync(RULE_TESTS, 'utf8');
  for (const name of readFileSync(RULES, 'utf8').matchAll(/- alert: (\w+)/g))
    assert.match(
      tests,
      new RegExp(`alertname: ${name[1]}\\n\\s+exp_alerts:\\n\\s+- exp_labels`),
      `${name[1]} fires somewhere`,
    );
  // and the tests can fail: a rule that never fires breaks them
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-promtool-'));
  try {
    writeFileSync(join(dir, 'rules.yml'), readFileSync(RULES, 'utf8').replace('> 1\n', '> 100\n'));
    writeFileSync(
      join(dir, 'tests.yml'),
      tests.replace('../../../assets/prometheus/mlmon-alerts.rules.yml', 'rules.yml'),
    );
    const broken = spawnSync(PROMTOOL, ['test', 'rules', join(dir, 'tests.yml')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.notEqual(broken.status, 0);
    assert.match(broken.stdout + broken.stderr, /alertname: MlmonLatencyHigh/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

interface GrafanaTarget {
  expr: string;
  datasource: { type: string; uid: string };
}
interface GrafanaPanel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: GrafanaTarget[];
}

test("the Grafana dashboard follows Grafana's dashboard schema (kinds/dashboard/dashboard_kind.cue), imports with the data source as an input, and every query reads series this Prometheus saw", async () => {
  const dashboard = JSON.parse(readFileSync(join(repo, ASSET_PATHS.grafanaDashboard), 'utf8')) as {
    __inputs: { name: string; pluginId: string }[];
    panels: GrafanaPanel[];
    templating: { list: { name: string; query: { query: string }; datasource: { uid: string } }[] };
  };
  const validate = fixtureSchema('grafana-dashboard.schema.json');
  assert.ok(validate(dashboard), JSON.stringify(validate.errors));
  // the schema bites: a bad cursor-sync value and a panel wider than the grid fail it
  assert.equal(validate({ ...dashboard, graphTooltip: 3 }), false);
  const wide = structuredClone(dashboard) as unknown as { panels: { gridPos: { w: number } }[] };
  (wide.panels[1] as { gridPos: { w: number } }).gridPos.w = 25;
  assert.equal(validate(wide), false);

  assert.deepEqual(
    dashboard.__inputs.map((i) => [i.name, i.pluginId]),
    [['DS_PROMETHEUS', 'prometheus']],
  );
  // Grafana's exporter writes the input's name as the data source uid (DashboardExporter.ts)
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's placeholder, not a JavaScript template
  const DS_UID = '${DS_PROMETHEUS}';
  const ds = { type: 'prometheus', uid: DS_UID };
  const panels = dashboard.panels.filter((p) => p.type !== 'row');
  assert.ok(panels.length >= 12);
  const vars: Record<string, string> = {
    $model: model,
    $version: '.*',
    $feature: '.*',
    $__rate_interval: '10s',
  };
  const empty: string[] = [];
  for (const p of panels) {
    assert.deepEqual(p.datasource, ds, p.title);
    assert.ok(p.targets?.length, `${p.title} has a query`);
    for (const t of p.targets ?? []) {
      assert.deepEqual(t.datasource, ds, p.title);
      const names = metricNames(t.expr);
      assert.ok(names.length, `${p.title}: ${t.expr} names no metric`);
      for (const name of names)
        assert.ok(seen.has(name), `${p.title} reads ${name}, which Prometheus never saw`);
      // the query runs as Grafana sends it, variables replaced
      const expr = t.expr.replace(/\$\w+/g, (v) => vars[v] ?? v);
      if ((await query(expr)).result.length === 0) empty.push(p.title);
    }
  }
  // only text features have OOV rates, and this model has none
  assert.deepEqual([...new Set(empty)], ['Out-of-vocabulary words']);
  for (const v of dashboard.templating.list) {
    assert.equal(v.datasource.uid, DS_UID);
    for (const name of metricNames(v.query.query))
      assert.ok(seen.has(name), `variable ${v.name} reads ${name}`);
  }
});
