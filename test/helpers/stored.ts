import type { Client } from '@elastic/elasticsearch';

/** How many documents a data stream holds, and which prediction ids occur more than once. */
export async function storedSummary(
  client: Client,
  index: string,
): Promise<{ total: number; duplicates: string[] }> {
  await client.indices.refresh({ index, ignore_unavailable: true });
  const res = await client.search({
    index,
    size: 0,
    track_total_hits: true,
    ignore_unavailable: true,
    aggs: { dup: { terms: { field: 'mlmon.prediction_id', min_doc_count: 2, size: 100 } } },
  });
  const total = typeof res.hits.total === 'number' ? res.hits.total : (res.hits.total?.value ?? 0);
  const buckets = (res.aggregations?.dup as { buckets?: { key: string }[] } | undefined)?.buckets ?? [];
  return { total, duplicates: buckets.map((b) => b.key) };
}

/** Waits until `check` holds, polling; fails with `what` after `timeoutMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for: ${what}`);
}
