import type { Client } from '@elastic/elasticsearch';
import { v7 as uuidv7 } from 'uuid';
import TransportStream from 'winston-transport';
import {
  FIXED_FIELD_TYPES,
  type FieldCapsBody,
  fieldTypeMismatches,
  mismatchText,
} from '../contract/field-types.js';
import { INDEX_LIMITS } from '../contract/limits.js';
import { labelsStream } from '../contract/streams.js';
import { createClient } from '../es/connection.js';
import { BaselineCache } from './baseline-cache.js';
import { modelVersionOf, toDocument } from './document.js';
import { entryBytes } from './entry.js';
import { type LabelLog, labelDocumentId, toLabelDocument } from './label.js';
import { type ResolvedTransportOptions, resolveTransportOptions, type TransportOptions } from './options.js';
import type { PredictionLog } from './prediction.js';
import { PredictionMetrics, registerProcessMetrics, registerTransportMetrics } from './prometheus.js';
import { Shipper } from './shipper.js';
import type {
  ShutdownReport,
  TransportProblem,
  TransportStats,
  TransportWarning,
} from './transport-stats.js';

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
 * What a `warn` listener gets: codes, counts and the cluster's status, error type and reason, never
 * the client's error object (its `meta` holds the request, with documents and headers).
 */
function toWarning(p: TransportProblem): TransportWarning {
  const w: TransportWarning = { severity: p.severity, code: p.code, message: p.message };
  if (p.count !== undefined) w.count = p.count;
  if (p.status !== undefined) w.status = p.status;
  if (p.errorType !== undefined) w.errorType = p.errorType;
  if (p.reason !== undefined) w.reason = p.reason;
  return w;
}

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
 * (then built as the baseline says): past either bound they are built without it, as before. Held
 * predictions exist only in memory: with a disk buffer they are held at most HOLD_WITH_DISK_MS, the
 * crash window of a document waiting for its batch (README, "What a crash can lose"), then go to
 * disk first; without one, memory is all there is and they may wait up to HOLD_MS.
 */
const HOLD_MS = 10_000;
const HOLD_WITH_DISK_MS = 1000;
const MAX_HELD = 10_000;
/** a held prediction's size before any document was built (then the running mean of built ones) */
const FIRST_DOC_BYTES_GUESS = 1024;

