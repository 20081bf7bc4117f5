import type { Client, estypes } from '@elastic/elasticsearch';
import { FIELDS, LABEL_FIELDS } from '../contract/document-fields.js';
import { LABEL_LIMITS } from '../contract/limits.js';
import { streamPrefix } from '../contract/streams.js';
import type { LabeledPrediction } from './performance.js';

/**
 * The label join (README, "Labels and realized performance"): the latest label of each prediction
 * id, joined to its prediction, in pages. The client pages over the labels (sorted by id, latest
 * first, with search_after) and looks their predictions up by id with a terms query per page: what
 * it reads grows with the labels, never with the predictions.
 */

export interface JoinSpec {
  model: string;
  version?: string;
  from: Date;
  to: Date;
  /** the predictions data streams (`logs-mlmon.predictions-<ns>`, or the pattern) */
  index: string;
  /** the labels data streams; default: the predictions index's namespace in the labels family */
  labelsIndex?: string;
}

export interface JoinedPrediction extends LabeledPrediction {
  /** the prediction's time (epoch ms): which window it belongs to */
  predictedAt: number;
}

export interface JoinResult {
  /** the labelled predictions of [from, to) (the latest label each) */
  rows: JoinedPrediction[];
  /** the times of the labels of [from, to) whose id matches no prediction of the model */
  unknownAt: number[];
  /** distinct labelled ids read (the cost of the join) */
  labelsRead: number;
}

/** `logs-mlmon.predictions-default` → `logs-mlmon.labels-default` (and the `*` pattern alike). */
export function labelsIndexFor(predictionsIndex: string): string {
  return predictionsIndex
    .split(',')
    .map((p) =>
      p.startsWith(streamPrefix('predictions'))
        ? streamPrefix('labels') + p.slice(streamPrefix('predictions').length)
        : p,
    )
    .join(',');
}

interface LabelSource {
  '@timestamp': string;
  mlmon: { prediction_id: string; label: { num?: number; cat?: string; bool?: boolean } };
}

interface PredictionSource {
  '@timestamp': string;
  mlmon: {
    prediction_id: string;
    model: { version?: string };
    prediction?: { num?: number; cat?: string; bool?: boolean };
  };
}

/**
 * One page of the model's labels, sorted by prediction id and, within an id, latest first (time,
 * then when it was logged): the first label of each id is the one that counts, the rest are skipped
 * as they stream past. One sorted search a page; no per-id sub-search.
 */
function labelsPage(spec: JoinSpec, after: estypes.SortResults | undefined): estypes.SearchRequest {
  return {
    index: spec.labelsIndex ?? labelsIndexFor(spec.index),
    size: LABEL_LIMITS.joinBatch,
    ignore_unavailable: true,
    allow_no_indices: true,
    track_total_hits: false,
    query: {
      bool: {
        filter: [
          { term: { [LABEL_FIELDS.model]: spec.model } },
          // a label is known after its prediction (less the clocks' skew): older ones cannot join the window
          {
            range: {
              [LABEL_FIELDS.timestamp]: {
                gte: new Date(spec.from.getTime() - LABEL_LIMITS.clockSkewMs).toISOString(),
              },
            },
          },
        ],
      },
    },
    // a corrected label replaces the earlier: the latest wins, the logging time breaks a tie
    sort: [
      { [LABEL_FIELDS.predictionId]: 'asc' },
      { [LABEL_FIELDS.timestamp]: 'desc' },
      { [LABEL_FIELDS.loggedAt]: { order: 'desc', missing: '_last' } },
    ],
    _source: [LABEL_FIELDS.predictionId, LABEL_FIELDS.timestamp, 'mlmon.label'],
    ...(after ? { search_after: after } : {}),
  };
}

/** The earliest prediction of each id (a resent prediction with another document id counts once). */
function predictionsOf(spec: JoinSpec, ids: string[]): estypes.SearchRequest {
  return {
    index: spec.index,
    size: ids.length,
    ignore_unavailable: true,
    allow_no_indices: true,
    query: {
      bool: {
        filter: [{ term: { [FIELDS.model]: spec.model } }, { terms: { [FIELDS.predictionId]: ids } }],
      },
    },
    collapse: { field: FIELDS.predictionId },
    sort: [{ [FIELDS.timestamp]: 'asc' }],
    _source: [FIELDS.timestamp, FIELDS.predictionId, FIELDS.version, 'mlmon.prediction'],
  };
}

