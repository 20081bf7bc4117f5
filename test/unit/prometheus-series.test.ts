import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { MlInputTransport } from '../../src/transport/ml-input-transport.js';
import {
  DEFAULT_PREDICTION_BUCKETS,
  PREDICTION_METRICS,
  PredictionMetrics,
  registerProcessMetrics,
} from '../../src/transport/prometheus.js';

/** `name{labels} value` lines of one family, as a map from the label text to the value. */
async function series(registry: Registry, name: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await registry.metrics()).split('\n')) {
    const m = line.match(/^(\w+)(\{[^}]*\})? (\S+)$/);
    if (m && m[1] === name) out.set(m[2] ?? '', Number(m[3]));
  }
  return out;
}

const lesOf = (s: Map<string, number>, model: string) =>
  [...s.keys()]
    .filter((k) => k.includes(`model="${model}"`))
    .map((k) => k.match(/le="([^"]+)"/)?.[1] as string);

test("each model's prediction is counted on its own baseline's edges; values logged during the baseline's first lookup are kept and counted on them", async () => {
  const registry = new Registry();
  let settle: () => void = () => undefined;
  const loading = new Promise<void>((r) => {
    settle = r;
  });
  const edges = new Map<string, number[]>([['churn', [0.2, 0.5, 0.8]]]);
  let loaded = false;
  const pm = new PredictionMetrics(registry, {
    bucketsOf: (model) => (model === 'churn' && !loaded ? undefined : edges.get(model)),
    firstLoad: (model) => (model === 'churn' && !loaded ? loading : undefined),
  });
  for (const v of [0.1, 0.3, 0.6, 0.9]) pm.observe('churn', '1', v, 12);
  pm.observe('price', '2', 120, undefined);
  // while churn's lookup is under way its values wait; price has no baseline: the default buckets
  assert.deepEqual(lesOf(await series(registry, `${PREDICTION_METRICS.value}_bucket`), 'churn'), []);
  assert.deepEqual(lesOf(await series(registry, `${PREDICTION_METRICS.value}_bucket`), 'price'), [
    ...DEFAULT_PREDICTION_BUCKETS.map(String),
    '+Inf',
  ]);
  loaded = true;
  settle();
  await loading;
  await new Promise((r) => setImmediate(r));
  pm.observe('churn', '1', { label: 'yes', score: 0.55 }, 30);
  const buckets = await series(registry, `${PREDICTION_METRICS.value}_bucket`);
  assert.deepEqual(lesOf(buckets, 'churn'), ['0.2', '0.5', '0.8', '+Inf']);
  const churn = (le: string) => buckets.get(`{le="${le}",model="churn",version="1"}`);
  assert.deepEqual(['0.2', '0.5', '0.8', '+Inf'].map(churn), [1, 2, 4, 5]);
  assert.equal(buckets.get('{le="+Inf",model="price",version="2"}'), 1);
  // counts and latency (in seconds) at once, for every prediction
  const counts = await series(registry, PREDICTION_METRICS.count);
  assert.equal(counts.get('{model="churn",version="1"}'), 5);
  assert.equal(counts.get('{model="price",version="2"}'), 1);
  const sums = await series(registry, `${PREDICTION_METRICS.latency}_sum`);
  assert.ok(Math.abs((sums.get('{model="churn",version="1"}') ?? 0) - (4 * 0.012 + 0.03)) < 1e-9);
  // price logged no latency: no latency series for it
  assert.equal(
    (await series(registry, `${PREDICTION_METRICS.latency}_count`)).has('{model="price",version="2"}'),
    false,
  );
});

test('predictions without a number are counted but not in the value histogram; bad latencies are left out', async () => {
  const registry = new Registry();
  const pm = new PredictionMetrics(registry, { bucketsOf: () => undefined, firstLoad: () => undefined });
  for (const p of ['yes', true, null, undefined, Number.NaN, { label: 'a' }, [0.5]])
    pm.observe('m', '1', p, Number.NaN);
  pm.observe('m', '1', 3n, -5);
  assert.equal((await series(registry, PREDICTION_METRICS.count)).get('{model="m",version="1"}'), 8);
  assert.equal(
    (await series(registry, `${PREDICTION_METRICS.value}_count`)).get('{model="m",version="1"}'),
    1,
  );
  assert.equal((await series(registry, `${PREDICTION_METRICS.value}_sum`)).get('{model="m",version="1"}'), 3);
  assert.equal((await series(registry, `${PREDICTION_METRICS.latency}_count`)).size, 0);
});

