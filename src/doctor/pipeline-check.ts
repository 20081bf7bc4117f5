/**
 * The doctor's ingest-pipeline line: sample raw predictions (a data file) go through the installed
 * predictions pipeline with `_ingest/pipeline/<id>/_simulate`, and each result is compared with the
 * document the transport builds for the same prediction. A pipeline edited by hand, or one from an
 * older package, derives something else: the line names the prediction, the field and both values.
 */
import { isDeepStrictEqual } from 'node:util';
import { ASSET_PATHS } from '../assets/layout.js';
import { readJsonAsset } from '../assets/package-files.js';
import { DEFAULT_NAMESPACE, predictionsStream } from '../contract/streams.js';
import type { RawRequest } from '../es/raw-request.js';
import { predictionsPipelineId } from '../setup/pipelines.js';
import { pipelinePrefix, type SetupPlan } from '../setup/setup-plan.js';
import { toDocument } from '../transport/document.js';
import { resolveTransportOptions } from '../transport/options.js';
import type { PredictionLog } from '../transport/prediction.js';
import { type Check, fail, pass, skip } from './check.js';

type Raw = Record<string, unknown>;
type Source = Record<string, unknown>;

const NAME = 'ingest pipeline simulation';

/** The prediction the transport would have been given for a raw one (README, "Ingest pipelines"). */
function asLog(raw: Raw): PredictionLog {
  const log: PredictionLog = {
    features: (raw.features ?? {}) as Record<string, unknown>,
    ...(raw.model !== undefined ? { model: raw.model as string } : {}),
    ...(raw.version !== undefined ? { version: raw.version as string } : {}),
    ...(raw.id !== undefined ? { id: raw.id as string } : {}),
    ...('prediction' in raw ? { prediction: raw.prediction } : {}),
    context: {
      ...(raw.service !== undefined ? { service: raw.service as string } : {}),
      ...(raw.trace_id !== undefined ? { traceId: raw.trace_id as string } : {}),
    },
  };
  if (typeof raw.latency_ms === 'number') log.latencyMs = raw.latency_ms;
  const time = raw.timestamp ?? raw.time ?? raw['@timestamp'];
  if (time !== undefined) log.timestamp = time as string | number;
  return log;
}

/**
 * The fields the pipeline and the transport both produce. NA and flag lists are sets: the pipeline
 * walks features in hash order. The ingest time (`event.ingested`) is the pipeline's alone.
 */
export function comparableDocument(doc: Source, withTimestamp = true): Source {
  const mlmon = structuredClone(doc.mlmon) as Record<string, unknown>;
  for (const key of ['na', 'flags']) (mlmon[key] as string[] | undefined)?.sort();
  const event = (doc.event ?? {}) as Record<string, unknown>;
  return {
    ...(withTimestamp ? { '@timestamp': doc['@timestamp'] } : {}),
    message: doc.message,
    level: (doc.log as Record<string, unknown> | undefined)?.level,
    ecs: doc.ecs,
    event: { kind: event.kind, dataset: event.dataset },
    data_stream: doc.data_stream,
    service: doc.service,
    trace: doc.trace,
    mlmon,
  };
}

/** The first path where two JSON values differ, with both values (undefined when equal). */
export function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const d = firstDifference(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        path ? `${path}.${k}` : k,
      );
      if (d) return d;
    }
  }
  return `${path || '(document)'}: pipeline ${JSON.stringify(a) ?? 'absent'}, transport ${JSON.stringify(b) ?? 'absent'}`;
}

export async function pipelineCheck(
  request: RawRequest,
  plan: SetupPlan | undefined,
  namespace: string | undefined,
): Promise<Check> {
  if (!plan) return skip(NAME, 'the cluster could not be probed with these credentials');
  const id = predictionsPipelineId({ prefix: pipelinePrefix(namespace ? { namespace } : {}) });
  const entry = plan.entries.find((e) => e.kind === 'ingest_pipeline' && e.name === id);
  if (!entry || entry.action === 'skip')
    return skip(
      NAME,
      entry?.reason ??
        'no ingest pipelines for this cluster (no ingest script processor): the transport derives its own documents',
    );
  if (entry.action === 'create') return skip(NAME, `pipeline ${id} is not installed (its line above)`);
  const { predictions } = readJsonAsset<{ predictions: Raw[] }>(ASSET_PATHS.doctorRawPredictions);
  const stream = predictionsStream(namespace ?? DEFAULT_NAMESPACE);
  const res = await request('POST', `/_ingest/pipeline/${encodeURIComponent(id)}/_simulate`, {
    docs: predictions.map((raw, i) => ({ _index: stream, _id: `doctor-${i}`, _source: raw })),
  });
  if (res.status !== 200)
    return fail(
      NAME,
      `_simulate on ${id} answered HTTP ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`,
      'run `mlmon setup`, then `mlmon doctor` again',
    );
  const sanitize = resolveTransportOptions({ spillDir: false }).sanitize;
  const docs = (res.body as { docs?: { doc?: { _source: Source }; error?: unknown }[] }).docs ?? [];
  for (const [i, raw] of predictions.entries()) {
    const got = docs[i];
    if (!got?.doc)
      return fail(
        NAME,
        `sample ${i + 1} failed in ${id}: ${JSON.stringify(got?.error ?? 'no answer').slice(0, 300)}`,
        'run `mlmon setup` (it replaces the pipeline with the package one)',
      );
    const expected = toDocument(asLog(raw), {
      id: `doctor-${i}`,
      namespace: namespace ?? DEFAULT_NAMESPACE,
      sanitize,
      defaults: {},
    });
    const diff = firstDifference(
      comparableDocument(got.doc._source),
      comparableDocument(expected as unknown as Source),
    );
    if (diff)
      return fail(
        NAME,
        `sample ${i + 1} through ${id} differs from the transport's document at ${diff}`,
        'run `mlmon setup` (it replaces the pipeline with the package one); if it persists, the pipeline was changed by hand under a new version',
      );
  }
  return pass(
    NAME,
    `${predictions.length} sample raw predictions through ${id} give the documents the transport builds`,
  );
}
