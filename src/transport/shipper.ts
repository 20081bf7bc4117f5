import { EventEmitter } from 'node:events';
import type { Client } from '@elastic/elasticsearch';
import { fullJitterDelay } from './backoff.js';
import { type ItemResult, isRetryableStatus, sendBulk } from './bulk.js';
import { deadLetterEntry } from './dead-letter.js';
import type { Entry } from './entry.js';
import type { ResolvedTransportOptions } from './options.js';
import { SpillStore } from './spill.js';
import type { ShutdownReport, TransportProblem, TransportStats } from './transport-stats.js';

/** The server's own reason when there is one ("action [indices:data/write/bulk] is unauthorized ..."). */
function reasonOf(error: Error): string {
  const body = (error as { meta?: { body?: { error?: { reason?: string } } } }).meta?.body;
  return body?.error?.reason ?? error.message;
}

/**
 * Moves entries from memory (and the disk buffer) to Elasticsearch: batches by count, bytes and
 * time; retries only the items that failed, with full-jitter backoff and no attempt limit for
 * outages; dead-letters what cannot be indexed; keeps memory under its bound by spilling to disk.
 *
 * Order: while anything waits on disk, new entries go to disk too, and segments are replayed
 * oldest first, so documents reach the cluster in the order they were logged (up to concurrency
 * and retries).
 */
export class Shipper extends EventEmitter {
  private mem: Entry[] = [];
  private head = 0;
  private retry: Entry[] = [];
  private queuedBytes = 0;
  private inFlightDocs = 0;
  private inFlightBytes = 0;
  private inFlightRequests = 0;
  private readonly inFlightBatches = new Set<Entry[]>();
  private firstQueuedAt = 0;
  /** lowered when the cluster answers 413 */
  private batchSize: number;
  private consecutiveFailures = 0;
  private backoffUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private flushing = 0;
  private loading: Promise<void> | undefined;
  private closed = false;
  /** shutdown finished: nothing more is sent, even if a late response re-queues entries */
  private stopped = false;
  private warnedAfterShutdown = false;
  private idleWaiters: (() => void)[] = [];
  readonly spill: SpillStore | undefined;
  private readonly counters = {
    indexed: 0,
    retried: 0,
    failed: 0,
    deadLettered: 0,
    dropped: 0,
    sampledOut: 0,
    ignored: 0,
  };
  private lastError: TransportStats['lastError'];
  private lastSuccessAt: string | undefined;

  constructor(
    private readonly client: Client,
    private readonly opts: ResolvedTransportOptions,
  ) {
    super();
    this.batchSize = opts.batchSize;
    if (opts.spillDir !== false) {
      try {
        this.spill = new SpillStore({
          baseDir: opts.spillDir,
          maxBytes: opts.maxSpillBytes,
          segmentBytes: opts.spillSegmentBytes,
          fsync: opts.fsync,
        });
        this.spill.onWriteFailure = (docs, error) => {
          this.counters.dropped += docs;
          this.problem({
            severity: 'error',
            code: 'spill_write_failed',
            message: `disk buffer write failed: ${error.message}`,
            count: docs,
            error,
          });
        };
        // segments left by an earlier run are sent as soon as the cluster answers
        if (this.spill.hasData) queueMicrotask(() => this.pump());
      } catch (err) {
        this.spill = undefined;
        this.problem({
          severity: 'warning',
          code: 'spill_write_failed',
          message: `disk buffer unavailable in ${opts.spillDir} (${(err as Error).message}); memory only`,
        });
      }
    }
  }

  private problem(p: TransportProblem): void {
    if (p.severity === 'error' || p.code === 'cluster_unavailable')
      this.lastError = { message: p.message, at: new Date().toISOString() };
    // 'warn', not 'error': an unhandled 'error' event would throw into the application
    if (this.listenerCount('warn') > 0) this.emit('warn', p);
  }

  countSampledOut(): void {
    this.counters.sampledOut++;
  }
  countIgnored(): void {
    this.counters.ignored++;
  }

  private get queuedDocs(): number {
    return this.mem.length - this.head + this.retry.length;
  }

  private residentFits(bytes: number): boolean {
    return (
      this.queuedDocs + this.inFlightDocs + 1 <= this.opts.maxQueueDocs &&
      this.queuedBytes + this.inFlightBytes + bytes <= this.opts.maxQueueBytes
    );
  }

