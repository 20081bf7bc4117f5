import type { Client } from '@elastic/elasticsearch';
import { metricsStream } from '../contract/streams.js';
import { RECENT_WINDOWS } from '../rules/rule-table.js';

/**
 * The documents of the windows before `before` that the job stored (one metric document per feature
 * and window, each holding the window's count), oldest first: the volume_drop rule's history. A
 * namespace without metrics yet has none.
 */
export async function storedRecentDocs(
  client: Client,
  namespace: string,
  model: string,
  version: string | undefined,
  before: Date,
): Promise<number[]> {
  const res = await client.search({
    index: metricsStream(namespace),
    size: 0,
    query: {
      bool: {
        filter: [
          { term: { 'mlmon.model.name': model } },
          { term: { 'mlmon.model.version': version ?? 'all' } },
          { range: { 'mlmon.window.from': { lt: before.toISOString() } } },
        ],
      },
    },
    aggs: {
      windows: {
        terms: { field: 'mlmon.window.from', size: RECENT_WINDOWS, order: { _key: 'desc' } },
        aggs: { docs: { max: { field: 'mlmon.window.docs' } } },
      },
    },
    ignore_unavailable: true,
    allow_no_indices: true,
  });
  const agg = res.aggregations?.windows as { buckets?: { docs: { value: number | null } }[] } | undefined;
  return (agg?.buckets ?? [])
    .map((b) => b.docs.value)
    .filter((v): v is number => typeof v === 'number')
    .reverse();
}
