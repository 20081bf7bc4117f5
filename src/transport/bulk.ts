import { type Client, errors } from '@elastic/elasticsearch';
import type { Entry } from './entry.js';

export interface ItemResult {
  status: number;
  errorType?: string;
  reason?: string;
  /** "used" when the cluster's failure store took the document */
  failureStore?: string;
}

/**
 * A `_bulk` request that got no per-item answer. `status` is the HTTP status when the cluster
 * answered (0 if it gave none), undefined when it did not answer at all (connection refused or
 * reset, timeout, DNS, TLS, product check) or answered with the wrong number of items.
 */
export class BulkRequestError extends Error {
  override readonly name = 'BulkRequestError';

  constructor(
    message: string,
    readonly status: number | undefined,
    /** the server's own reason when there is one ("action [indices:data/write/bulk] is unauthorized ..."), else the message */
    readonly reason: string,
    /** the server's error type (`security_exception`), else the client error's name (`ConnectionError`) */
    readonly errorType: string,
    /** what the client threw: its `meta` holds the request body, so it is never put in an event */
    override readonly cause: Error,
  ) {
    super(message);
  }
}

export type BulkOutcome =
  | { kind: 'items'; items: ItemResult[] }
  | { kind: 'failed'; error: BulkRequestError };

/** The server's own error, from any client error that carries the response body. */
function serverError(error: Error): { type?: string; reason?: string } | undefined {
  const body = (error as { meta?: { body?: { error?: { type?: string; reason?: string } } } }).meta?.body;
  return typeof body === 'object' && body !== null ? body.error : undefined;
}

/** What the client threw, as the typed error the shipper decides on. */
export function toBulkRequestError(err: unknown): BulkRequestError {
  const error = err instanceof Error ? err : new Error(String(err));
  const server = serverError(error);
  const reason = server?.reason ?? error.message;
  const errorType = server?.type ?? error.name;
  // only a ResponseError is an answer from the cluster; the others never reached it
  const status = err instanceof errors.ResponseError ? (err.meta.statusCode ?? 0) : undefined;
  return new BulkRequestError(error.message, status, reason, errorType, error);
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
      const error = new Error(`bulk response had ${items.length} items for ${entries.length} documents`);
      return {
        kind: 'failed',
        error: new BulkRequestError(error.message, undefined, error.message, 'bad_bulk_response', error),
      };
    }
    return { kind: 'items', items };
  } catch (err) {
    return { kind: 'failed', error: toBulkRequestError(err) };
  }
}
