import { EventEmitter } from 'node:events';
import type { Client } from '@elastic/elasticsearch';
import { RetryBackoff } from './backoff.js';
import { BatchResults } from './batch-results.js';
import { BatchScheduler } from './batch-scheduler.js';
import type { Entry } from './entry.js';
import { EntryQueue } from './entry-queue.js';
import type { ResolvedTransportOptions } from './options.js';
import { SpillStore } from './spill.js';
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
 */
export class Shipper extends EventEmitter {
  private readonly queue: EntryQueue;
  private readonly scheduler: BatchScheduler;
  private readonly results: BatchResults;
  private closed = false;
  private warnedAfterShutdown = false;
  readonly spill: SpillStore | undefined;
  private readonly counters: ShipperCounters = {
    indexed: 0,
    retried: 0,
    failed: 0,
    deadLettered: 0,
    dropped: 0,
    sampledOut: 0,
    ignored: 0,
  };
  private lastError: TransportStats['lastError'];

  constructor(
    client: Client,
    private readonly opts: ResolvedTransportOptions,
  ) {
    super();
    this.spill = this.openSpill(opts);
    this.queue = new EntryQueue(opts.maxQueueDocs, opts.maxQueueBytes);
    const backoff = new RetryBackoff(opts.retryInitialMs, opts.retryMaxMs);
    const problem = (p: TransportProblem) => this.problem(p);
    this.results = new BatchResults(opts, this.queue, backoff, this.counters, this.spill, problem);
    this.scheduler = new BatchScheduler(client, opts, this.queue, backoff, this.spill, this.results, problem);
    // segments left by an earlier run are sent as soon as the cluster answers
    if (this.spill?.hasData) queueMicrotask(() => this.scheduler.pump());
  }

  private openSpill(opts: ResolvedTransportOptions): SpillStore | undefined {
    if (opts.spillDir === false) return undefined;
    try {
      const spill = new SpillStore({
        baseDir: opts.spillDir,
        maxBytes: opts.maxSpillBytes,
        segmentBytes: opts.spillSegmentBytes,
        fsync: opts.fsync,
      });
      spill.onWriteFailure = (docs, error) => {
        this.counters.dropped += docs;
        this.problem({
          severity: 'error',
          code: 'spill_write_failed',
          message: `disk buffer write failed: ${error.message}`,
          count: docs,
          error,
        });
      };
      return spill;
    } catch (err) {
      this.problem({
        severity: 'warning',
        code: 'spill_write_failed',
        message: `disk buffer unavailable in ${opts.spillDir} (${(err as Error).message}); memory only`,
      });
      return undefined;
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
    if (this.spill && (this.spill.hasData || this.scheduler.isLoading)) {
      this.toDisk(this.spill, e);
    } else if (this.queue.fits(e.bytes)) {
      this.queue.push(e);
    } else if (this.spill) {
      this.toDisk(this.spill, e);
    } else {
      // memory only: make room by dropping the oldest, as documented
      this.queue.push(e);
      const dropped = this.queue.dropOldest();
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
    this.scheduler.schedule();
  }

  private toDisk(spill: SpillStore, e: Entry): void {
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
    let savedToDisk = 0;
    let unsent = 0;
    if (!complete) {
      const left = this.queue.takeLeftovers();
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
    this.scheduler.stop();
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
      queued: this.queue.docs,
      inFlight: this.queue.inFlightDocs,
      ...this.counters,
      spilledBytes: this.spill?.bytes ?? 0,
      spilledDocs: this.spill?.docs ?? 0,
      lastError: this.lastError,
      lastSuccessAt: this.results.lastSuccessAt,
    };
  }
}
