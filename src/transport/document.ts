import type { PredictionLog } from './prediction.js';

export const ECS_VERSION = '8.17.0';
export const DATASET = 'mlmon.predictions';

/** Feature values by type: each type has its own object so one name may carry different types in two models. */
export interface TypedValues {
  num?: Record<string, number | null>;
  cat?: Record<string, string>;
  bool?: Record<string, boolean>;
}

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
    features: TypedValues;
    prediction?: { num?: number | null; cat?: string; bool?: boolean };
    latency_ms?: number;
  };
}

function typed(features: Record<string, unknown>): TypedValues {
  const num: Record<string, number | null> = {};
  const cat: Record<string, string> = {};
  const bool: Record<string, boolean> = {};
  for (const [name, value] of Object.entries(features)) {
    if (typeof value === 'number') num[name] = Number.isFinite(value) ? value : null;
    else if (typeof value === 'string') cat[name] = value;
    else if (typeof value === 'boolean') bool[name] = value;
  }
  const out: TypedValues = {};
  if (Object.keys(num).length) out.num = num;
  if (Object.keys(cat).length) out.cat = cat;
  if (Object.keys(bool).length) out.bool = bool;
  return out;
}

function predictionValue(p: unknown): { num?: number | null; cat?: string; bool?: boolean } | undefined {
  if (typeof p === 'number') return { num: Number.isFinite(p) ? p : null };
  if (typeof p === 'string') return { cat: p };
  if (typeof p === 'boolean') return { bool: p };
  return undefined;
}

export function toDocument(
  p: PredictionLog,
  opts: { id: string; namespace: string; level?: string },
): PredictionDocument {
  const model = p.model ?? 'unknown';
  const version = p.version ?? 'unknown';
  const ts = p.timestamp === undefined ? new Date() : new Date(p.timestamp);
  const doc: PredictionDocument = {
    '@timestamp': (Number.isNaN(ts.getTime()) ? new Date() : ts).toISOString(),
    message: `prediction ${model}@${version}`,
    log: { level: opts.level ?? 'info' },
    ecs: { version: ECS_VERSION },
    event: { kind: 'event', dataset: DATASET },
    data_stream: { type: 'logs', dataset: DATASET, namespace: opts.namespace },
    mlmon: { model: { name: model, version }, prediction_id: p.id ?? opts.id, features: typed(p.features) },
  };
  const prediction = predictionValue(p.prediction);
  if (prediction) doc.mlmon.prediction = prediction;
  if (typeof p.latencyMs === 'number' && Number.isFinite(p.latencyMs)) doc.mlmon.latency_ms = p.latencyMs;
  if (p.context?.service) doc.service = { name: p.context.service };
  if (p.context?.traceId) doc.trace = { id: p.context.traceId };
  return doc;
}

export function dataStreamName(namespace: string): string {
  return `logs-${DATASET}-${namespace}`;
}
