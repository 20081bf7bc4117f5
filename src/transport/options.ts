import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { ConfigError } from '../contract/errors.js';
import { type FeatureKind, isFeatureKind } from '../contract/features.js';
import { EMPTY_STRING_IS_NA, FIELD_LIMITS, INDEX_LIMITS } from '../contract/limits.js';
import {
  BASELINES_INDEX,
  DEFAULT_NAMESPACE,
  deadLettersStream,
  predictionsStream,
  validateNamespace,
} from '../contract/streams.js';
import type { ConnectionOptions } from '../es/connection.js';
import { FieldBudget } from './field-budget.js';
import { keyedHash, type SanitizeOptions } from './sanitize.js';

/** A prom-client `Registry` (structural, so prom-client stays an optional dependency of the user). */
export interface PromRegistryLike {
  registerMetric(metric: unknown): void;
}

export type FsyncPolicy = 'never' | 'segment' | 'interval' | 'always';
const FSYNC_POLICIES: readonly FsyncPolicy[] = ['never', 'segment', 'interval', 'always'];

/** Everything the transport can be told. Defaults and their reasons are in README ("Transport options"). */
export interface TransportOptions extends ConnectionOptions {
  client?: Client;
  /** data stream namespace: documents go to `logs-mlmon.predictions-<namespace>` */
  namespace?: string;
  model?: string;
  version?: string;
  service?: string;
  batchSize?: number;
  batchBytes?: number;
  flushIntervalMs?: number;
  concurrency?: number;
  maxQueueDocs?: number;
  maxQueueBytes?: number;
  /** directory for the disk buffer, or false to keep only memory (then overflow drops the oldest) */
  spillDir?: string | false;
  maxSpillBytes?: number;
  spillSegmentBytes?: number;
  fsync?: FsyncPolicy;
  /** `fsync: 'interval'`: the open segment is synced at most this long after a write */
  fsyncIntervalMs?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** items that fail with HTTP 500 are retried this many times, then dead-lettered */
  maxItemRetries?: number;
  requestTimeoutMs?: number;
  deadLetterIndex?: string;
  /** how long the automatic flush at process exit may take */
  exitFlushTimeoutMs?: number;
  maxStringLength?: number;
  maxFeatures?: number;
  maxArrayLength?: number;
  maxDepth?: number;
  emptyStringIsNa?: boolean;
  featureTypes?: Record<string, FeatureKind>;
  redact?: string[];
  hash?: string[];
  /** environment variable holding the HMAC secret for `hash` */
  hashSecretEnv?: string;
  /** keep each prediction with this probability; documents carry the rate */
  sampleRate?: number;
  /** registers the transport's counters and gauges, and the prediction histograms (prom-client) */
  metricsRegistry?: PromRegistryLike;
  metricsPrefix?: string;
  /** with `metricsRegistry`: also prom-client's default process metrics (unless the registry has them) */
  processMetrics?: boolean;
  /** at start, warn (event `warn`, code `template_missing`) when the product's template does not apply */
  checkTemplate?: boolean;
  /** load the training baseline of each model for derived fields (false: none) */
  baseline?: boolean;
  baselineIndex?: string;
  baselineRefreshMs?: number;
}

export interface ResolvedTransportOptions {
  namespace: string;
  dataStream: string;
  deadLetterIndex: string;
  defaults: { model?: string; version?: string; service?: string };
  batchSize: number;
  batchBytes: number;
  flushIntervalMs: number;
  concurrency: number;
  maxQueueDocs: number;
  maxQueueBytes: number;
  spillDir: string | false;
  maxSpillBytes: number;
  spillSegmentBytes: number;
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
  maxItemRetries: number;
  requestTimeoutMs: number;
  exitFlushTimeoutMs: number;
  sampleRate: number;
  sanitize: SanitizeOptions;
  baseline: { index: string; refreshMs: number } | false;
}

const MiB = 1024 * 1024;

/** Defaults; README ("Transport options") gives the reason for each. */
export const transportDefaults = {
  namespace: DEFAULT_NAMESPACE,
  batchSize: 2000,
  batchBytes: 5 * MiB,
  flushIntervalMs: 1000,
  concurrency: 4,
  maxQueueDocs: 20_000,
  maxQueueBytes: 32 * MiB,
  maxSpillBytes: 1024 * MiB,
  spillSegmentBytes: 4 * MiB,
  fsync: 'interval',
  fsyncIntervalMs: 1000,
  retryInitialMs: 100,
  retryMaxMs: 30_000,
  maxItemRetries: 5,
  requestTimeoutMs: 30_000,
  exitFlushTimeoutMs: 5000,
  maxStringLength: FIELD_LIMITS.maxStringLength,
  maxFeatures: FIELD_LIMITS.maxFeatures,
  maxArrayLength: FIELD_LIMITS.maxArrayLength,
  maxDepth: FIELD_LIMITS.maxDepth,
  emptyStringIsNa: EMPTY_STRING_IS_NA,
  hashSecretEnv: 'MLMON_HASH_SECRET',
  sampleRate: 1,
  baselineIndex: BASELINES_INDEX,
  baselineRefreshMs: 300_000,
} as const;

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0)
    throw new ConfigError(name, `must be a positive integer, got ${String(value)}`);
  return value;
}

/**
 * The user's own state folder (XDG Base Directory: `$XDG_STATE_HOME`, else `~/.local/state`), never
 * the shared temporary folder, where another user could read the features or create the folder first.
 */
export function defaultSpillDir(dataStream: string, env: NodeJS.ProcessEnv = process.env): string {
  const state = env.XDG_STATE_HOME?.startsWith('/') ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  return join(state, 'ml-input-monitor', 'spill', dataStream);
}

