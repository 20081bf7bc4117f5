import { EventEmitter } from 'node:events';
import type { Client } from '@elastic/elasticsearch';
import { labelsStream } from '../contract/streams.js';
import { RetryBackoff } from './backoff.js';
import { BatchResults } from './batch-results.js';
import { BatchScheduler } from './batch-scheduler.js';
import type { Entry } from './entry.js';
import { EntryQueue } from './entry-queue.js';
import type { ResolvedTransportOptions } from './options.js';
import { type SpillProblem, SpillStore } from './spill.js';
import type { ShipperCounters, ShutdownReport, TransportProblem, TransportStats } from './transport-stats.js';

/**
 * Moves entries from memory (and the disk buffer) to Elasticsearch: batches by count, bytes and
 * time; retries only the items that failed, with full-jitter backoff and no attempt limit for
 * outages; dead-letters what cannot be indexed; keeps memory under its bound by spilling to disk.
 *
 * The stages, each its own module: the memory queue (entry-queue.ts), the decision for each
 * answer (item-outcome.ts, pure) and carrying it out (batch-results.ts), the scheduler that sends
 * batches (batch-scheduler.ts), the disk buffer (spill.ts), dead letters (dead-letter.ts). This
 * class is the lifecycle: it takes entries, flushes, shuts down and keeps the stats.
 *
 * Order: while anything waits on disk, new entries go to disk too, and segments are replayed
 * oldest first, so documents reach the cluster in the order they were logged (up to concurrency
 * and retries).
 *
 * Write-ahead: while the cluster is not answering (a request or item failed and nothing succeeded
 * since) or more than one batch waits in memory, new entries go to disk first, and the entries
 * that waited in memory are written there too, so a crash of the process loses at most what was
 * not yet handed to the kernel. With a healthy cluster, a crash can lose what waits for the next
 * batch (at most `flushIntervalMs` or one batch) and what is in flight (README, "What a crash can lose").
 */
export class Shipper extends EventEmitter {
  private readonly queue: EntryQueue;
  private readonly scheduler: BatchScheduler;
  private readonly results: BatchResults;
  private readonly backoff: RetryBackoff;
  private closed = false;
  private warnedAfterShutdown = false;
  private warnedPendingFull = false;
  /** the last report of a failed disk write: at most one per 5 s, the rest counted in stats().dropped */
  private diskWarnedAt = 0;
  /** documents a failed disk write lost during shutdown */
  private lostAtClose = 0;
  readonly spill: SpillStore | undefined;
  private readonly counters: ShipperCounters = {
    logged: 0,
    indexed: 0,
    retried: 0,
    failed: 0,
    deadLettered: 0,
    dropped: 0,
    sampledOut: 0,
    ignored: 0,
  };
  private lastError: TransportStats['lastError'];
  /** problems found before anyone could listen (the constructor): emitted on the next turn */
  private early: TransportProblem[] | undefined = [];
  /** after shutdown: what stats() reports for memory and disk (late answers change nothing) */
  private final: { savedToDisk: number } | undefined;

  constructor(
    client: Client,
    private readonly opts: ResolvedTransportOptions,
  ) {
    super();
    this.spill = this.openSpill(opts);
    this.queue = new EntryQueue(opts.maxQueueDocs, opts.maxQueueBytes);
    this.backoff = new RetryBackoff(opts.retryInitialMs, opts.retryMaxMs);
    const problem = (p: TransportProblem) => this.problem(p);
    this.results = new BatchResults(opts, this.queue, this.backoff, this.counters, this.spill, problem, (e) =>
      this.keepForRetry(e),
    );
    this.scheduler = new BatchScheduler(
      client,
      opts,
      this.queue,
      this.backoff,
      this.spill,
      this.results,
      problem,
    );
    // segments left by an earlier run are sent as soon as the cluster answers
    if (this.spill?.hasData) queueMicrotask(() => this.scheduler.pump());
    setImmediate(() => {
      const early = this.early ?? [];
      this.early = undefined;
      for (const p of early) this.problem(p);
    });
  }

