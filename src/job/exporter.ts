import { createServer, type Server } from 'node:http';
import { Gauge, Registry } from 'prom-client';
import { METRIC_FIELDS } from '../contract/window-metrics.js';
import type { FeatureMetrics, WindowMetrics } from '../metrics/window.js';
import { PERFORMANCE_FEATURE, PREDICTION_FEATURE } from '../rules/rule-settings.js';
import type { RunReport } from './runner.js';
import type { AlertState } from './state.js';
import { performanceNumbers } from './writer.js';

// counts are in mlmon_window_documents; the rest as one gauge family
const EXPORTED = METRIC_FIELDS.filter((k) => k !== 'count' && k !== 'baseline_na_rate');

/** The version label of a window or alert over all versions together. */
const ALL_VERSIONS = 'all';
const LATENCY_QUANTILES = ['p50', 'p95', 'p99'] as const;

/**
 * Prometheus gauges of the latest window, per model, version, feature and metric, and of the alerts
 * firing per rule (`mlmon run --metrics-port`; README, "Prometheus and Grafana").
 */
export class MetricsExporter {
  readonly registry = new Registry();
  private readonly value = new Gauge({
    name: 'mlmon_feature_metric',
    help: 'latest window value of a monitored metric',
    labelNames: ['model', 'version', 'feature', 'metric'],
    registers: [this.registry],
  });
  private readonly docs = new Gauge({
    name: 'mlmon_window_documents',
    help: 'documents in the latest window',
    labelNames: ['model', 'version'],
    registers: [this.registry],
  });
  private readonly alerts = new Gauge({
    name: 'mlmon_alerts_firing',
    help: 'alerts firing',
    labelNames: ['model'],
    registers: [this.registry],
  });
  private readonly alert = new Gauge({
    name: 'mlmon_alert_firing',
    help: "1 for each alert the job's rules keep firing (a resolved alert's series ends)",
    labelNames: ['model', 'version', 'feature', 'rule', 'metric', 'severity'],
    registers: [this.registry],
  });
  private readonly windowEnd = new Gauge({
    name: 'mlmon_window_end_timestamp_seconds',
    help: 'end of the latest window computed (Unix seconds): a job that stops computing stops moving it',
    labelNames: ['model', 'version'],
    registers: [this.registry],
  });
  private readonly windowLength = new Gauge({
    name: 'mlmon_window_duration_seconds',
    help: 'length of the latest window computed',
    labelNames: ['model', 'version'],
    registers: [this.registry],
  });
  private readonly latency = new Gauge({
    name: 'mlmon_window_latency_seconds',
    help: 'prediction latency percentiles of the latest window',
    labelNames: ['model', 'version', 'quantile'],
    registers: [this.registry],
  });
  private server: Server | undefined;

  update(m: WindowMetrics, firingByModel: Map<string, number>): void {
    const version = m.version ?? ALL_VERSIONS;
    this.docs.set({ model: m.model, version }, m.docs);
    const from = Date.parse(m.window.from);
    const to = Date.parse(m.window.to);
    this.windowEnd.set({ model: m.model, version }, to / 1000);
    this.windowLength.set({ model: m.model, version }, (to - from) / 1000);
    for (const q of LATENCY_QUANTILES) {
      const ms = m.latency_ms[q];
      if (typeof ms === 'number' && Number.isFinite(ms))
        this.latency.set({ model: m.model, version, quantile: q }, ms / 1000);
    }
    const each = (feature: string, f: FeatureMetrics) => {
      for (const k of EXPORTED) {
        const v = f[k];
        if (typeof v === 'number' && Number.isFinite(v))
          this.value.set({ model: m.model, version, feature, metric: k }, v);
      }
    };
    for (const [name, f] of Object.entries(m.features)) each(name, f);
    if (m.prediction) each(PREDICTION_FEATURE, m.prediction);
    // realized performance: `mlmon_feature_metric{feature="(performance)",metric="accuracy"}` and the rest
    if (m.performance)
      for (const [k, v] of Object.entries(performanceNumbers(m.performance)))
        this.value.set({ model: m.model, version, feature: PERFORMANCE_FEATURE, metric: k }, v);
    for (const [model, n] of firingByModel) this.alerts.set({ model }, n);
  }

  /** Everything a run reports: its windows' metrics and the alerts firing after it. */
  report(r: RunReport): void {
    // a model whose alerts all resolved counts 0, not its last count
    const firing = new Map<string, number>(r.metrics.map((m) => [m.model, 0]));
    for (const a of r.firing) firing.set(a.model, (firing.get(a.model) ?? 0) + 1);
    for (const m of r.metrics) this.update(m, firing);
    this.setFiring(r.firing);
  }

  /** The alerts firing after a run, all of them: the series of those no longer firing end. */
  setFiring(firing: readonly AlertState[]): void {
    this.alert.reset();
    for (const a of firing)
      this.alert.set(
        {
          model: a.model,
          version: a.version ?? ALL_VERSIONS,
          feature: a.feature,
          rule: a.rule,
          metric: a.metric,
          severity: a.severity,
        },
        1,
      );
  }

  listen(port: number, host = '127.0.0.1'): Promise<number> {
    this.server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      void this.registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': this.registry.contentType }).end(text);
      });
    });
    return new Promise((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, host, () => {
        const a = this.server?.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