export function resolveTransportOptions(
  o: TransportOptions,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedTransportOptions {
  const d = transportDefaults;
  const namespace = validateNamespace(o.namespace ?? d.namespace);
  const dataStream = predictionsStream(namespace);
  const maxQueueBytes = positiveInt('maxQueueBytes', o.maxQueueBytes, d.maxQueueBytes);
  const batchBytes = positiveInt(
    'batchBytes',
    o.batchBytes,
    Math.min(d.batchBytes, Math.floor(maxQueueBytes / 2)),
  );
  if (batchBytes > maxQueueBytes) throw new ConfigError('batchBytes', 'must not exceed maxQueueBytes');
  const spillSegmentBytes = positiveInt(
    'spillSegmentBytes',
    o.spillSegmentBytes,
    Math.min(d.spillSegmentBytes, Math.floor(maxQueueBytes / 4)),
  );
  // a whole segment is loaded back into memory when replayed
  if (spillSegmentBytes > maxQueueBytes / 2)
    throw new ConfigError('spillSegmentBytes', 'must be at most half of maxQueueBytes');
  const retryInitialMs = positiveInt('retryInitialMs', o.retryInitialMs, d.retryInitialMs);
  const retryMaxMs = positiveInt('retryMaxMs', o.retryMaxMs, d.retryMaxMs);
  if (retryMaxMs < retryInitialMs) throw new ConfigError('retryMaxMs', 'must be at least retryInitialMs');
  const fsync = o.fsync ?? d.fsync;
  if (!FSYNC_POLICIES.includes(fsync))
    throw new ConfigError('fsync', 'must be "never", "segment", "interval" or "always"');
  const sampleRate = o.sampleRate ?? d.sampleRate;
  if (typeof sampleRate !== 'number' || !(sampleRate > 0 && sampleRate <= 1)) {
    throw new ConfigError('sampleRate', `must be a number in (0, 1], got ${String(sampleRate)}`);
  }
  if (
    o.spillDir !== undefined &&
    o.spillDir !== false &&
    (typeof o.spillDir !== 'string' || o.spillDir === '')
  ) {
    throw new ConfigError('spillDir', 'must be a directory path or false');
  }
  const hash = new Set(o.hash ?? []);
  const hashSecretEnv = o.hashSecretEnv ?? d.hashSecretEnv;
  const hashSecret = env[hashSecretEnv];
  if (hash.size > 0 && !hashSecret) {
    throw new ConfigError(
      'hash',
      `hashing features needs a secret in the environment variable ${hashSecretEnv}`,
    );
  }
  const kinds = new Map<string, FeatureKind>();
  for (const [name, kind] of Object.entries(o.featureTypes ?? {})) {
    if (!isFeatureKind(kind)) {
      throw new ConfigError(`featureTypes.${name}`, `unknown type "${kind}"`);
    }
    kinds.set(name, kind);
  }
  const defaults: ResolvedTransportOptions['defaults'] = {};
  if (o.model) defaults.model = o.model;
  if (o.version) defaults.version = o.version;
  if (o.service) defaults.service = o.service;
  return {
    namespace,
    dataStream,
    deadLetterIndex: o.deadLetterIndex ?? deadLettersStream(namespace),
    defaults,
    batchSize: positiveInt('batchSize', o.batchSize, d.batchSize),
    batchBytes,
    flushIntervalMs: positiveInt('flushIntervalMs', o.flushIntervalMs, d.flushIntervalMs),
    concurrency: positiveInt('concurrency', o.concurrency, d.concurrency),
    maxQueueDocs: positiveInt('maxQueueDocs', o.maxQueueDocs, d.maxQueueDocs),
    maxQueueBytes,
    spillDir: o.spillDir === false ? false : (o.spillDir ?? defaultSpillDir(dataStream, env)),
    maxSpillBytes: positiveInt('maxSpillBytes', o.maxSpillBytes, d.maxSpillBytes),
    spillSegmentBytes,
    fsync,
    fsyncIntervalMs: positiveInt('fsyncIntervalMs', o.fsyncIntervalMs, d.fsyncIntervalMs),
    retryInitialMs,
    retryMaxMs,
    maxItemRetries: positiveInt('maxItemRetries', o.maxItemRetries, d.maxItemRetries),
    requestTimeoutMs: positiveInt('requestTimeoutMs', o.requestTimeoutMs, d.requestTimeoutMs),
    exitFlushTimeoutMs: positiveInt('exitFlushTimeoutMs', o.exitFlushTimeoutMs, d.exitFlushTimeoutMs),
    sampleRate,
    baseline:
      o.baseline === false
        ? false
        : {
            index: o.baselineIndex ?? d.baselineIndex,
            refreshMs: positiveInt('baselineRefreshMs', o.baselineRefreshMs, d.baselineRefreshMs),
          },
    sanitize: {
      maxStringLength: positiveInt('maxStringLength', o.maxStringLength, d.maxStringLength),
      maxCategoryLength: INDEX_LIMITS.categoryIgnoreAbove,
      fields: new FieldBudget(),
      maxFeatures: positiveInt('maxFeatures', o.maxFeatures, d.maxFeatures),
      maxArrayLength: positiveInt('maxArrayLength', o.maxArrayLength, d.maxArrayLength),
      maxDepth: positiveInt('maxDepth', o.maxDepth, d.maxDepth),
      kinds,
      redact: new Set(o.redact ?? []),
      hash,
      // read only when features are hashed; kept in a closure (util.inspect cannot show it)
      hmac: hash.size > 0 && hashSecret ? keyedHash(hashSecret) : undefined,
      emptyStringIsNa: o.emptyStringIsNa ?? d.emptyStringIsNa,
    },
  };
}