  private openSpill(opts: ResolvedTransportOptions): SpillStore | undefined {
    if (opts.spillDir === false) return undefined;
    const report: SpillProblem = (code, message) => this.problem({ severity: 'error', code, message });
    try {
      const spill = new SpillStore(
        {
          baseDir: opts.spillDir,
          maxBytes: opts.maxSpillBytes,
          segmentBytes: opts.spillSegmentBytes,
          fsync: opts.fsync,
          fsyncIntervalMs: opts.fsyncIntervalMs,
          predictionsIndex: opts.dataStream,
          deadLetterIndex: opts.deadLetterIndex,
          labelsIndex: labelsStream(opts.namespace),
        },
        report,
      );
      spill.onWriteFailure = (entries, error) => this.diskWriteFailed(entries, error);
      spill.onLost = (docs, error) => {
        this.counters.dropped += docs;
        this.problem({
          severity: 'error',
          code: 'spill_read_failed',
          message: `a disk-buffer segment could not be read (${(error as NodeJS.ErrnoException).code ?? error.message}): ${docs} document(s) lost`,
          count: docs,
        });
      };
      return spill;
    } catch (err) {
      this.problem({
        severity: 'error',
        code: 'spill_unavailable',
        message: `disk buffer unavailable in ${opts.spillDir} (${(err as Error).message}); memory only`,
      });
      return undefined;
    }
  }

  /**
   * A disk write failed (full, read-only, gone): its entries come back to memory, within the
   * memory bound (the oldest dropped past it); after shutdown they are lost. Reported at most
   * every 5 s; every loss is counted in stats().dropped.
   */
  private diskWriteFailed(entries: Entry[], error: Error): void {
    let dropped: number;
    if (this.closed) {
      dropped = entries.length;
      this.lostAtClose += dropped;
    } else {
      for (const e of entries) this.queue.push(e);
      dropped = this.queue.dropOldest();
      this.scheduler.schedule();
    }
    this.counters.dropped += dropped;
    if (Date.now() - this.diskWarnedAt < 5000) return;
    this.diskWarnedAt = Date.now();
    this.problem({
      severity: 'error',
      code: 'spill_write_failed',
      message: `disk buffer write failed (${(error as NodeJS.ErrnoException).code ?? error.message}): ${entries.length - dropped} document(s) kept in memory, ${dropped} dropped past the memory bound; memory only until the disk can be written (tried again every 5 s); losses are counted in stats().dropped`,
      count: dropped,
      error,
    });
  }

  private problem(p: TransportProblem): void {
    // every disk-buffer problem and every loss is a lastError too, not only errors of the cluster
    if (
      p.severity === 'error' ||
      p.code === 'cluster_unavailable' ||
      p.code.startsWith('spill_') ||
      p.code.startsWith('dropped_')
    )
      this.lastError = { message: p.message, at: new Date().toISOString() };
    if (this.early) {
      this.early.push(p);
      return;
    }
    // 'warn', not 'error': an unhandled 'error' event would throw into the application
    if (this.listenerCount('warn') > 0) this.emit('warn', p);
  }

  countSampledOut(): void {
    this.counters.sampledOut++;
  }
  countIgnored(): void {
    this.counters.ignored++;
  }

  /** The disk buffer, when it can take writes now. */
  private get disk(): SpillStore | undefined {
    const spill = this.spill;
    if (!spill?.writable) return undefined;
    return spill;
  }

  /** The cluster is not answering, or falls behind by more than a batch: documents go to disk first. */
  private get writeAhead(): boolean {
    return (
      this.backoff.failing || this.queue.docs > this.opts.batchSize || this.queue.bytes > this.opts.batchBytes
    );
  }

  /**
   * Room to hold one more prediction of about `bytes` outside the queue (the transport's hold for
   * a baseline's first lookup): within the memory bound, and never while the cluster is not
   * answering, when every document must go to disk first.
   */
  canHold(bytes: number): boolean {
    return !this.closed && !this.backoff.failing && this.queue.fits(bytes + (this.spill?.pendingBytes ?? 0));
  }

  /** Predictions already held may stay so: not while the cluster is not answering, nor after shutdown. */
  get canKeepHolding(): boolean {
    return !this.closed && !this.backoff.failing;
  }

  /** Held predictions count against the memory bound until they are built (negative to release). */
  hold(docs: number, bytes: number): void {
    this.queue.reserve(docs, bytes);
  }