interface Taken {
  prediction: PredictionLog;
  level: string;
  /** when it was taken (Date.now()), for the hold's time bound */
  at: number;
  /** while held: the bytes it counts against the memory bound (an estimate) */
  heldBytes?: number;
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
  // The client (which holds the credentials), the shipper and the baseline cache (which hold the
  // client) are private class fields: util.inspect and JSON.stringify cannot reach them.
  readonly #client: Client;
  readonly #shipper: Shipper;
  readonly #baselines: BaselineCache | undefined;
  readonly options: ResolvedTransportOptions;
  private readonly ownsClient: boolean;
  private shutdownPromise: Promise<ShutdownReport> | undefined;
  /** prediction value and latency histograms, with `metricsRegistry` */
  private readonly predictionMetrics: PredictionMetrics | undefined;
  private readonly baselineOf = (model: string, version: string) => this.#baselines?.get(model, version);
  /** predictions taken by logPrediction, not yet documents (at most MAX_PENDING) */
  private pending: Taken[] = [];
  /** predictions waiting for their baseline's first lookup (at most MAX_HELD and the memory bound, for at most holdMs) */
  private held: Taken[] = [];
  /** the first lookups held predictions wait for, each watched once */
  private readonly awaited = new Set<Promise<void>>();
  /** builds the held predictions when the oldest one's hold is over */
  private holdTimer: NodeJS.Timeout | undefined;
  private buildScheduled = false;
  private limitedFields = 0;
  private labels = 0;
  private labelsRefused = 0;
  private warnedFieldLimit = false;
  /** the running mean size of built documents: what a held prediction counts against the bound */
  private meanDocBytes = FIRST_DOC_BYTES_GUESS;
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
    if (opts.client) this.#client = opts.client;
    else {
      const connection = Object.fromEntries(
        CONNECTION_KEYS.filter((k) => opts[k] !== undefined).map((k) => [k, opts[k]]),
      );
      this.#client = createClient(connection, { requestTimeout: this.options.requestTimeoutMs });
    }
    this.#shipper = new Shipper(this.#client, this.options);
    this.#shipper.on('warn', (p: TransportProblem) => {
      // the cluster stopped answering: held predictions go to disk now (write-ahead), not later
      if (this.held.length && (p.code === 'cluster_unavailable' || p.code === 'auth_failed'))
        setImmediate(this.buildLater);
      this.emit('warn', toWarning(p));
    });
    if (this.options.baseline) {
      this.#baselines = new BaselineCache(this.#client, {
        ...this.options.baseline,
        sanitize: this.options.sanitize,
        onError: (message) =>
          this.emit('warn', { severity: 'warning', code: 'baseline_unavailable', message }),
      });
      // the default model's baseline starts loading now, so the first predictions find it
      if (this.options.defaults.model)
        this.#baselines.get(this.options.defaults.model, this.options.defaults.version ?? 'unknown');
    }
    if (opts.metricsRegistry) {
      registerTransportMetrics(
        opts.metricsRegistry,
        () => this.stats(),
        { data_stream: this.options.dataStream },
        opts.metricsPrefix,
      );
      this.predictionMetrics = new PredictionMetrics(opts.metricsRegistry, {
        bucketsOf: (model, version) => this.#baselines?.get(model, version)?.predictionEdges,
        firstLoad: (model, version) => this.#baselines?.firstLoad(model, version),
      });
      if (opts.processMetrics !== false) registerProcessMetrics(opts.metricsRegistry);
    }
    // a process that simply runs out of work still sends (or saves) what it logged
    process.once('beforeExit', this.onBeforeExit);
    if (opts.checkTemplate !== false) void this.checkTemplate();
  }

  /** The Elasticsearch client the transport sends with. */
  get client(): Client {
    return this.#client;
  }

  /**
   * Without the product's template, a cluster maps features dynamically (a first integer makes a
   * `long` field that later truncates decimals): say so once, at start, without waiting for it.
   */
  private async checkTemplate(): Promise<void> {
    try {
      const sim = await this.#client.indices.simulateIndexTemplate(
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
    await this.checkLiveMappings();
  }

  /**
   * A stream that already exists keeps the mappings it was created with (before `mlmon setup`, or
   * by another template): the job's window queries then fail. Say so at start, naming the fields.
   */
  private async checkLiveMappings(): Promise<void> {
    try {
      const caps = await this.client.fieldCaps(
        {
          index: this.options.dataStream,
          fields: Object.keys(FIXED_FIELD_TYPES),
          ignore_unavailable: true,
          allow_no_indices: true,
        },
        { requestTimeout: 10_000 },
      );
      const mismatches = fieldTypeMismatches(caps as FieldCapsBody, FIXED_FIELD_TYPES);
      if (mismatches.length)
        this.emit('warn', {
          severity: 'warning',
          code: 'mapping_mismatch',
          message: `${this.options.dataStream} exists with mappings the job cannot use: ${mismatches.map(mismatchText).join('; ')}; run \`mlmon setup --check\``,
        });
    } catch {
      // as above: shipping reports the cluster's state
    }
  }

  /**
   * winston's entry point. The callback is optional (winston's conformance suite calls `log(info)`
   * alone); `logged` is emitted on the next tick, as winston's own transports do.
   */
  override log(info: Record<string, unknown>, callback?: () => void): boolean {
    if (info && typeof info === 'object' && 'features' in info) {
      this.logPrediction(
        info as unknown as PredictionLog,
        typeof info.level === 'string' ? info.level : 'info',
      );
    } else {
      this.#shipper.countIgnored();
    }
    setImmediate(() => this.emit('logged', info));
    if (typeof callback === 'function') callback();
    return true;
  }

  /** Queues one prediction. Returns at once; never throws, whatever `p` holds. */
  logPrediction(p: PredictionLog | unknown, level = 'info'): void {
    try {
      const prediction: PredictionLog =
        typeof p === 'object' && p !== null && !Array.isArray(p)
          ? (p as PredictionLog)
          : { features: p as Record<string, unknown> };
      if (this.predictionMetrics) {
        const { model, version } = modelVersionOf(prediction, this.options.defaults);
        this.predictionMetrics.observe(model, version, prediction.prediction, prediction.latencyMs);
      }
      const sampleRate = this.options.sampleRate;
      if (sampleRate < 1 && Math.random() >= sampleRate) {
        this.#shipper.countSampledOut();
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
   * Queues one label (README, "Labels and realized performance"). Returns at once; never throws.
   * The document goes straight to the shipper (a label needs no baseline): the same queue, batches,
   * retries, disk buffer and dead letters as predictions; its `_id` makes a resend count once.
   */
  logLabel(l: LabelLog | unknown): void {
    try {
      const doc = toLabelDocument(l, {
        namespace: this.options.namespace,
        defaults: this.options.defaults,
        now: Date.now(),
      });
      if (typeof doc === 'string') {
        this.labelsRefused++;
        this.emit('warn', {
          severity: 'warning',
          code: 'label_refused',
          message: `label not logged: ${doc.replaceAll('_', ' ')}`,
          count: 1,
        });
        return;
      }
      const line = JSON.stringify(doc);
      this.labels++;
      this.#shipper.accept({
        id: labelDocumentId(doc),
        index: labelsStream(this.options.namespace),
        line,
        bytes: entryBytes(line),
        attempts: 0,
      });
    } catch (err) {
      this.notLogged(err);
    }
  }

  /**
   * The first lookup of a prediction's baseline, if it should wait for it: so that a text feature
   * logged in the first moments of a process is typed as text and derived, not stored as a category.
   */
  private waitFor(t: Taken, force: boolean): Promise<void> | undefined {
    if (force || !this.#baselines || Date.now() - t.at >= this.holdMs) return;
    // held or not, within the memory bound, and never while the cluster is not answering
    const bytes = t.heldBytes ?? this.meanDocBytes;
    if (t.heldBytes === undefined && (this.held.length >= MAX_HELD || !this.#shipper.canHold(bytes))) return;
    if (t.heldBytes !== undefined && !this.#shipper.canKeepHolding) return;
    const { model, version } = modelVersionOf(t.prediction, this.options.defaults);
    const loading = this.#baselines.firstLoad(model, version);
    if (!loading) return;
    if (t.heldBytes === undefined) {
      t.heldBytes = bytes;
      this.#shipper.hold(1, bytes);
    }
    if (!this.awaited.has(loading)) {
      this.awaited.add(loading);
      void loading.finally(() => {
        this.awaited.delete(loading);
        setImmediate(this.buildLater);
      });
    }
    return loading;
  }

  /** With a disk buffer, a prediction stays in memory only as long as one waiting for its batch. */
  private get holdMs(): number {
    return this.#shipper.spill ? HOLD_WITH_DISK_MS : HOLD_MS;
  }

  /**
   * A held prediction leaves the hold: it no longer counts as held. True when it goes to disk first:
   * its baseline's lookup failed or did not answer in time, so the cluster is not answering.
   */
  private release(t: Taken, force: boolean): boolean {
    if (t.heldBytes === undefined) return false;
    this.#shipper.hold(-1, -t.heldBytes);
    t.heldBytes = undefined;
    if (force || !this.#baselines) return false;
    const { model, version } = modelVersionOf(t.prediction, this.options.defaults);
    return Date.now() - t.at >= this.holdMs || this.#baselines.failed(model, version);
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
      const writeAhead = this.release(t, force);
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
        if (doc.mlmon.flags) this.countLimited(doc.mlmon.flags);
        const line = JSON.stringify(doc);
        const bytes = entryBytes(line);
        this.meanDocBytes += (bytes - this.meanDocBytes) / 64;
        this.#shipper.accept({ id, index: this.options.dataStream, line, bytes, attempts: 0 }, writeAhead);
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
        Math.max(1, this.holdMs - (Date.now() - oldest) + 1),
      );
      this.holdTimer.unref();
    }
  }

  /** Counts the values the index's limits cut or would ignore; warns once when the field limit is reached. */
  private countLimited(flags: readonly string[]): void {
    for (const f of flags) {
      const fieldLimit = f.startsWith('field_limit:');
      if (!fieldLimit && !f.startsWith('truncated_keyword:')) continue;
      this.limitedFields++;
      if (fieldLimit && !this.warnedFieldLimit) {
        this.warnedFieldLimit = true;
        this.emit('warn', {
          severity: 'warning',
          code: 'field_limit',
          message: `the stream's field limit (${INDEX_LIMITS.totalFields}) is reached: new features are stored but not indexed (in _ignored), flagged field_limit:<name>`,
        });
      }
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
    return (await this.#baselines?.ready(model, version))?.id;
  }

  async flush(timeoutMs?: number): Promise<boolean> {
    const start = Date.now();
    this.buildPending();
    // predictions held for their baseline's first lookup are part of what a flush sends
    await this.settleHeld(Math.min(this.holdMs, timeoutMs ?? this.holdMs));
    this.buildPending(true);
    return this.#shipper.flush(
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
      await this.settleHeld(Math.min(this.holdMs, timeoutMs / 2));
      this.buildPending(true);
      const report = await this.#shipper.shutdown(Math.max(0, timeoutMs - (Date.now() - start)));
      if (this.ownsClient) await this.#client.close().catch(() => undefined);
      return report;
    })();
    return this.shutdownPromise;
  }

  /** Held predictions are logged and queued (in memory, waiting), so the counts add up during the hold. */
  stats(): TransportStats {
    this.buildPending();
    const s = this.#shipper.stats();
    const held = this.held.length;
    return {
      ...s,
      logged: s.logged + held,
      queued: s.queued + held,
      limitedFields: this.limitedFields,
      labels: this.labels,
      labelsRefused: this.labelsRefused,
    };
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
