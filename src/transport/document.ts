import { ECS_VERSION } from '../contract/document-fields.js';
import { FIELD_LIMITS } from '../contract/limits.js';
import { predictionsStream, STREAMS } from '../contract/streams.js';
import { tokenize } from '../contract/tokenizer.js';
import type { BaselineContext } from './baseline-cache.js';
import type { PredictionLog } from './prediction.js';
import {
  type SanitizedPrediction,
  type SanitizeOptions,
  sanitizeFeatures,
  sanitizePrediction,
  type TypedFeatures,
} from './sanitize.js';

const DATASET = STREAMS.predictions.dataset;

export interface PredictionDocument {
  '@timestamp': string;
  message: string;
  log: { level: string };
  ecs: { version: string };
  event: { kind: 'event'; dataset: string };
  data_stream: { type: 'logs'; dataset: string; namespace: string };
  service?: { name: string };
  trace?: { id: string };
  mlmon: {
    model: { name: string; version: string };
    prediction_id: string;
    features: TypedFeatures;
    prediction?: SanitizedPrediction;
    latency_ms?: number;
    /** features missing in this prediction (null, undefined, NaN, invalid, or "" by option) */
    na?: string[];
    /** every change made to the input, e.g. `truncated:comment`, `non_finite:age` */
    flags?: string[];
    /** the sampling rate this document was kept at; counts divide by it */
    sample_rate?: number;
    /** `model@version` of the training baseline the derived fields were computed against */
    baseline_id?: string;
    /** computed at log time against the baseline (README, "Derived fields") */
    derived?: {
      tokens?: Record<string, number>;
      oov?: Record<string, number>;
      oov_words?: Record<string, string[]>;
    };
  };
}

/** At most this many distinct out-of-vocabulary words are kept per text feature and document. */
const MAX_OOV_WORDS = FIELD_LIMITS.maxOovWords;

export interface DocumentOptions {
  id: string;
  namespace: string;
  level?: string;
  sampleRate?: number;
  sanitize: SanitizeOptions;
  defaults: { model?: string; version?: string; service?: string };
  /** resolves the baseline of a model and version, if one is loaded */
  baseline?: (model: string, version: string) => BaselineContext | undefined;
}

function timestampOf(t: PredictionLog['timestamp'], flags: string[]): string {
  if (t === undefined) return new Date().toISOString();
  const d = t instanceof Date ? t : typeof t === 'number' || typeof t === 'string' ? new Date(t) : undefined;
  const ms = d?.getTime() ?? Number.NaN;
  // four-digit years only, as Elasticsearch's default date format
  if (!d || Number.isNaN(ms) || ms < -62_167_219_200_000 || ms > 253_402_300_799_999) {
    flags.push('invalid_timestamp');
    return new Date().toISOString();
  }
  return d.toISOString();
}

function shortString(v: unknown, fallback: string, max = 256): string {
  if (typeof v === 'string' && v.length > 0) return v.length > max ? v.slice(0, max) : v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return fallback;
}

/** The model and version a prediction is stored under (the defaults where it names none). */
export function modelVersionOf(
  p: PredictionLog,
  defaults: DocumentOptions['defaults'],
): { model: string; version: string } {
  return {
    model: shortString(p.model, defaults.model ?? 'unknown'),
    version: shortString(p.version, defaults.version ?? 'unknown'),
  };
}

/** Builds the stored document. Never throws for any input (see test/unit/sanitize.property.test.ts). */
export function toDocument(p: PredictionLog, opts: DocumentOptions): PredictionDocument {
  const { model, version } = modelVersionOf(p, opts.defaults);
  const context = opts.baseline?.(model, version);
  const { features, na, flags } = sanitizeFeatures(p.features, context?.sanitize ?? opts.sanitize);
  const doc: PredictionDocument = {
    '@timestamp': timestampOf(p.timestamp, flags),
    message: `prediction ${model}@${version}`,
    log: { level: opts.level ?? 'info' },
    ecs: { version: ECS_VERSION },
    event: { kind: 'event', dataset: DATASET },
    data_stream: { type: 'logs', dataset: DATASET, namespace: opts.namespace },
    mlmon: { model: { name: model, version }, prediction_id: shortString(p.id, opts.id), features },
  };
  const prediction = sanitizePrediction(p.prediction, opts.sanitize.maxStringLength, flags);
  if (prediction) doc.mlmon.prediction = prediction;
  if (typeof p.latencyMs === 'number' && Number.isFinite(p.latencyMs)) doc.mlmon.latency_ms = p.latencyMs;
  else if (p.latencyMs !== undefined) flags.push('invalid_latency');
  const ctx = typeof p.context === 'object' && p.context !== null ? p.context : undefined;
  const service = ctx?.service ?? opts.defaults.service;
  if (typeof service === 'string' && service) doc.service = { name: shortString(service, 'unknown') };
  if (typeof ctx?.traceId === 'string' && ctx.traceId) doc.trace = { id: shortString(ctx.traceId, '') };
  if (context) derive(doc, context, na);
  if (na.length) doc.mlmon.na = na;
  if (flags.length) doc.mlmon.flags = flags;
  if (opts.sampleRate !== undefined && opts.sampleRate < 1) doc.mlmon.sample_rate = opts.sampleRate;
  return doc;
}

function present(f: TypedFeatures, name: string): boolean {
  // own properties only: "constructor" is `in` every object
  return (
    (f.num !== undefined && Object.hasOwn(f.num, name)) ||
    (f.cat !== undefined && Object.hasOwn(f.cat, name)) ||
    (f.text !== undefined && Object.hasOwn(f.text, name)) ||
    (f.bool !== undefined && Object.hasOwn(f.bool, name)) ||
    (f.date !== undefined && Object.hasOwn(f.date, name))
  );
}

/** Fields that need the baseline: absent features (NA), and token and OOV counts of text features. */
function derive(doc: PredictionDocument, context: BaselineContext, na: string[]): void {
  const m = doc.mlmon;
  m.baseline_id = context.id;
  for (const name of context.features) if (!present(m.features, name) && !na.includes(name)) na.push(name);
  const texts = m.features.text;
  if (!texts) return;
  const tokensBy: Record<string, number> = {};
  const oovBy: Record<string, number> = {};
  const wordsBy: Record<string, string[]> = {};
  let any = false;
  for (const [name, value] of Object.entries(texts)) {
    const vocab = context.vocabularies.get(name);
    if (!vocab) continue;
    const tokens = tokenize(value);
    let oov = 0;
    const words = new Set<string>();
    for (const t of tokens) {
      if (vocab.has(t)) continue;
      oov++;
      if (words.size < MAX_OOV_WORDS) words.add(t);
    }
    any = true;
    tokensBy[name] = tokens.length;
    oovBy[name] = oov;
    if (words.size) wordsBy[name] = [...words];
  }
  if (!any) return;
  m.derived = { tokens: tokensBy, oov: oovBy };
  if (Object.keys(wordsBy).length) m.derived.oov_words = wordsBy;
}

export function dataStreamName(namespace: string): string {
  return predictionsStream(namespace);
}
