import { ConfigError } from './errors.js';

/**
 * Every data stream and index mlmon reads or writes, declared once (as an integration package
 * declares its data streams). Names follow the data stream naming scheme `<type>-<dataset>-<namespace>`.
 */
export const PRODUCT = 'ml-input-monitor';

/** The data streams: their type and dataset. The asset files are named by the key (`mlmon-<key>`). */
export const STREAMS = {
  predictions: { type: 'logs', dataset: 'mlmon.predictions' },
  'dead-letters': { type: 'logs', dataset: 'mlmon.dead_letters' },
  metrics: { type: 'metrics', dataset: 'mlmon.window' },
  alerts: { type: 'logs', dataset: 'mlmon.alerts' },
  /** ground truth, joined to predictions by id (README, "Labels and realized performance") */
  labels: { type: 'logs', dataset: 'mlmon.labels' },
} as const;
export type StreamFamily = keyof typeof STREAMS;
export const STREAM_FAMILIES = Object.keys(STREAMS) as StreamFamily[];

/** Plain indices shared by every namespace: one document per baseline, per checkpoint, per alert. */
export const INDICES = {
  baselines: 'mlmon-baselines',
  'job-state': 'mlmon-job-state',
} as const;
export type IndexFamily = keyof typeof INDICES;
export const INDEX_FAMILIES = Object.keys(INDICES) as IndexFamily[];
export type AssetFamily = StreamFamily | IndexFamily;

export const DEFAULT_NAMESPACE = 'default';
export const BASELINES_INDEX: string = INDICES.baselines;
export const JOB_STATE_INDEX: string = INDICES['job-state'];

/** `<type>-<dataset>-<namespace>`; `*` as the namespace gives the pattern over all of them. */
export function streamName(family: StreamFamily, namespace: string): string {
  const s = STREAMS[family];
  return `${s.type}-${s.dataset}-${namespace}`;
}
export const predictionsStream = (ns: string) => streamName('predictions', ns);
export const deadLettersStream = (ns: string) => streamName('dead-letters', ns);
export const metricsStream = (ns: string) => streamName('metrics', ns);
export const alertsStream = (ns: string) => streamName('alerts', ns);
export const labelsStream = (ns: string) => streamName('labels', ns);
/** The prefix every namespace's stream of a family shares (`logs-mlmon.predictions-`). */
export const streamPrefix = (family: StreamFamily) => streamName(family, '');
/** All namespaces of a family: `logs-mlmon.predictions-*`. */
export const streamPattern = (family: StreamFamily) => streamName(family, '*');

/**
 * The one namespace rule (Elasticsearch's data stream naming: lowercase, no `-`, none of the
 * characters index names forbid, not starting with `.` or `_`, at most 100 bytes).
 */
const NAMESPACE = /^[a-z0-9][a-z0-9_.]{0,99}$/;
export const NAMESPACE_FIX =
  'use lowercase letters, digits, "_" and "." (no "-", not first), at most 100 characters';

export function isValidNamespace(ns: string): boolean {
  return NAMESPACE.test(ns);
}

/** Throws a ConfigError naming `option` unless `ns` is a data stream namespace. */
export function validateNamespace(ns: string, option = 'namespace'): string {
  if (!isValidNamespace(ns))
    throw new ConfigError(option, `"${ns}" is not a valid data stream namespace`, NAMESPACE_FIX);
  return ns;
}
