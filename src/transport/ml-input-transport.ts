import type { Client } from '@elastic/elasticsearch';
import { v7 as uuidv7 } from 'uuid';
import TransportStream from 'winston-transport';
import { createClient } from '../es/connection.js';
import { BaselineCache } from './baseline-cache.js';
import { modelVersionOf, toDocument } from './document.js';
import { entryBytes } from './entry.js';
import { type ResolvedTransportOptions, resolveTransportOptions, type TransportOptions } from './options.js';
import type { PredictionLog } from './prediction.js';
import { registerTransportMetrics } from './prometheus.js';
import { Shipper } from './shipper.js';
import type { ShutdownReport, TransportStats } from './transport-stats.js';

export type MlInputTransportOptions = TransportOptions & TransportStream.TransportStreamOptions;

const CONNECTION_KEYS = [
  'node',
  'cloudId',
  'apiKey',
  'username',
  'password',
  'bearerToken',
  'caFile',
  'caFingerprint',
  'tlsVerify',
] as const;

/**
 * The winston transport for predictions. `log()` turns a prediction into a document and hands it
 * to the shipper without waiting; shipping, retries, disk buffer and dead letters happen in the
 * background (src/transport/shipper.ts). Problems are reported through the `warn` event and
 * `stats()`, never thrown.
 */
/** Predictions taken in calls of one turn of the event loop before they are built at once. */
const MAX_PENDING = 256;
/**
 * How long, and how many, predictions logged before their baseline's first lookup settled are held
 * (then built as the baseline says): past either bound they are built without it, as before.
 */
const HOLD_MS = 10_000;
const MAX_HELD = 10_000;

interface Taken {
  prediction: PredictionLog;
  level: string;
  /** when it was taken (Date.now()), for the hold's time bound */
  at: number;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

/** A top-level copy; a value that is the object itself stays a reference to itself (sanitize flags it). */
function copyFeatures(features: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...features };
  for (const k in copy) if (copy[k] === features) copy[k] = copy;
  return copy;
}

export class MlInputTransport extends TransportStream {
  readonly client: Client;
  readonly options: ResolvedTransportOptions;
  private readonly shipper: Shipper;
  private readonly ownsClient: boolean;
  private shutdownPromise: Promise<ShutdownReport> | undefined;
  private readonly baselines: BaselineCache | undefined;
  private readonly baselineOf = (model: string, version: string) => this.baselines?.get(model, version);
  /** predictions taken by logPrediction, not yet documents (at most MAX_PENDING) */
  private pending: Taken[] = [];
  /** predictions waiting for their baseline's first lookup (at most MAX_HELD, for at most HOLD_MS) */
  private held: Taken[] = [];
  /** the first lookups held predictions wait for, each watched once */
  private readonly awaited = new Set<Promise<void>>();
  /** builds the held predictions when the oldest one's hold is over */
  private holdTimer: NodeJS.Timeout | undefined;
  private buildScheduled = false;
  private readonly buildLater = () => {
    this.buildScheduled = false;
    this.buildPending();
  };
  private readonly onBeforeExit = () => {
    void this.shutdown({ timeoutMs: this.options.exitFlushTimeoutMs });
  };

  constructor(opts: MlInputTransportOptions = {}) {
    super(opts);
    // every option is checked here: a bad one fails now, naming itself, not later in the background
    this.options = resolveTransportOptions(opts);
    this.ownsClient = !opts.client;
    if (opts.client) this.client = opts.client;
    else {
      const connection = Object.fromEntries(
        CONNECTION_KEYS.filter((k) => opts[k] !== undefined).map((k) => [k, opts[k]]),
      );
      this.client = createClient(connection, { requestTimeout: this.options.requestTimeoutMs });
    }
    this.shipper = new Shipper(this.client, this.options);
    this.shipper.on('warn', (p) => this.emit('warn', p));
    if (this.options.baseline) {
      this.baselines = new BaselineCache(this.client, {
        ...this.options.baseline,
        sanitize: this.options.sanitize,
        onError: (message) =>
          this.emit('warn', { severity: 'warning', code: 'baseline_unavailable', message }),
      });
      // the default model's baseline starts loading now, so the first predictions find it
      if (this.options.defaults.model)
        this.baselines.get(this.options.defaults.model, this.options.defaults.version ?? 'unknown');
    }
    if (opts.metricsRegistry) {
      registerTransportMetrics(
        opts.metricsRegistry,
        () => this.stats(),
        { data_stream: this.options.dataStream },
        opts.metricsPrefix,
      );
    }
    // a process that simply runs out of work still sends (or saves) what it logged
    process.once('beforeExit', this.onBeforeExit);
    if (opts.checkTemplate !== false) void this.checkTemplate();
  }

