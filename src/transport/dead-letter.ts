import { STREAMS } from '../contract/streams.js';
import type { ItemResult } from './bulk.js';
import { type Entry, entryBytes } from './entry.js';
import type { ResolvedTransportOptions } from './options.js';

const DEAD_LETTER_DATASET = STREAMS['dead-letters'].dataset;

/**
 * A rejected document becomes a dead letter: the original JSON, byte for byte, with the reason, in
 * `logs-mlmon.dead_letters-<namespace>` (template: assets/elasticsearch/index-templates/mlmon-dead-letters.json).
 * Clusters with a failure store on the predictions stream keep rejected documents there instead,
 * and answer 2xx; the transport counts those as dead-lettered too.
 */
export function deadLetterEntry(original: Entry, item: ItemResult, opts: ResolvedTransportOptions): Entry {
  const doc = {
    '@timestamp': new Date().toISOString(),
    message: `document ${original.id} rejected by ${original.index}`,
    event: { kind: 'pipeline_error', dataset: DEAD_LETTER_DATASET },
    data_stream: { type: 'logs', dataset: DEAD_LETTER_DATASET, namespace: opts.namespace },
    error: { type: item.errorType ?? `http_${item.status}`, message: item.reason ?? '' },
    mlmon: {
      dead_letter: {
        status: item.status,
        target: original.index,
        document_id: original.id,
        original: original.line,
      },
    },
  };
  const line = JSON.stringify(doc);
  const out: Entry = {
    id: `${original.id}-dl`,
    index: opts.deadLetterIndex,
    line,
    bytes: entryBytes(line),
    attempts: 0,
  };
  // the disk segment it came from stays until the dead letter is stored
  if (original.segment) out.segment = original.segment;
  return out;
}