  /**
   * Takes one serialized document. O(1), never throws, never waits. `writeAhead`: to disk first
   * whatever the queue holds (a held prediction whose baseline lookup failed or timed out: the
   * cluster is not answering).
   */
  accept(e: Entry, writeAhead = false): void {
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
    this.counters.logged++;
    const disk = this.disk;
    if (disk && (writeAhead || disk.hasData || this.scheduler.isLoading || this.writeAhead)) {
      this.toDisk(disk, e);
    } else if (this.queue.fits(e.bytes + (this.spill?.pendingBytes ?? 0))) {
      this.queue.push(e);
    } else if (disk) {
      this.toDisk(disk, e);
    } else {
      // memory only (no disk buffer, or it cannot be written now): make room by dropping the oldest
      this.queue.push(e);
      const dropped = this.queue.dropOldest();
      if (dropped) {
        this.counters.dropped += dropped;
        this.problem({
          severity: 'warning',
          code: 'dropped_overflow',
          message: 'memory bound reached without a usable disk buffer: oldest dropped',
          count: dropped,
        });
      }
    }
    this.scheduler.schedule();
  }

  /**
   * Bytes waiting to be written are memory too: with those and the queue at the bound (a disk
   * slower than the burst), the new document is dropped and counted, so memory stays bounded.
   */
  private toDisk(spill: SpillStore, e: Entry): void {
    if (
      spill.pendingBytes + this.queue.bytes + this.queue.inFlightBytes + this.queue.heldBytes + e.bytes >
      this.opts.maxQueueBytes
    ) {
      this.counters.dropped++;
      if (!this.warnedPendingFull) {
        this.warnedPendingFull = true;
        this.problem({
          severity: 'warning',
          code: 'dropped_overflow',
          message: `the disk buffer cannot keep up and memory is at its bound (${this.opts.maxQueueBytes} bytes): newest dropped (counted in stats().dropped)`,
          count: 1,
        });
      }
      return;
    }
    this.warnedPendingFull = false;
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

  /**
   * Entries to send again after a failure. The cluster is not answering: what exists only in
   * memory (these and everything waiting) is written to disk now; entries replayed from a segment
   * are on disk already and stay in memory. Item retries after HTTP 500 stay in memory (their
   * attempt count matters).
   */
  private keepForRetry(entries: Entry[]): void {
    const disk = this.disk;
    if (!disk || this.closed) {
      this.queue.requeueFront(entries);
      return;
    }
    const stay = entries.filter((e) => e.segment || e.attempts > 0);
    this.queue.requeueFront(stay);
    for (const e of entries) if (!(e.segment || e.attempts > 0)) disk.append(e);
    for (const e of this.queue.takeUnsaved()) disk.append(e);
  }

  /** Sends everything now; resolves when nothing is left (true) or after `timeoutMs` (false). */
  async flush(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    this.scheduler.beginFlush();
    try {
      await this.spill?.settle();
      if (this.scheduler.idle) return true;
      const idle = this.scheduler.whenIdle();
      if (!Number.isFinite(timeoutMs)) return await idle;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const done = await Promise.race([idle, timeout]);
      clearTimeout(timer);
      return done;
    } finally {
      this.scheduler.endFlush();
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
    this.scheduler.close();
    let unsent = 0;
    // replayed entries still sit in their own segment files
    let inTheirSegments = 0;
    const left = complete ? [] : this.queue.takeLeftovers();
    this.scheduler.stop();
    if (this.spill) {
      for (const e of left) {
        if (e.segment) inTheirSegments++;
        else this.spill.append(e);
      }
      // a failed write here counts its documents as dropped (and unsent)
      await this.spill.close();
      unsent = this.lostAtClose;
    } else {
      unsent = left.length;
      this.counters.dropped += unsent;
    }
    const savedToDisk = (this.spill?.docs ?? 0) + inTheirSegments;
    this.final = { savedToDisk };
    const s = this.stats();
    return {
      complete,
      logged: s.logged,
      adopted: s.adopted,
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
    const final = this.final;
    return {
      ...this.counters,
      adopted: this.spill?.adoptedDocs ?? 0,
      queued: final ? 0 : this.queue.docs,
      inFlight: final ? 0 : this.queue.inFlightDocs,
      spilledBytes: this.spill?.bytes ?? 0,
      spilledDocs: final ? final.savedToDisk : (this.spill?.docs ?? 0),
      lastError: this.lastError,
      lastSuccessAt: this.results.lastSuccessAt,
    };
  }
}