test('process metrics are added once: a registry that already collects them is left as it is', async () => {
  const mine = new Registry();
  collectDefaultMetrics({ register: mine });
  assert.doesNotThrow(() => registerProcessMetrics(mine));
  const fresh = new Registry();
  registerProcessMetrics(fresh);
  assert.equal((await series(fresh, 'process_cpu_user_seconds_total')).size, 1);
});

test('the transport counts every prediction in Prometheus, the sampled-out ones too', async () => {
  const registry = new Registry();
  const tr = new MlInputTransport({
    node: 'http://127.0.0.1:1',
    model: 'm',
    version: '1',
    sampleRate: 0.5,
    baseline: false,
    checkTemplate: false,
    spillDir: false,
    metricsRegistry: registry,
  });
  for (let i = 0; i < 400; i++) tr.logPrediction({ features: { i }, prediction: i / 400, latencyMs: 5 });
  const sampledOut = tr.stats().sampledOut;
  assert.ok(sampledOut > 100 && sampledOut < 300, `sampled out ${sampledOut}`);
  assert.equal((await series(registry, PREDICTION_METRICS.count)).get('{model="m",version="1"}'), 400);
  assert.equal(
    (await series(registry, `${PREDICTION_METRICS.value}_count`)).get('{model="m",version="1"}'),
    400,
  );
  assert.equal((await series(registry, 'mlmon_transport_sampled_out_total')).size, 1);
  assert.equal((await series(registry, 'process_resident_memory_bytes')).size, 1);
  await tr.shutdown({ timeoutMs: 200 });
});

test("the job's exporter: an alert's series ends when it resolves, and its model's count goes to 0", async () => {
  const { MetricsExporter } = await import('../../src/job/exporter.js');
  type Report = Parameters<InstanceType<typeof MetricsExporter>['report']>[0];
  const window = {
    model: 'm',
    version: null,
    window: { from: '2026-02-01T08:00:00.000Z', to: '2026-02-01T08:05:00.000Z' },
    docs: 40,
    features: { x: { type: 'numeric', count: 40, baseline_na_rate: 0, na_rate: 0.1, psi: 0.7 } },
    latency_ms: { p50: 12, p95: 40, p99: null },
  };
  const alert = {
    model: 'm',
    version: null,
    feature: 'x',
    rule: 'numeric_drift',
    metric: 'psi',
    severity: 'critical',
  };
  const exporter = new MetricsExporter();
  exporter.report({ metrics: [window], firing: [alert] } as unknown as Report);
  let alerts = await series(exporter.registry, 'mlmon_alert_firing');
  assert.deepEqual(
    [...alerts],
    [['{model="m",version="all",feature="x",rule="numeric_drift",metric="psi",severity="critical"}', 1]],
  );
  const windows = await series(exporter.registry, 'mlmon_window_end_timestamp_seconds');
  assert.equal(windows.get('{model="m",version="all"}'), Date.parse('2026-02-01T08:05:00Z') / 1000);
  assert.equal(
    (await series(exporter.registry, 'mlmon_window_duration_seconds')).get('{model="m",version="all"}'),
    300,
  );
  const latency = await series(exporter.registry, 'mlmon_window_latency_seconds');
  assert.deepEqual(
    [...latency],
    [
      ['{model="m",version="all",quantile="p50"}', 0.012],
      ['{model="m",version="all",quantile="p95"}', 0.04],
    ],
  );
  exporter.report({ metrics: [window], firing: [] } as unknown as Report);
  alerts = await series(exporter.registry, 'mlmon_alert_firing');
  assert.equal(alerts.size, 0);
  assert.equal((await series(exporter.registry, 'mlmon_alerts_firing')).get('{model="m"}'), 0);
});
