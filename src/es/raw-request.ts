import type { Client } from '@elastic/elasticsearch';

/** A status-preserving HTTP call; capability probes need the status of failed requests too. */
export type RawRequest = (
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ status: number; body: unknown }>;

export function requestViaClient(client: Client): RawRequest {
  return async (method, path, body) => {
    const res = await client.transport.request(
      { method, path, ...(body === undefined ? {} : { body: body as Record<string, unknown> }) },
      { meta: true, ignore: [400, 401, 403, 404, 405, 500, 501] },
    );
    return { status: res.statusCode ?? 0, body: res.body };
  };
}

/**
 * Plain fetch, for engines the official client refuses (its product check rejects OpenSearch,
 * which runs the ingest-pipeline tests; README, "What the test node can do").
 */
export function requestViaFetch(baseUrl: string, headers: Record<string, string> = {}): RawRequest {
  return async (method, path, body) => {
    const res = await fetch(new URL(path, baseUrl), {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (e.g. "no handler found" on some versions): keep the text
    }
    return { status: res.status, body: parsed };
  };
}