  /**
   * Without the product's template, a cluster maps features dynamically (a first integer makes a
   * `long` field that later truncates decimals): say so once, at start, without waiting for it.
   */
  private async checkTemplate(): Promise<void> {
    try {
      const sim = await this.client.indices.simulateIndexTemplate(
        { name: this.options.dataStream },
        { requestTimeout: 10_000 },
      );
      const meta = sim.template?.mappings?._meta as { managed_by?: string } | undefined;
      if (meta?.managed_by !== 'ml-input-monitor') {
        this.emit('warn', {
          severity: 'warning',
          code: 'template_missing',
          message: `no ml-input-monitor index template matches ${this.options.dataStream}: features would be mapped dynamically; run \`mlmon setup\``,
        });
      }
    } catch {
      // unreachable or not allowed to look: shipping reports the cluster's state
    }
  }

  override log(info: Record<string, unknown>, callback: () => void): void {
    if (info && typeof info === 'object' && 'features' in info) {
      this.logPrediction(
        info as unknown as PredictionLog,
        typeof info.level === 'string' ? info.level : 'info',
      );
    } else {
      this.shipper.countIgnored();
    }
    callback();
  }

  /** Queues one prediction. Returns at once; never throws, whatever `p` holds. */
  logPrediction(p: PredictionLog | unknown, level = 'info'): void {
    try {
      const prediction: PredictionLog =
        typeof p === 'object' && p !== null && !Array.isArray(p)
          ? (p as PredictionLog)
          : { features: p as Record<string, unknown> };
      const sampleRate = this.options.sampleRate;
      if (sampleRate < 1 && Math.random() >= sampleRate) {
        this.shipper.countSampledOut();
        return;
      }
      // the call keeps only what must be taken now: the time, and the caller's top-level objects
      // (which it may reuse); the document is built right after the call, off the request's path
      const taken: PredictionLog = { ...prediction };
      if (taken.timestamp === undefined) taken.timestamp = Date.now();
      if (isPlainObject(taken.features)) taken.features = copyFeatures(taken.features);
      this.pending.push({ prediction: taken, level, at: Date.now() });
      if (this.pending.length >= MAX_PENDING) this.buildPending();
      else if (!this.buildScheduled) {
        this.buildScheduled = true;
        setImmediate(this.buildLater);
      }
    } catch (err) {
      this.notLogged(err);
    }
  }

  /**
   * The first lookup of a prediction's baseline, if it should wait for it: so that a text feature
   * logged in the first moments of a process is typed as text and derived, not stored as a category.
   */
  private waitFor(t: Taken, force: boolean): Promise<void> | undefined {
    const room = Math.min(MAX_HELD, this.options.maxQueueDocs);
    if (force || !this.baselines || this.held.length >= room || Date.now() - t.at >= HOLD_MS) return;
    const { model, version } = modelVersionOf(t.prediction, this.options.defaults);
    const loading = this.baselines.firstLoad(model, version);
    if (loading && !this.awaited.has(loading)) {
      this.awaited.add(loading);
      void loading.finally(() => {
        this.awaited.delete(loading);
        setImmediate(this.buildLater);
      });
    }
    return loading;
  }