  /** Takes one serialized document. O(1), never throws, never waits. */
  accept(e: Entry): void {
    if (this.closed) {
      this.counters.dropped++;
      // once: an application that keeps logging after shutdown would flood its listeners
      if (!this.warnedAfterShutdown) {
        this.warnedAfterShutdown = true;
        this.problem({
          severity: 'warning',
          code: 'logged_after_shutdown',
          message: 'predictions logged after shutdown are dropped (counted in stats().dropped)',
        });
      }
      return;
    }
    if (this.spill && (this.spill.hasData || this.loading)) {
      this.toDisk(e);
    } else if (this.residentFits(e.bytes)) {
      this.enqueue(e);
    } else if (this.spill) {
      this.toDisk(e);
    } else {
      // memory only: make room by dropping the oldest, as documented
      this.enqueue(e);
      let dropped = 0;
      while (!this.residentFits(0) && this.mem.length > this.head) {
        const old = this.mem[this.head] as Entry;
        this.mem[this.head] = undefined as unknown as Entry;
        this.head++;
        this.queuedBytes -= old.bytes;
        dropped++;
      }
      if (dropped) {
        this.counters.dropped += dropped;
        this.problem({
          severity: 'warning',
          code: 'dropped_overflow',
          message: 'memory bound reached without a disk buffer: oldest dropped',
          count: dropped,
        });
      }
    }
    this.schedule();
  }

  private toDisk(e: Entry): void {
    const spill = this.spill as SpillStore;
    spill.append(e);
    if (spill.bytes > this.opts.maxSpillBytes) {
      const dropped = spill.enforceLimit();
      if (dropped) {
        this.counters.dropped += dropped;
        this.problem({
          severity: 'warning',
          code: 'dropped_disk_limit',
          message: `disk buffer limit (${this.opts.maxSpillBytes} bytes) reached: oldest segment dropped`,
          count: dropped,
        });
      }
    }
  }

  private enqueue(e: Entry): void {
    if (this.queuedDocs === 0) this.firstQueuedAt = Date.now();
    this.mem.push(e);
    this.queuedBytes += e.bytes;
  }

  private takeBatch(): Entry[] {
    const batch: Entry[] = [];
    let bytes = 0;
    const fits = (e: Entry) =>
      batch.length === 0 || (batch.length < this.batchSize && bytes + e.bytes <= this.opts.batchBytes);
    while (this.retry.length && fits(this.retry[0] as Entry)) {
      const e = this.retry.shift() as Entry;
      batch.push(e);
      bytes += e.bytes;
    }
    while (this.mem.length > this.head && fits(this.mem[this.head] as Entry)) {
      const e = this.mem[this.head] as Entry;
      this.mem[this.head] = undefined as unknown as Entry;
      this.head++;
      batch.push(e);
      bytes += e.bytes;
    }
    // compact the FIFO now and then instead of shifting on every take
    if (this.head > 4096 && this.head * 2 > this.mem.length) {
      this.mem = this.mem.slice(this.head);
      this.head = 0;
    }
    this.queuedBytes -= bytes;
    if (this.queuedDocs > 0) this.firstQueuedAt = Date.now();
    return batch;
  }

  private schedule(): void {
    if (this.timer && this.timerAt <= Date.now()) return;
    queueMicrotask(() => this.pump());
  }

