import { Counter, collectDefaultMetrics, Gauge, Histogram, type Registry } from 'prom-client';
import type { PromRegistryLike } from './options.js';
import type { TransportStats } from './transport-stats.js';

const COUNTERS: [keyof TransportStats, string][] = [
  ['logged', 'predictions taken (not sampled out, not ignored)'],
  ['adopted', 'documents found in the disk buffer from earlier runs'],
  ['indexed', 'documents stored'],
  ['retried', 'documents sent again after a retryable failure'],
  ['failed', 'documents neither stored nor dead-lettered'],
  ['deadLettered', 'documents stored in the dead-letter destination'],
  ['dropped', 'documents given up on (overflow, disk limit, disk write failure)'],
  ['sampledOut', 'predictions left out by sampling'],
];
const GAUGES: [keyof TransportStats, string][] = [
  ['queued', 'documents waiting in memory'],
  ['inFlight', 'documents in requests under way'],
  ['spilledBytes', 'bytes in the disk buffer'],
  ['spilledDocs', 'documents in the disk buffer'],
];

function snake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * Registers the transport's figures in the user's prom-client registry. Values are read from
 * `stats()` at scrape time, so logging pays nothing for them. Totals are exposed as gauges of
 * monotonic counts (`_total`), since prom-client counters cannot be set from a snapshot.
 */
export function registerTransportMetrics(
  registry: PromRegistryLike,
  stats: () => TransportStats,
  labels: { data_stream: string },
  prefix = 'mlmon_transport_',
): void {
  const reg = registry as unknown as Registry;
  for (const [key, help] of [...COUNTERS, ...GAUGES]) {
    const isTotal = COUNTERS.some(([k]) => k === key);
    new Gauge({
      name: `${prefix}${snake(key)}${isTotal ? '_total' : ''}`,
      help,
      labelNames: ['data_stream'],
      registers: [reg],
      collect() {
        this.set(labels, stats()[key] as number);
      },
    });
  }
}

/** Prometheus names of the prediction series (README, "Prometheus and Grafana"). */
export const PREDICTION_METRICS = {
  value: 'mlmon_prediction_value',
  latency: 'mlmon_prediction_latency_seconds',
  count: 'mlmon_predictions_total',
} as const;

/**
 * Score buckets where the model has no baseline with a numeric prediction: most numeric predictions
 * are probabilities or scores in [0, 1].
 */
export const DEFAULT_PREDICTION_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
/** Latency in seconds, 5 ms to 10 s: prom-client's defaults, made for request durations. */
export const DEFAULT_LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Values kept per model and version while its baseline's first lookup is under way. */
const MAX_WAITING = 10_000;

type HistogramValues = Awaited<ReturnType<Histogram['get']>>['values'];

/**
 * One histogram family whose series have their own buckets: each model's prediction is counted on
 * its baseline's bin edges. prom-client gives every series of a Histogram the same buckets, so each
 * model and version gets an unregistered Histogram and this family reports them all under one name
 * (Prometheus allows each series of a classic histogram its own `le` set).
 */
class PerSeriesHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series: Histogram[] = [];
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  add(
    labels: { model: string; version: string },
    buckets: readonly number[],
  ): Histogram<'model' | 'version'> {
    const h = new Histogram({
      name: this.name,
      help: this.help,
      labelNames: ['model', 'version'],
      buckets: [...buckets],
      registers: [],
    });
    h.zero(labels);
    this.series.push(h);
    return h;
  }

  /** What a registry reads at scrape time (prom-client's MetricObjectWithValues). */
  async get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: HistogramValues;
  }> {
    const parts = await Promise.all(this.series.map((h) => h.get()));
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: parts.flatMap((p) => p.values),
    };
  }

  reset(): void {
    for (const h of this.series) h.reset();
  }
}

