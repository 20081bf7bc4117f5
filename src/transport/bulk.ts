import { type Client, errors } from '@elastic/elasticsearch';
import type { Entry } from './entry.js';

export interface ItemResult {
  status: number;
  errorType?: string;
  reason?: string;
  /** "used" when the cluster's failure store took the document */
  failureStore?: string;
}

export type BulkOutcome =
  | { kind: 'items'; items: ItemResult[] }
  | { kind: 'failed'; retryable: boolean; status: number | undefined; tooLarge: boolean; error: Error };

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status);
}

/** One `_bulk` request of `create` actions with the pre-serialized documents; never throws. */
export async function sendBulk(
  client: Client,
  entries: readonly Entry[],
  requestTimeoutMs: number,
): Promise<BulkOutcome> {
  let body = '';
  for (const e of entries)
    body += `{"create":{"_index":${JSON.stringify(e.index)},"_id":${JSON.stringify(e.id)}}}\n${e.line}\n`;
  try {
    const res = (await client.transport.request(
      {
        method: 'POST',
        path: '/_bulk',
        querystring: {
          filter_path: 'items.*.status,items.*.error.type,items.*.error.reason,items.*.failure_store',
        },
        bulkBody: body,
      },
      // retries are ours: per item, with backoff
      { requestTimeout: requestTimeoutMs, maxRetries: 0 },
    )) as {
      items?: Record<
        string,
        { status: number; error?: { type?: string; reason?: string }; failure_store?: string }
      >[];
    };
    const items = (res.items ?? []).map((wrapped): ItemResult => {
      const item = Object.values(wrapped)[0] ?? { status: 0 };
      const out: ItemResult = { status: item.status };
      if (item.error?.type) out.errorType = item.error.type;
      if (item.error?.reason) out.reason = item.error.reason;
      if (item.failure_store) out.failureStore = item.failure_store;
      return out;
    });
    if (items.length !== entries.length) {
      return {
        kind: 'failed',
        retryable: true,
        status: undefined,
        tooLarge: false,
        error: new Error(`bulk response had ${items.length} items for ${entries.length} documents`),
      };
    }
    return { kind: 'items', items };
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    if (err instanceof errors.ResponseError) {
      const status = err.meta.statusCode ?? 0;
      return {
        kind: 'failed',
        // 401/403 are kept and retried too: credentials get fixed, documents must not be lost meanwhile
        retryable: isRetryableStatus(status) || status === 401 || status === 403 || status >= 500,
        status,
        tooLarge: status === 413,
        error,
      };
    }
    // connection refused or reset, timeouts, DNS, TLS, product check: all worth retrying
    return { kind: 'failed', retryable: true, status: undefined, tooLarge: false, error };
  }
}
