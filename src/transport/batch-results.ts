import type { RetryBackoff } from './backoff.js';
import type { BulkRequestError, ItemResult } from './bulk.js';
import { deadLetterEntry, malformedLineEntry } from './dead-letter.js';
import type { Entry } from './entry.js';
import type { EntryQueue } from './entry-queue.js';
import { classifyItem, type RequestOutcome } from './item-outcome.js';
import type { ResolvedTransportOptions } from './options.js';
import type { MalformedLine, SpillStore } from './spill.js';
import type { ShipperCounters, TransportProblem } from './transport-stats.js';

/**
 * A reason fit for an event: Elasticsearch's parse errors end with "Preview of field's value: ..."
 * (the application's data), which stays in the dead letter only.
 */
export function withoutValues(reason: string | undefined): string {
  if (!reason) return '';
  const at = reason.indexOf("Preview of field's value");
  return at < 0 ? reason : reason.slice(0, at).trimEnd();
}

function itemFields(item: ItemResult): { status: number; errorType?: string; reason: string } {
  const out: { status: number; errorType?: string; reason: string } = {
    status: item.status,
    reason: withoutValues(item.reason),
  };
  if (item.errorType) out.errorType = item.errorType;
  return out;
}

/**
 * Carries out the decisions of item-outcome.ts for one answered batch: counts, reports, puts what
 * is kept back in the queue, turns rejections into dead letters, and releases disk segments.
 */
export class BatchResults {
  lastSuccessAt: string | undefined;

  constructor(
    private readonly opts: ResolvedTransportOptions,
    private readonly queue: EntryQueue,
    private readonly backoff: RetryBackoff,
    private readonly counters: ShipperCounters,
    private readonly spill: SpillStore | undefined,
    private readonly problem: (p: TransportProblem) => void,
    /** keeps entries to send again: in memory, or on disk while the cluster is not answering (shipper.ts) */
    private readonly keep: (entries: Entry[]) => void,
  ) {}

  /** Lines of a replayed segment that cannot be read: each a dead letter of its own. */
  onMalformed(lines: MalformedLine[]): void {
    const reasons = [...new Set(lines.map((m) => m.reason))].join('; ');
    this.problem({
      severity: 'warning',
      code: 'spill_malformed_line',
      message: `${lines.length} disk-buffer line(s) could not be read back (${reasons}); sent to ${this.opts.deadLetterIndex}`,
      count: lines.length,
    });
    for (const m of lines) this.queue.pushRetry(malformedLineEntry(m, this.opts));
  }

  /** The request got no item answers (413 halving is the scheduler's: it is about batch size). */
  onRequestFailure(
    batch: Entry[],
    error: BulkRequestError,
    outcome: Exclude<RequestOutcome, { kind: 'halve' }>,
  ): void {
    if (outcome.kind === 'reject') {
      for (const e of batch) {
        const item = { status: error.status ?? 0, errorType: 'request_rejected', reason: error.message };
        if (e.index === this.opts.deadLetterIndex) this.giveUp(e, item);
        else this.toDeadLetter(e, item);
      }
      return;
    }
    // kept first, reported after: a listener that reads stats() sees every document counted
    const first = !this.backoff.failing;
    this.backoff.fail();
    this.retry(batch);
    if (first) {
      const auth = outcome.kind === 'auth_keep';
      const what = !auth
        ? 'the cluster is unavailable'
        : outcome.status === 401
          ? 'the cluster refused our credentials (401)'
          : `not allowed to write (403: a privilege such as create_doc on ${this.opts.dataStream} is missing)`;
      this.problem({
        severity: auth ? 'error' : 'warning',
        code: auth ? 'auth_failed' : 'cluster_unavailable',
        message: `${what}: ${withoutValues(error.reason)}; keeping the documents and retrying with backoff`,
        ...(error.status !== undefined ? { status: error.status } : {}),
        errorType: error.errorType,
        reason: withoutValues(error.reason),
      });
    }
  }

  onItems(batch: Entry[], items: ItemResult[]): void {
    const again: Entry[] = [];
    let throttled = false;
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i] as Entry;
      const item = items[i] as ItemResult;
      const outcome = classifyItem(item, {
        attempts: e.attempts,
        maxItemRetries: this.opts.maxItemRetries,
        isDeadLetter: e.index === this.opts.deadLetterIndex,
      });
      switch (outcome.kind) {
        case 'stored':
        case 'conflict':
          this.counters[outcome.counter]++;
          this.settle(e);
          break;
        case 'failure_store':
          this.counters.deadLettered++;
          this.problem({
            severity: 'warning',
            code: 'dead_lettered',
            message: `document ${e.id} went to the failure store`,
            count: 1,
          });
          this.settle(e);
          break;
        case 'retry':
          throttled ||= outcome.throttle;
          if (outcome.countsAttempt) e.attempts++;
          again.push(e);
          break;
        case 'auth_keep':
          throttled = true;
          if (!this.backoff.failing) {
            this.problem({
              severity: 'error',
              code: 'auth_failed',
              message: `not allowed to write to ${e.index} (${item.status} ${item.errorType ?? ''}: ${withoutValues(item.reason)}); keeping the documents and retrying`,
              ...itemFields(item),
            });
          }
          again.push(e);
          break;
        case 'dead_letter':
          this.toDeadLetter(e, item);
          break;
        case 'failed':
          this.giveUp(e, item);
          break;
      }
    }
    if (again.length) {
      this.retry(again);
      if (throttled) this.backoff.fail();
    }
    if (again.length < batch.length) {
      this.lastSuccessAt = new Date().toISOString();
      if (!throttled && this.backoff.failing) {
        this.backoff.reset();
        this.problem({
          severity: 'warning',
          code: 'cluster_available',
          message: 'the cluster accepts documents again',
        });
      }
    }
  }

  private retry(entries: Entry[]): void {
    this.counters.retried += entries.length;
    this.keep(entries);
  }

  /** A rejected dead letter: nowhere else to go. */
  private giveUp(e: Entry, item: ItemResult): void {
    this.counters.failed++;
    this.problem({
      severity: 'error',
      code: 'failed',
      message: `dead letter ${e.id} could not be stored either (${item.status} ${item.errorType ?? ''}: ${withoutValues(item.reason)})`,
      count: 1,
      ...itemFields(item),
    });
    this.settle(e);
  }

  /** A rejected document goes to the dead-letter stream, after the retries already waiting. */
  private toDeadLetter(e: Entry, item: ItemResult): void {
    this.problem({
      severity: 'warning',
      code: 'dead_lettered',
      message: `document ${e.id} rejected (${item.status} ${item.errorType ?? ''}: ${withoutValues(item.reason)}); sent to ${this.opts.deadLetterIndex}`,
      count: 1,
      ...itemFields(item),
    });
    this.queue.pushRetry(deadLetterEntry(e, item, this.opts));
  }

  private settle(e: Entry): void {
    if (e.segment) this.spill?.settleEntry(e.segment);
  }
}