/**
 * Joins the labels of [from, to) to their predictions (one window, or a lookback of many: the rows
 * carry the prediction's time); bounded by the labels (pages of LABEL_LIMITS.joinBatch).
 */
export async function joinLabels(client: Client, spec: JoinSpec): Promise<JoinResult> {
  const from = spec.from.getTime();
  const to = spec.to.getTime();
  const rows: JoinedPrediction[] = [];
  const unknownAt: number[] = [];
  let labelsRead = 0;
  let after: estypes.SortResults | undefined;
  // the last id seen: its older labels may continue on the next page
  let lastId: string | undefined;
  for (;;) {
    const res = await client.search<LabelSource>(labelsPage(spec, after));
    const hits = res.hits.hits;
    if (!hits.length) break;
    const last = hits.length === LABEL_LIMITS.joinBatch ? hits[hits.length - 1]?.sort : undefined;
    const labels = new Map<string, LabelSource>();
    for (const h of hits) {
      const src = h._source;
      if (!src || src.mlmon.prediction_id === lastId) continue;
      lastId = src.mlmon.prediction_id;
      labels.set(lastId, src);
    }
    labelsRead += labels.size;
    if (labels.size) {
      const found = await client.search<PredictionSource>(predictionsOf(spec, [...labels.keys()]));
      const predictions = new Map<string, PredictionSource>();
      for (const h of found.hits.hits)
        if (h._source) predictions.set(h._source.mlmon.prediction_id, h._source);
      for (const [id, label] of labels) {
        const labelAt = Date.parse(label['@timestamp']);
        const p = predictions.get(id);
        if (!p) {
          if (labelAt >= from && labelAt < to) unknownAt.push(labelAt);
          continue;
        }
        const predictedAt = Date.parse(p['@timestamp']);
        if (predictedAt < from || predictedAt >= to) continue;
        if (spec.version !== undefined && p.mlmon.model.version !== spec.version) continue;
        const l = label.mlmon.label;
        rows.push({
          truth: {
            ...(l.num !== undefined ? { num: l.num } : {}),
            ...(l.cat !== undefined ? { cat: l.cat } : {}),
          },
          predicted: { ...(p.mlmon.prediction ?? {}) },
          delayMs: labelAt - predictedAt,
          predictedAt,
        });
      }
    }
    if (!last) break;
    after = last;
  }
  return { rows, unknownAt, labelsRead };
}

/** Windows counted per request by `predictionsPerWindow`. */
const WINDOWS_PER_COUNT = 100;

/**
 * The predictions of each window starting at `starts` (each `everyMs` long), as the window query
 * counts them (model, version, time): `filters` in batches, so the cost follows the labelled windows.
 */
export async function predictionsPerWindow(
  client: Client,
  spec: Omit<JoinSpec, 'from' | 'to'>,
  starts: readonly number[],
  everyMs: number,
): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (let i = 0; i < starts.length; i += WINDOWS_PER_COUNT) {
    const batch = starts.slice(i, i + WINDOWS_PER_COUNT);
    const filter: estypes.QueryDslQueryContainer[] = [{ term: { [FIELDS.model]: spec.model } }];
    if (spec.version) filter.push({ term: { [FIELDS.version]: spec.version } });
    const filters: Record<string, estypes.QueryDslQueryContainer> = {};
    for (const t of batch)
      filters[String(t)] = {
        range: {
          [FIELDS.timestamp]: { gte: new Date(t).toISOString(), lt: new Date(t + everyMs).toISOString() },
        },
      };
    const res = await client.search({
      index: spec.index,
      size: 0,
      ignore_unavailable: true,
      allow_no_indices: true,
      query: { bool: { filter } },
      aggs: { windows: { filters: { filters } } },
    });
    const buckets = (
      res.aggregations?.windows as { buckets: Record<string, { doc_count: number }> } | undefined
    )?.buckets;
    for (const t of batch) out.set(t, buckets?.[String(t)]?.doc_count ?? 0);
  }
  return out;
}