/** The prediction's number, if it has one: a number, or the `score` of `{ label, score }`. */
function predictionNumber(p: unknown): number | undefined {
  const v = typeof p === 'object' && p !== null && !Array.isArray(p) ? (p as { score?: unknown }).score : p;
  if (typeof v === 'bigint') return Number(v);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export interface PredictionMetricsSource {
  /** the baseline's bin edges of the model's numeric prediction, if it has a baseline with one */
  bucketsOf: (model: string, version: string) => readonly number[] | undefined;
  /** the first lookup of the model's baseline while it is under way */
  firstLoad: (model: string, version: string) => Promise<void> | undefined;
}

interface Series {
  value: Histogram<'model' | 'version'> | undefined;
  /** values observed while the baseline's first lookup is under way (replayed on its buckets) */
  waiting: number[];
}

/**
 * Histograms of the prediction value and latency, and a count of predictions, per model and version,
 * in the user's registry. Observed when a prediction is logged, before sampling, so the series count
 * every prediction even when only a sample is stored. The value's buckets are its baseline's bin
 * edges (taken once, when the model's first prediction arrives; a model without a baseline gets
 * DEFAULT_PREDICTION_BUCKETS).
 */
export class PredictionMetrics {
  private readonly value: PerSeriesHistogram;
  private readonly latency: Histogram<'model' | 'version'>;
  private readonly count: Counter<'model' | 'version'>;
  private readonly series = new Map<string, Series>();

  constructor(
    registry: PromRegistryLike,
    private readonly source: PredictionMetricsSource,
  ) {
    const reg = registry as unknown as Registry;
    this.value = new PerSeriesHistogram(
      PREDICTION_METRICS.value,
      "the model's numeric prediction (or score), on its training baseline's bins",
    );
    reg.registerMetric(this.value as unknown as Histogram);
    this.latency = new Histogram({
      name: PREDICTION_METRICS.latency,
      help: 'prediction latency as logged (latencyMs), in seconds',
      labelNames: ['model', 'version'],
      buckets: DEFAULT_LATENCY_BUCKETS,
      registers: [reg],
    });
    this.count = new Counter({
      name: PREDICTION_METRICS.count,
      help: 'predictions logged (before sampling)',
      labelNames: ['model', 'version'],
      registers: [reg],
    });
  }

  observe(model: string, version: string, prediction: unknown, latencyMs: unknown): void {
    const labels = { model, version };
    this.count.inc(labels);
    if (typeof latencyMs === 'number' && Number.isFinite(latencyMs) && latencyMs >= 0)
      this.latency.observe(labels, latencyMs / 1000);
    const v = predictionNumber(prediction);
    if (v === undefined) return;
    const key = `${model}\u0000${version}`;
    let s = this.series.get(key);
    if (!s) {
      s = { value: undefined, waiting: [] };
      this.series.set(key, s);
      const loading = this.source.firstLoad(model, version);
      if (loading) {
        const series = s;
        void loading.finally(() => this.open(series, labels));
      } else this.open(s, labels);
    }
    if (!s.value && s.waiting.length < MAX_WAITING) s.waiting.push(v);
    // past the bound the buckets are chosen now, from what is known
    else this.open(s, labels).observe(labels, v);
  }

  private open(s: Series, labels: { model: string; version: string }): Histogram<'model' | 'version'> {
    if (s.value) return s.value;
    const edges = this.source.bucketsOf(labels.model, labels.version);
    const h = this.value.add(labels, edges?.length ? edges : DEFAULT_PREDICTION_BUCKETS);
    for (const v of s.waiting) h.observe(labels, v);
    s.value = h;
    s.waiting = [];
    return h;
  }
}

/**
 * prom-client's default metrics of the process (CPU, memory, event loop lag, GC, handles), unless the
 * registry already has them (the application collected them itself).
 */
export function registerProcessMetrics(registry: PromRegistryLike): void {
  const reg = registry as unknown as Registry;
  if (typeof reg.getSingleMetric === 'function' && reg.getSingleMetric('process_cpu_user_seconds_total'))
    return;
  collectDefaultMetrics({ register: reg });
}
