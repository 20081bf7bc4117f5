import { v7 as uuidv7 } from 'uuid';
import { STREAMS } from '../contract/streams.js';
import type { ItemResult } from './bulk.js';
import { type Entry, entryBytes } from './entry.js';
import type { ResolvedTransportOptions } from './options.js';
import type { MalformedLine } from './spill.js';

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

/**
 * A disk-buffer line that cannot be read back (torn by a crash, corrupted, planted, an id
 * Elasticsearch would refuse): a dead letter of its own, with a new id, so its neighbours are
 * delivered and the line is kept for a person to look at.
 */
export function malformedLineEntry(m: MalformedLine, opts: ResolvedTransportOptions): Entry {
  const doc = {
    '@timestamp': new Date().toISOString(),
    message: 'a disk-buffer line could not be read back',
    event: { kind: 'pipeline_error', dataset: DEAD_LETTER_DATASET },
    data_stream: { type: 'logs', dataset: DEAD_LETTER_DATASET, namespace: opts.namespace },
    error: { type: 'malformed_spill_line', message: m.reason },
    mlmon: { dead_letter: { status: 0, target: opts.dataStream, original: m.line } },
  };
  const line = JSON.stringify(doc);
  return {
    id: `${uuidv7()}-dl`,
    index: opts.deadLetterIndex,
    line,
    bytes: entryBytes(line),
    attempts: 0,
    segment: m.segment,
  };
}
