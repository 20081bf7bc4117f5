import { createHash } from 'node:crypto';
import { ECS_VERSION } from '../contract/document-fields.js';
import { LABEL_LIMITS } from '../contract/limits.js';
import { STREAMS } from '../contract/streams.js';

/** What an application logs when the ground truth of a prediction is known (README, "Labels and realized performance"). */
export interface LabelLog {
  /** the prediction id given to `logPrediction` (`mlmon.prediction_id`) */
  id: string;
  /** the true value: a class (string, number or boolean) or a number (regression) */
  label: string | number | boolean;
  model?: string;
  version?: string;
  /** when the label became known; default: now */
  timestamp?: Date | string | number;
}

const DATASET = STREAMS.labels.dataset;

export interface LabelDocument {
  '@timestamp': string;
  message: string;
  ecs: { version: string };
  event: { kind: 'event'; dataset: string };
  data_stream: { type: 'logs'; dataset: string; namespace: string };
  mlmon: {
    model: { name: string; version?: string };
    prediction_id: string;
    label: { num?: number; cat?: string; bool?: boolean; logged_at: string };
  };
}

/** Why a label is not logged: the transport counts it and says so, never throws. */
export type LabelRefusal = 'missing_id' | 'unsupported_label' | 'invalid_timestamp';

function text(v: unknown, max = 256): string | undefined {
  if (typeof v === 'string' && v.length > 0) return v.length > max ? v.slice(0, max) : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function labelValue(v: unknown): LabelDocument['mlmon']['label'] | undefined {
  const at = '';
  if (typeof v === 'number')
    return Number.isFinite(v) ? { num: v, cat: String(v), logged_at: at } : undefined;
  // a Parquet INT64 column reads as a bigint
  if (typeof v === 'bigint') return labelValue(Number(v));
  if (typeof v === 'boolean') return { bool: v, cat: String(v), logged_at: at };
  if (typeof v === 'string' && v.length > 0) {
    const cat = v.length > LABEL_LIMITS.maxLabelLength ? v.slice(0, LABEL_LIMITS.maxLabelLength) : v;
    // a number written as text (a CSV cell) is also a number, for a regression; the text stays the class
    return DECIMAL.test(v) ? { num: Number(v), cat, logged_at: at } : { cat, logged_at: at };
  }
  return undefined;
}

function timeOf(t: LabelLog['timestamp'], now: number): string | undefined {
  if (t === undefined) return new Date(now).toISOString();
  const d = t instanceof Date ? t : typeof t === 'number' || typeof t === 'string' ? new Date(t) : undefined;
  const ms = d?.getTime() ?? Number.NaN;
  if (!d || Number.isNaN(ms) || ms < -62_167_219_200_000 || ms > 253_402_300_799_999) return undefined;
  return d.toISOString();
}

/**
 * The document `_id`: the same label of the same prediction at the same time is one document (sent
 * twice, retried, replayed from disk: the cluster answers 409, counted as stored). A different label
 * or time is another document; the job keeps the latest per prediction.
 */
export function labelDocumentId(doc: LabelDocument): string {
  const { num, cat, bool } = doc.mlmon.label;
  const value = JSON.stringify([num ?? null, cat ?? null, bool ?? null]);
  return createHash('sha256')
    .update([doc.mlmon.model.name, doc.mlmon.prediction_id, value, doc['@timestamp']].join('\u0000'))
    .digest('hex');
}

/** The stored label document, or why there is none. Never throws for any input. */
export function toLabelDocument(
  l: unknown,
  opts: { namespace: string; defaults: { model?: string; version?: string }; now: number },
): LabelDocument | LabelRefusal {
  const log = (typeof l === 'object' && l !== null ? l : {}) as Partial<LabelLog>;
  const id = text(log.id);
  if (id === undefined) return 'missing_id';
  const label = labelValue(log.label);
  if (!label) return 'unsupported_label';
  const timestamp = timeOf(log.timestamp, opts.now);
  if (!timestamp) return 'invalid_timestamp';
  label.logged_at = new Date(opts.now).toISOString();
  const model = text(log.model) ?? opts.defaults.model ?? 'unknown';
  const version = text(log.version) ?? opts.defaults.version;
  return {
    '@timestamp': timestamp,
    message: `label ${model}`,
    ecs: { version: ECS_VERSION },
    event: { kind: 'event', dataset: DATASET },
    data_stream: { type: 'logs', dataset: DATASET, namespace: opts.namespace },
    mlmon: { model: version ? { name: model, version } : { name: model }, prediction_id: id, label },
  };
}
