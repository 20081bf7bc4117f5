import { ASSET_PATHS } from '../assets/layout.js';
import { readTextAsset } from '../assets/package-files.js';
import type { Baseline } from '../contract/baseline-document.js';
import { ECS_VERSION } from '../contract/document-fields.js';
import { EMPTY_STRING_IS_NA, FIELD_LIMITS, INDEX_LIMITS } from '../contract/limits.js';
import { STREAMS, streamPrefix } from '../contract/streams.js';
import { TOKENIZER_VERSION } from '../contract/tokenizer.js';

/**
 * The ingest pipelines as PUT-ready bodies (README, "Ingest pipelines").
 * The JSON files under assets/elasticsearch/ingest-pipelines/ hold the structure; markers `${...}` in them are
 * filled here: Painless sources from assets/elasticsearch/painless/, script parameters from the
 * transport's own constants (so pipeline and transport cannot drift), and pipeline names.
 */

export interface PipelineBody {
  description: string;
  version: number;
  _meta?: Record<string, unknown>;
  processors: Record<string, unknown>[];
  on_failure?: Record<string, unknown>[];
}

export interface PipelineAsset {
  id: string;
  body: PipelineBody;
}

export interface PipelineOptions {
  /** first part of every pipeline id: `<prefix>-predictions`, `<prefix>-baseline-<model>@<version>` (default `mlmon`) */
  prefix?: string;
  /**
   * where a failed document goes when its target is not a `logs-mlmon.predictions-<ns>` stream
   * (those go to `logs-mlmon.dead_letters-<ns>`); default `logs-mlmon.dead_letters-default`
   */
  fallbackDeadLetterIndex?: string;
  /**
   * OpenSearch (the test ingest engine, a fork of Elasticsearch 7.10) refuses a pipeline's `_meta`,
   * which Elasticsearch accepts since 7.14: with `opensearch` the bodies leave it out
   */
  engine?: 'elasticsearch' | 'opensearch';
}

/** The sanitize limits the pipeline applies: the transport's defaults (one place: contract/limits.ts). */
export const INGEST_LIMITS = {
  max_string_length: FIELD_LIMITS.maxStringLength,
  max_category_length: INDEX_LIMITS.categoryIgnoreAbove,
  max_features: FIELD_LIMITS.maxFeatures,
  max_array_length: FIELD_LIMITS.maxArrayLength,
  max_depth: FIELD_LIMITS.maxDepth,
  empty_string_is_na: EMPTY_STRING_IS_NA,
} as const;

const DATASET = STREAMS.predictions.dataset;
const DEAD_LETTER_DATASET = STREAMS['dead-letters'].dataset;
const STREAM_PREFIX = streamPrefix('predictions');
const DEAD_LETTER_PREFIX = streamPrefix('dead-letters');

/** Fields of a raw prediction that become `mlmon.*` and leave the root. */
const CONSUMED_FIELDS = [
  'features',
  'model',
  'version',
  'prediction',
  'latency_ms',
  'latencyMs',
  'timestamp',
  'time',
  'id',
  'prediction_id',
  'trace_id',
  'traceId',
  'sample_rate',
];

/** Metadata keys of an ingest document (Elasticsearch 8/9 and OpenSearch): never source fields. */
const METADATA_FIELDS = [
  '_index',
  '_id',
  '_routing',
  '_version',
  '_version_type',
  '_if_seq_no',
  '_if_primary_term',
  '_dynamic_templates',
  '_type',
];

/** Painless functions must precede statements: shared function files first, the script's body last. */
export function painlessSource(...names: string[]): string {
  return names.map((n) => readTextAsset(ASSET_PATHS.painless(n))).join('\n');
}

function ids(prefix: string) {
  return {
    predictions: `${prefix}-predictions`,
    raw: `${prefix}-predictions-raw`,
    baselinePrefix: `${prefix}-baseline-`,
  };
}

/** Replaces every string that is exactly a `${kind:name}` marker; a marker left unknown throws. */
function fill(value: unknown, markers: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const m = /^\$\{([a-z_]+):([a-z_,-]+)\}$/.exec(value);
    if (!m) return value;
    if (m[1] === 'painless') return painlessSource(...(m[2] as string).split(','));
    const key = `${m[1]}:${m[2]}`;
    if (!(key in markers)) throw new Error(`pipeline asset marker ${value} has no value`);
    return markers[key];
  }
  if (Array.isArray(value)) return value.map((v) => fill(v, markers));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, markers)]));
  }
  return value;
}

function load(file: string, markers: Record<string, unknown>, opts: PipelineOptions): PipelineBody {
  const raw = JSON.parse(readTextAsset(ASSET_PATHS.ingestPipeline(file))) as unknown;
  const body = fill(raw, markers) as PipelineBody;
  if (opts.engine === 'opensearch') delete body._meta;
  return body;
}

