import type { Client } from '@elastic/elasticsearch';
import type { RetryBackoff } from './backoff.js';
import type { BatchResults } from './batch-results.js';
import { sendBulk } from './bulk.js';
import type { Entry } from './entry.js';
import type { EntryQueue } from './entry-queue.js';
import { classifyRequestFailure } from './item-outcome.js';
import type { ResolvedTransportOptions } from './options.js';
import type { SpillStore } from './spill.js';
import type { TransportProblem } from './transport-stats.js';

/**
 * Decides when a batch goes out: assembles batches by count, bytes and time, keeps at most
 * `concurrency` requests under way, waits out the backoff, and loads the disk buffer back into
 * memory when there is room. `pump()` is the one step; every event that may change the answer
 * (a new entry, an answer, a timer, a loaded segment) calls it.
 */
export class BatchScheduler {
  /** lowered when the cluster answers 413 */
  private batchSize: number;
  private inFlightRequests = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private flushing = 0;
  private loading: Promise<void> | undefined;
  /** shutting down: nothing waits for a full batch any more */
  private closed = false;
  /** shutdown finished: nothing more is sent, even if a late response re-queues entries */
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly client: Client,
    private readonly opts: ResolvedTransportOptions,
    private readonly queue: EntryQueue,
    private readonly backoff: RetryBackoff,
    private readonly spill: SpillStore | undefined,
    private readonly results: BatchResults,
    private readonly problem: (p: TransportProblem) => void,
  ) {
    this.batchSize = opts.batchSize;
  }

  /** A pump soon (this turn), unless a timer that is already due will do it. */
  schedule(): void {
    if (this.timer && this.timerAt <= Date.now()) return;
    queueMicrotask(() => this.pump());
  }

  /** Entries are being read from disk: new ones go to disk behind them, to keep the order. */
  get isLoading(): boolean {
    return this.loading !== undefined;
  }

  get idle(): boolean {
    return (
      this.queue.docs === 0 && this.inFlightRequests === 0 && !this.loading && !(this.spill?.hasData ?? false)
    );
  }

  /** While flushing, every waiting entry is due. */
  beginFlush(): void {
    this.flushing++;
  }
  endFlush(): void {
    this.flushing--;
  }

  /** Resolves (true) the next time nothing waits, in memory, on disk or in flight. */
  whenIdle(): Promise<boolean> {
    const idle = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true)));
    this.pump();
    return idle;
  }

  /** Shutdown begins: send what is left without waiting for full batches. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Shutdown is over: send nothing more. */
  stop(): void {
    this.stopped = true;
  }

  pump(): void {
    if (this.stopped) return;
    this.maybeLoadFromDisk();
    const now = Date.now();
    if (now < this.backoff.until) {
      if (this.queue.docs > 0) this.setTimer(this.backoff.until);
      this.checkIdle();
      return;
    }
    while (this.inFlightRequests < this.opts.concurrency && this.queue.docs > 0) {
      const due =
        this.flushing > 0 ||
        this.closed ||
        this.queue.hasRetries ||
        this.queue.docs >= this.batchSize ||
        this.queue.bytes >= this.opts.batchBytes ||
        now - this.queue.firstQueuedAt >= this.opts.flushIntervalMs ||
        // replaying the disk buffer: no reason to wait
        (this.spill?.hasData ?? false);
      if (!due) {
        this.setTimer(this.queue.firstQueuedAt + this.opts.flushIntervalMs);
        break;
      }
      void this.send(this.queue.take(this.batchSize, this.opts.batchBytes));
    }
    this.checkIdle();
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
    if (!this.queue.halfEmpty) return;
    const busy = this.queue.docs + this.queue.inFlightDocs > 0;
    // backing off: nothing can be sent yet, and what waits in memory will probe the cluster
    if (busy && Date.now() < this.backoff.until) return;
    // only the open segment has data: let it fill (full batches) while memory still has work
    if (busy && !spill.hasSealed) return;
    this.loading = spill
      .takeOldest(
        (entries, malformed) => {
          for (const e of entries) this.queue.push(e);
          if (malformed.length) this.results.onMalformed(malformed);
        },
        // what the memory bound has room for, counting the writes still waiting for the disk
        () => this.queue.room(spill.pendingBytes),
      )
      .then(() => undefined)
      .catch((err: unknown) => {
        this.problem({
          severity: 'error',
          code: 'spill_read_failed',
          message: `disk buffer read failed: ${(err as Error).message}`,
        });
      })
      .finally(() => {
        this.loading = undefined;
        this.pump();
      });
  }

  private async send(batch: Entry[]): Promise<void> {
    this.inFlightRequests++;
    this.queue.fly(batch);
    const outcome = await sendBulk(this.client, batch, this.opts.requestTimeoutMs);
    this.queue.land(batch);
    this.inFlightRequests--;
    // after shutdown the batch is already counted as saved to disk: the next run settles it (409 if stored)
    if (this.stopped) return;
    if (outcome.kind === 'items') this.results.onItems(batch, outcome.items);
    else {
      const failure = classifyRequestFailure(outcome.error.status, batch.length);
      if (failure.kind === 'halve') {
        // sent again at once in smaller batches: not a retry of a failure
        this.batchSize = failure.batchSize;
        this.queue.requeueFront(batch);
      } else this.results.onRequestFailure(batch, outcome.error, failure);
    }
    this.pump();
  }

  private checkIdle(): void {
    if (!this.idle || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