  private setTimer(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.pump();
      },
      Math.max(0, at - Date.now()),
    );
    // the transport alone never keeps a process alive; the exit hook flushes instead
    this.timer.unref();
  }

  private maybeLoadFromDisk(): void {
    const spill = this.spill;
    if (!spill || this.loading || !spill.hasData) return;
    const resident = this.queuedDocs + this.inFlightDocs;
    const residentBytes = this.queuedBytes + this.inFlightBytes;
    if (resident > this.opts.maxQueueDocs / 2 || residentBytes > this.opts.maxQueueBytes / 2) return;
    this.loading = spill
      .takeOldest()
      .then((entries) => {
        for (const e of entries ?? []) this.enqueue(e);
      })
      .catch((err: unknown) => {
        this.problem({
          severity: 'error',
          code: 'spill_write_failed',
          message: `disk buffer read failed: ${(err as Error).message}`,
        });
      })
      .finally(() => {
        this.loading = undefined;
        this.pump();
      });
  }

  private pump(): void {
    if (this.stopped) return;
    this.maybeLoadFromDisk();
    const now = Date.now();
    if (now < this.backoffUntil) {
      if (this.queuedDocs > 0) this.setTimer(this.backoffUntil);
      this.checkIdle();
      return;
    }
    while (this.inFlightRequests < this.opts.concurrency && this.queuedDocs > 0) {
      const due =
        this.flushing > 0 ||
        this.closed ||
        this.retry.length > 0 ||
        this.queuedDocs >= this.batchSize ||
        this.queuedBytes >= this.opts.batchBytes ||
        now - this.firstQueuedAt >= this.opts.flushIntervalMs ||
        // replaying the disk buffer: no reason to wait
        (this.spill?.hasData ?? false);
      if (!due) {
        this.setTimer(this.firstQueuedAt + this.opts.flushIntervalMs);
        break;
      }
      void this.send(this.takeBatch());
    }
    this.checkIdle();
  }

  private async send(batch: Entry[]): Promise<void> {
    let bytes = 0;
    for (const e of batch) bytes += e.bytes;
    this.inFlightRequests++;
    this.inFlightDocs += batch.length;
    this.inFlightBytes += bytes;
    this.inFlightBatches.add(batch);
    const outcome = await sendBulk(this.client, batch, this.opts.requestTimeoutMs);
    this.inFlightBatches.delete(batch);
    this.inFlightRequests--;
    this.inFlightDocs -= batch.length;
    this.inFlightBytes -= bytes;
    if (outcome.kind === 'failed') this.onRequestFailure(batch, outcome);
    else this.onItems(batch, outcome.items);
    this.pump();
  }

  private requeue(entries: Entry[]): void {
    // back to the front: retried before anything newer
    this.retry.unshift(...entries);
    for (const e of entries) this.queuedBytes += e.bytes;
    this.counters.retried += entries.length;
  }

  private backOff(): void {
    this.consecutiveFailures++;
    this.backoffUntil =
      Date.now() + fullJitterDelay(this.consecutiveFailures, this.opts.retryInitialMs, this.opts.retryMaxMs);
  }

  private onRequestFailure(
    batch: Entry[],
    outcome: Extract<Awaited<ReturnType<typeof sendBulk>>, { kind: 'failed' }>,
  ): void {
    if (outcome.tooLarge && batch.length > 1) {
      // 413: the cluster's http.max_content_length is smaller than our batch; send halves from now on
      this.batchSize = Math.max(1, Math.ceil(batch.length / 2));
      this.retry.unshift(...batch);
      for (const e of batch) this.queuedBytes += e.bytes;
      return;
    }
    if (outcome.retryable) {
      if (this.consecutiveFailures === 0) {
        const auth = outcome.status === 401 || outcome.status === 403;
        const what =
          outcome.status === 401
            ? 'the cluster refused our credentials (401)'
            : outcome.status === 403
              ? `not allowed to write (403: a privilege such as create_doc on ${this.opts.dataStream} is missing)`
              : 'the cluster is unavailable';
        this.problem({
          severity: auth ? 'error' : 'warning',
          code: auth ? 'auth_failed' : 'cluster_unavailable',
          message: `${what}: ${reasonOf(outcome.error)}; keeping the documents and retrying with backoff`,
          error: outcome.error,
        });
      }
      this.requeue(batch);
      this.backOff();
      return;
    }
    // the whole request was refused for a reason retrying cannot fix
    for (const e of batch)
      this.deadLetter(e, {
        status: outcome.status ?? 0,
        errorType: 'request_rejected',
        reason: outcome.error.message,
      });
  }

  private onItems(batch: Entry[], items: ItemResult[]): void {
    const again: Entry[] = [];
    let throttled = false;
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i] as Entry;
      const item = items[i] as ItemResult;
      const s = item.status;
      if (s >= 200 && s < 300) {
        if (item.failureStore === 'used') {
          this.counters.deadLettered++;
          this.problem({
            severity: 'warning',
            code: 'dead_lettered',
            message: `document ${e.id} went to the failure store`,
            count: 1,
          });
        } else if (e.index === this.opts.deadLetterIndex) this.counters.deadLettered++;
        else this.counters.indexed++;
        this.settle(e);
      } else if (s === 409) {
        // `create` with our id: it arrived in an earlier attempt
        if (e.index === this.opts.deadLetterIndex) this.counters.deadLettered++;
        else this.counters.indexed++;
        this.settle(e);
      } else if (isRetryableStatus(s)) {
        throttled ||= s === 429;
        again.push(e);
      } else if (s === 401 || s === 403) {
        // not allowed to write here: keep the documents until someone fixes the role or key
        throttled = true;
        if (this.consecutiveFailures === 0) {
          this.problem({
            severity: 'error',
            code: 'auth_failed',
            message: `not allowed to write to ${e.index} (${s} ${item.errorType ?? ''}: ${item.reason ?? ''}); keeping the documents and retrying`,
          });
        }
        again.push(e);
      } else if (s >= 500 && e.attempts < this.opts.maxItemRetries) {
        e.attempts++;
        again.push(e);
      } else {
        this.deadLetter(e, item);
      }
    }
    if (again.length) {
      this.requeue(again);
      if (throttled) this.backOff();
    }
    if (again.length < batch.length) {
      this.lastSuccessAt = new Date().toISOString();
      if (!throttled && this.consecutiveFailures > 0) {
        this.consecutiveFailures = 0;
        this.backoffUntil = 0;
        this.problem({
          severity: 'warning',
          code: 'cluster_available',
          message: 'the cluster accepts documents again',
        });
      }
    }
  }

  private deadLetter(e: Entry, item: ItemResult): void {
    if (e.index === this.opts.deadLetterIndex) {
      this.counters.failed++;
      this.problem({
        severity: 'error',
        code: 'failed',
        message: `dead letter ${e.id} could not be stored either (${item.status} ${item.errorType ?? ''}: ${item.reason ?? ''})`,
        count: 1,
      });
      this.settle(e);
      return;
    }
    this.problem({
      severity: 'warning',
      code: 'dead_lettered',
      message: `document ${e.id} rejected (${item.status} ${item.errorType ?? ''}: ${item.reason ?? ''}); sent to ${this.opts.deadLetterIndex}`,
      count: 1,
    });
    const dl = deadLetterEntry(e, item, this.opts);
    this.retry.push(dl);
    this.queuedBytes += dl.bytes;
  }

  private settle(e: Entry): void {
    if (e.segment) this.spill?.settleEntry(e.segment);
  }

  private get isIdle(): boolean {
    return (
      this.queuedDocs === 0 && this.inFlightRequests === 0 && !this.loading && !(this.spill?.hasData ?? false)
    );
  }

  private checkIdle(): void {
    if (!this.isIdle || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Sends everything now; resolves when nothing is left (true) or after `timeoutMs` (false). */
  async flush(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    this.flushing++;
    try {
      await this.spill?.settle();
      if (this.isIdle) return true;
      const idle = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true)));
      this.pump();
      if (!Number.isFinite(timeoutMs)) return await idle;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const done = await Promise.race([idle, timeout]);
      clearTimeout(timer);
      return done;
    } finally {
      this.flushing--;
    }
  }

  /**
   * Stops taking documents, flushes within `timeoutMs`, and writes what is left (in memory and in
   * flight) to the disk buffer for the next start. Documents in flight may arrive too: `create`
   * with the same id makes the replay harmless.
   */
  async shutdown(timeoutMs: number): Promise<ShutdownReport> {
    const started = Date.now();
    const complete = await this.flush(timeoutMs);
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    let savedToDisk = 0;
    let unsent = 0;
    if (!complete) {
      const left = [...this.retry, ...this.mem.slice(this.head), ...[...this.inFlightBatches].flat()];
      this.retry = [];
      this.mem = [];
      this.head = 0;
      this.queuedBytes = 0;
      if (this.spill) {
        // not yet loaded from disk: still there for the next start
        savedToDisk = this.spill.docs + left.length;
        // replayed entries still sit in their own segment files
        for (const e of left) if (!e.segment) this.spill.append(e);
      } else {
        unsent = left.length;
        this.counters.dropped += unsent;
      }
    }
    this.stopped = true;
    await this.spill?.close();
    const s = this.stats();
    return {
      complete,
      indexed: s.indexed,
      deadLettered: s.deadLettered,
      failed: s.failed,
      dropped: s.dropped,
      savedToDisk,
      unsent,
      durationMs: Date.now() - started,
    };
  }

  stats(): TransportStats {
    return {
      queued: this.queuedDocs,
      inFlight: this.inFlightDocs,
      ...this.counters,
      spilledBytes: this.spill?.bytes ?? 0,
      spilledDocs: this.spill?.docs ?? 0,
      lastError: this.lastError,
      lastSuccessAt: this.lastSuccessAt,
    };
  }
}
