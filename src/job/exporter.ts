import { createServer, type Server } from 'node:http';
import { Gauge, Registry } from 'prom-client';
import { METRIC_FIELDS } from '../contract/window-metrics.js';
import type { FeatureMetrics, WindowMetrics } from '../metrics/window.js';
import { PERFORMANCE_FEATURE } from '../rules/rule-settings.js';
import { performanceNumbers } from './writer.js';

// counts are in mlmon_window_documents; the rest as one gauge family
const EXPORTED = METRIC_FIELDS.filter((k) => k !== 'count' && k !== 'baseline_na_rate');

/** Prometheus gauges of the latest window, per model, feature and metric (`mlmon run --metrics-port`). */
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
  private server: Server | undefined;

  update(m: WindowMetrics, firingByModel: Map<string, number>): void {
    const version = m.version ?? 'all';
    this.docs.set({ model: m.model, version }, m.docs);
    const each = (feature: string, f: FeatureMetrics) => {
      for (const k of EXPORTED) {
        const v = f[k];
        if (typeof v === 'number' && Number.isFinite(v))
          this.value.set({ model: m.model, version, feature, metric: k }, v);
      }
    };
    for (const [name, f] of Object.entries(m.features)) each(name, f);
    if (m.prediction) each('(prediction)', m.prediction);
    // realized performance: `mlmon_feature_metric{feature="(performance)",metric="accuracy"}` and the rest
    if (m.performance)
      for (const [k, v] of Object.entries(performanceNumbers(m.performance)))
        this.value.set({ model: m.model, version, feature: PERFORMANCE_FEATURE, metric: k }, v);
    for (const [model, n] of firingByModel) this.alerts.set({ model }, n);
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
