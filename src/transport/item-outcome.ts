/**
 * What the shipper does with each answer of the cluster, as pure decisions: no I/O, no state, so
 * every status family is tested without a cluster (test/unit/transport-item-outcome.test.ts).
 */

/** Throttled or briefly unavailable: sent again after a backoff, as many times as it takes. */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status);
}

export interface ItemAttempt {
  /** item-level retries after HTTP 500 so far */
  attempts: number;
  maxItemRetries: number;
  /** the document is itself a dead letter: a rejection leaves nowhere else to go */
  isDeadLetter: boolean;
}

export type ItemOutcome =
  /** 2xx: stored; a stored dead letter counts as dead-lettered */
  | { readonly kind: 'stored'; readonly counter: 'indexed' | 'deadLettered' }
  /** 2xx into the cluster's failure store: counts as dead-lettered */
  | { readonly kind: 'failure_store' }
  /** 409: `create` with our id, so it arrived in an earlier attempt; counted once, as stored */
  | { readonly kind: 'conflict'; readonly counter: 'indexed' | 'deadLettered' }
  /**
   * Sent again. `throttle`: the cluster asked us to slow down (429), so back off. `countsAttempt`:
   * a 5xx that is not an outage, retried only `maxItemRetries` times.
   */
  | { readonly kind: 'retry'; readonly throttle: boolean; readonly countsAttempt: boolean }
  /** 401/403: not allowed to write here; kept (and backed off) until someone fixes the role or key */
  | { readonly kind: 'auth_keep' }
  /** rejected for a reason retrying cannot fix (mapping, 400, 5xx past the limit): becomes a dead letter */
  | { readonly kind: 'dead_letter' }
  /** a dead letter rejected in its turn: given up on */
  | { readonly kind: 'failed' };

// shared answers: classifying a batch allocates nothing per item
const STORED: ItemOutcome = { kind: 'stored', counter: 'indexed' };
const STORED_DEAD_LETTER: ItemOutcome = { kind: 'stored', counter: 'deadLettered' };
const FAILURE_STORE: ItemOutcome = { kind: 'failure_store' };
const CONFLICT: ItemOutcome = { kind: 'conflict', counter: 'indexed' };
const CONFLICT_DEAD_LETTER: ItemOutcome = { kind: 'conflict', counter: 'deadLettered' };
const THROTTLED: ItemOutcome = { kind: 'retry', throttle: true, countsAttempt: false };
const UNAVAILABLE: ItemOutcome = { kind: 'retry', throttle: false, countsAttempt: false };
const SERVER_ERROR: ItemOutcome = { kind: 'retry', throttle: false, countsAttempt: true };
const AUTH_KEEP: ItemOutcome = { kind: 'auth_keep' };
const DEAD_LETTER: ItemOutcome = { kind: 'dead_letter' };
const FAILED: ItemOutcome = { kind: 'failed' };

/** One item of a `_bulk` answer: checked in this order, the first family that matches decides. */
export function classifyItem(item: { status: number; failureStore?: string }, at: ItemAttempt): ItemOutcome {
  const s = item.status;
  if (s >= 200 && s < 300) {
    if (item.failureStore === 'used') return FAILURE_STORE;
    return at.isDeadLetter ? STORED_DEAD_LETTER : STORED;
  }
  if (s === 409) return at.isDeadLetter ? CONFLICT_DEAD_LETTER : CONFLICT;
  if (isRetryableStatus(s)) return s === 429 ? THROTTLED : UNAVAILABLE;
  if (s === 401 || s === 403) return AUTH_KEEP;
  if (s >= 500 && at.attempts < at.maxItemRetries) return SERVER_ERROR;
  return at.isDeadLetter ? FAILED : DEAD_LETTER;
}

export type RequestOutcome =
  /** 413: the cluster's http.max_content_length is smaller than our batch; send halves from now on */
  | { readonly kind: 'halve'; readonly batchSize: number }
  /** not answered, or 429/5xx: the cluster is unavailable; kept and retried with backoff */
  | { readonly kind: 'unavailable' }
  /** 401/403: credentials or privileges; kept and retried: they get fixed, documents must not be lost meanwhile */
  | { readonly kind: 'auth_keep'; readonly status: 401 | 403 }
  /** refused as a whole for a reason retrying cannot fix: every document becomes a dead letter */
  | { readonly kind: 'reject' };

/**
 * A `_bulk` request without item answers. `status` as in BulkRequestError: undefined when the
 * cluster did not answer, 0 when it answered without a status.
 */
export function classifyRequestFailure(status: number | undefined, batchDocs: number): RequestOutcome {
  if (status === undefined) return { kind: 'unavailable' };
  if (status === 413 && batchDocs > 1)
    return { kind: 'halve', batchSize: Math.max(1, Math.ceil(batchDocs / 2)) };
  if (status === 401 || status === 403) return { kind: 'auth_keep', status };
  if (isRetryableStatus(status) || status >= 500) return { kind: 'unavailable' };
  return { kind: 'reject' };
}
