import type { FeatureKind } from './features.js';
import { KIND_FIELD } from './features.js';

/**
 * The prediction document's fields the job, the pipelines and the dashboards read (the mappings are
 * in the predictions component template). One place, so a renamed field is renamed everywhere.
 */
export const ECS_VERSION = '8.17.0';

export const FIELDS = {
  timestamp: '@timestamp',
  model: 'mlmon.model.name',
  version: 'mlmon.model.version',
  predictionId: 'mlmon.prediction_id',
  latencyMs: 'mlmon.latency_ms',
  na: 'mlmon.na',
  flags: 'mlmon.flags',
  baselineId: 'mlmon.baseline_id',
  /** Elasticsearch's metadata field: the fields of a document it kept in _source but did not index */
  ignored: '_ignored',
} as const;

/** A feature's field for its kind: `mlmon.features.num.age`. */
export function featureField(kind: FeatureKind, name: string): string {
  return `mlmon.features.${KIND_FIELD[kind]}.${name}`;
}

/** The prediction's field for its kind: `mlmon.prediction.num`. */
export function predictionField(kind: FeatureKind): string {
  return `mlmon.prediction.${KIND_FIELD[kind]}`;
}

/** Fields derived at log time (or in the ingest pipeline) from a text feature. */
export const derivedField = {
  tokens: (name: string) => `mlmon.derived.tokens.${name}`,
  oov: (name: string) => `mlmon.derived.oov.${name}`,
  oovWords: (name: string) => `mlmon.derived.oov_words.${name}`,
};

/**
 * The label document's fields (`logs-mlmon.labels-<ns>`): one document per label sent, the latest
 * per model and prediction id wins when the job joins them (README, "Labels and realized performance").
 */
export const LABEL_FIELDS = {
  /** when the label became known (the caller's `timestamp`, else when it was logged) */
  timestamp: '@timestamp',
  model: 'mlmon.model.name',
  version: 'mlmon.model.version',
  predictionId: 'mlmon.prediction_id',
  /** the label: a number fills `num` and `cat` (a class written as a number), a string `cat`, a boolean `bool` and `cat` */
  num: 'mlmon.label.num',
  cat: 'mlmon.label.cat',
  /** when it was handed to the transport: the tie-break between two labels of one time */
  loggedAt: 'mlmon.label.logged_at',
} as const;