function deriveParams(baseline: Record<string, unknown> | null): Record<string, unknown> {
  return {
    baseline,
    limits: INGEST_LIMITS,
    max_oov_words: FIELD_LIMITS.maxOovWords,
    consumed_fields: CONSUMED_FIELDS,
    ecs_version: ECS_VERSION,
    dataset: DATASET,
    stream_prefix: STREAM_PREFIX,
  };
}

/** The id to set as `index.default_pipeline` of the predictions template. */
export function predictionsPipelineId(opts: PipelineOptions = {}): string {
  return ids(opts.prefix ?? 'mlmon').predictions;
}

/**
 * The pipelines every cluster with ingest gets, in installation order (the raw pipeline is
 * called by the predictions pipeline).
 */
export function pipelineAssets(opts: PipelineOptions = {}): PipelineAsset[] {
  const id = ids(opts.prefix ?? 'mlmon');
  const markers: Record<string, unknown> = {
    'pipeline:raw': id.raw,
    'params:stage': { baseline_prefix: id.baselinePrefix },
    'params:derive': deriveParams(null),
    'params:dead_letter': {
      metadata_fields: METADATA_FIELDS,
      stream_prefix: STREAM_PREFIX,
      dead_letter_prefix: DEAD_LETTER_PREFIX,
      fallback_index: opts.fallbackDeadLetterIndex ?? `${DEAD_LETTER_PREFIX}default`,
      dataset: DEAD_LETTER_DATASET,
    },
  };
  return [
    { id: id.raw, body: load('mlmon-predictions-raw.json', markers, opts) },
    { id: id.predictions, body: load('mlmon-predictions.json', markers, opts) },
  ];
}

/** `<prefix>-baseline-<model>@<version>`: model and version names never hold '@' (validateName). */
export function baselinePipelineId(model: string, version: string, opts: PipelineOptions = {}): string {
  return `${ids(opts.prefix ?? 'mlmon').baselinePrefix}${model}@${version}`;
}

/** `<prefix>-baseline-<model>`: the model's newest baseline, for versions that have none. */
export function newestBaselinePipelineId(model: string, opts: PipelineOptions = {}): string {
  return `${ids(opts.prefix ?? 'mlmon').baselinePrefix}${model}`;
}

function baselineMarkers(b: Baseline, opts: PipelineOptions): Record<string, unknown> {
  return {
    'baseline:id': `${b.model}@${b.version}`,
    'baseline:created_at': b.created_at,
    'pipeline:baseline': baselinePipelineId(b.model, b.version, opts),
  };
}

/**
 * The pipeline that derives a model version's fields against its baseline: the baseline's types,
 * feature list and text vocabularies (word -> training count; the count is unused, the object is a
 * hash lookup in Painless) as parameters of the shared derive script.
 */
export function vocabularyPipeline(b: Baseline, opts: PipelineOptions = {}): PipelineAsset {
  const kinds: Record<string, string> = {};
  const vocabularies: Record<string, Record<string, number>> = {};
  for (const [name, p] of Object.entries(b.features)) {
    kinds[name] = p.type;
    if (p.text) vocabularies[name] = p.text.vocabulary;
  }
  if (b.tokenizer !== TOKENIZER_VERSION) {
    throw new Error(
      `baseline ${b.model}@${b.version} was tokenized with ${b.tokenizer}; the pipeline tokenizes with ${TOKENIZER_VERSION}`,
    );
  }
  const id = `${b.model}@${b.version}`;
  const body = load(
    'mlmon-baseline.json',
    {
      ...baselineMarkers(b, opts),
      'baseline:description': `ml-input-monitor: derived fields of ${id} predictions against its training baseline`,
      'params:derive_with_baseline': deriveParams({
        id,
        kinds,
        features: Object.keys(b.features),
        vocabularies,
      }),
    },
    opts,
  );
  return { id: baselinePipelineId(b.model, b.version, opts), body };
}

/** Points `<prefix>-baseline-<model>` at this baseline: install it for the model's newest one. */
export function newestBaselinePipeline(b: Baseline, opts: PipelineOptions = {}): PipelineAsset {
  const body = load(
    'mlmon-baseline-newest.json',
    {
      ...baselineMarkers(b, opts),
      'baseline:description': `ml-input-monitor: the newest baseline of ${b.model} (${b.model}@${b.version}), for versions without their own`,
    },
    opts,
  );
  return { id: newestBaselinePipelineId(b.model, opts), body };
}

/**
 * Every baseline's pipeline, then for each model the newest-baseline pipeline (the newest
 * `created_at`, as the transport and `getBaseline` pick it), in installation order.
 */
export function baselinePipelines(
  baselines: readonly Baseline[],
  opts: PipelineOptions = {},
): PipelineAsset[] {
  const newest = new Map<string, Baseline>();
  for (const b of baselines) {
    const current = newest.get(b.model);
    if (!current || b.created_at > current.created_at) newest.set(b.model, b);
  }
  return [
    ...baselines.map((b) => vocabularyPipeline(b, opts)),
    ...[...newest.values()].map((b) => newestBaselinePipeline(b, opts)),
  ];
}