  /** Waits (at most `timeoutMs`) for the lookups held predictions wait for. */
  private async settleHeld(timeoutMs: number): Promise<void> {
    if (!this.held.length || !this.awaited.size) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.awaited]),
      new Promise((r) => {
        timer = setTimeout(r, Math.max(0, timeoutMs));
      }),
    ]);
    clearTimeout(timer);
  }

  /**
   * Documents for the predictions taken since the last build (and those held that need not wait any
   * longer), in order, to the shipper's queue; `force` builds everything now (shutdown).
   */
  private buildPending(force = false): void {
    const batch = [...this.held, ...this.pending];
    this.held = [];
    this.pending = [];
    for (const t of batch) {
      if (this.waitFor(t, force)) {
        this.held.push(t);
        continue;
      }
      const { prediction, level } = t;
      try {
        const id = uuidv7();
        const doc = toDocument(prediction, {
          id,
          namespace: this.options.namespace,
          level,
          sampleRate: this.options.sampleRate,
          sanitize: this.options.sanitize,
          defaults: this.options.defaults,
          baseline: this.baselineOf,
        });
        const line = JSON.stringify(doc);
        this.shipper.accept({
          id,
          index: this.options.dataStream,
          line,
          bytes: entryBytes(line),
          attempts: 0,
        });
      } catch (err) {
        this.notLogged(err);
      }
    }
    if (this.held.length && !this.holdTimer) {
      const oldest = (this.held[0] as Taken).at;
      this.holdTimer = setTimeout(
        () => {
          this.holdTimer = undefined;
          this.buildPending();
        },
        Math.max(1, HOLD_MS - (Date.now() - oldest) + 1),
      );
      this.holdTimer.unref();
    }
  }

  private notLogged(err: unknown): void {
    // unreachable by design (sanitize handles every type); counted rather than thrown if it happens
    this.emit('warn', {
      severity: 'error',
      code: 'failed',
      message: `prediction not logged: ${(err as Error).message}`,
      count: 1,
    });
  }

  /**
   * Waits until the baseline of `model@version` (default: the transport's) is loaded, e.g. at
   * application start; resolves to its id, or undefined when there is none.
   */
  async baselineReady(
    model = this.options.defaults.model ?? 'unknown',
    version = this.options.defaults.version ?? 'unknown',
  ): Promise<string | undefined> {
    return (await this.baselines?.ready(model, version))?.id;
  }

  async flush(timeoutMs?: number): Promise<boolean> {
    const start = Date.now();
    this.buildPending();
    // predictions held for their baseline's first lookup are part of what a flush sends
    await this.settleHeld(Math.min(HOLD_MS, timeoutMs ?? HOLD_MS));
    this.buildPending(true);
    return this.shipper.flush(
      timeoutMs === undefined ? undefined : Math.max(0, timeoutMs - (Date.now() - start)),
    );
  }

  /** Flushes memory and disk within `timeoutMs`; what is left goes to the disk buffer for the next start. */
  shutdown(opts: { timeoutMs?: number } = {}): Promise<ShutdownReport> {
    this.buildPending();
    this.shutdownPromise ??= (async () => {
      process.removeListener('beforeExit', this.onBeforeExit);
      const timeoutMs = opts.timeoutMs ?? this.options.exitFlushTimeoutMs;
      const start = Date.now();
      // held predictions wait for their baseline at most half the time, then go as they are
      await this.settleHeld(Math.min(HOLD_MS, timeoutMs / 2));
      this.buildPending(true);
      const report = await this.shipper.shutdown(Math.max(0, timeoutMs - (Date.now() - start)));
      if (this.ownsClient) await this.client.close().catch(() => undefined);
      return report;
    })();
    return this.shutdownPromise;
  }

  stats(): TransportStats {
    this.buildPending();
    return this.shipper.stats();
  }

  /** winston's `logger.end()`: 'finish' fires only after the flush. */
  override _final(callback: (error?: Error | null) => void): void {
    this.shutdown().then(
      () => callback(),
      () => callback(),
    );
  }

  override close(): void {
    void this.shutdown();
  }
}
