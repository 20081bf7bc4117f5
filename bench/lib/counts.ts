/** What reached the cluster: document counts, and lost or duplicated payloads by sequence number. */
import type { Client } from '@elastic/elasticsearch';

export async function countDocs(client: Client, index: string): Promise<number> {
  try {
    const res = await client.count({ index, ignore_unavailable: true, allow_no_indices: true });
    return res.count;
  } catch {
    return -1; // the node is unreachable right now; callers poll again
  }
}

/**
 * Polls until `n` documents are searchable (no forced refresh: the index refreshes on its own, as it
 * would for the application), or the timeout. Returns the last count and when `n` was reached.
 */
export async function waitForCount(
  client: Client,
  index: string,
  n: number,
  timeoutMs: number,
  pollMs = 200,
): Promise<{ count: number; reachedAt?: number }> {
  const deadline = Date.now() + timeoutMs;
  let count = -1;
  for (;;) {
    count = await countDocs(client, index);
    if (count >= n) return { count, reachedAt: performance.now() };
    if (Date.now() >= deadline) return { count };
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export interface Delivery {
  expected: number;
  stored: number;
  distinct: number;
  lost: number;
  duplicated: number;
}

/** Exact counts over every sequence number stored (composite aggregation, paged). */
export async function delivery(
  client: Client,
  index: string,
  seqField: string,
  expected: number,
): Promise<Delivery> {
  await client.indices.refresh({ index, ignore_unavailable: true, allow_no_indices: true });
  let stored = 0;
  let distinct = 0;
  let after: Record<string, string | number | null> | undefined;
  for (;;) {
    const res = await client.search({
      index,
      size: 0,
      ignore_unavailable: true,
      allow_no_indices: true,
      aggs: {
        seqs: {
          composite: {
            size: 10_000,
            sources: [{ seq: { terms: { field: seqField } } }],
            ...(after ? { after } : {}),
          },
        },
      },
    });
    const agg = res.aggregations?.seqs as
      | { buckets: { doc_count: number }[]; after_key?: Record<string, string | number | null> }
      | undefined;
    const buckets = agg?.buckets ?? [];
    for (const b of buckets) {
      distinct += 1;
      stored += b.doc_count;
    }
    if (buckets.length === 0 || !agg?.after_key) break;
    after = agg.after_key;
  }
  return { expected, stored, distinct, lost: expected - distinct, duplicated: stored - distinct };
}
