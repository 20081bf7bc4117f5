import { Gauge, type Registry } from 'prom-client';
import type { PromRegistryLike } from './options.js';
import type { TransportStats } from './transport-stats.js';

const COUNTERS: [keyof TransportStats, string][] = [
  ['logged', 'predictions taken (not sampled out, not ignored)'],
  ['adopted', 'documents found in the disk buffer from earlier runs'],
  ['indexed', 'documents stored'],
  ['retried', 'documents sent again after a retryable failure'],
  ['failed', 'documents neither stored nor dead-lettered'],
  ['deadLettered', 'documents stored in the dead-letter destination'],
  ['dropped', 'documents given up on (overflow, disk limit, disk write failure)'],
  ['sampledOut', 'predictions left out by sampling'],
];
const GAUGES: [keyof TransportStats, string][] = [
  ['queued', 'documents waiting in memory'],
  ['inFlight', 'documents in requests under way'],
  ['spilledBytes', 'bytes in the disk buffer'],
  ['spilledDocs', 'documents in the disk buffer'],
];

function snake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * Registers the transport's figures in the user's prom-client registry. Values are read from
 * `stats()` at scrape time, so logging pays nothing for them. Totals are exposed as gauges of
 * monotonic counts (`_total`), since prom-client counters cannot be set from a snapshot.
 */
export function registerTransportMetrics(
  registry: PromRegistryLike,
  stats: () => TransportStats,
  labels: { data_stream: string },
  prefix = 'mlmon_transport_',
): void {
  const reg = registry as unknown as Registry;
  for (const [key, help] of [...COUNTERS, ...GAUGES]) {
    const isTotal = COUNTERS.some(([k]) => k === key);
    new Gauge({
      name: `${prefix}${snake(key)}${isTotal ? '_total' : ''}`,
      help,
      labelNames: ['data_stream'],
      registers: [reg],
      collect() {
        this.set(labels, stats()[key] as number);
      },
    });
  }
}
