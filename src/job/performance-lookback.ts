import type { Client } from '@elastic/elasticsearch';
import type { Baseline } from '../contract/baseline-document.js';
import { type JoinedPrediction, joinLabels, predictionsPerWindow } from '../metrics/label-join.js';
import { type Performance, performanceOf } from '../metrics/performance.js';
import { taskOf } from '../metrics/window.js';
import { alignDown } from './windows.js';
import { type WindowHead, writePerformance } from './writer.js';

export interface LookbackSpec {
  model: string;
  version?: string;
  /** the predictions data streams */
  index: string;
  /** [from, to): the windows already computed that labels may still arrive for */
  from: number;
  to: number;
  everyMs: number;
  baseline: Baseline;
  namespace: string;
}

export interface LookbackReport {
  /** windows with a label or an unknown id in the lookback */
  windows: number;
  /** performance documents stored now: windows whose labels changed since they were last computed */
  created: number;
}

/**
 * Windows whose labels arrive after they were computed (README, "Labels and realized performance"):
 * one join over the whole lookback, the rows bucketed by their prediction's window, each window's
 * performance stored again. A window whose labels did not change stores nothing (its document id
 * carries its figures), so running this every time changes nothing until a label comes.
 */
export async function recomputeLookback(client: Client, spec: LookbackSpec): Promise<LookbackReport> {
  const from = alignDown(spec.from, spec.everyMs);
  const to = alignDown(spec.to, spec.everyMs);
  if (to <= from) return { windows: 0, created: 0 };
  const base = { model: spec.model, index: spec.index, ...(spec.version ? { version: spec.version } : {}) };
  const join = await joinLabels(client, { ...base, from: new Date(from), to: new Date(to) });
  const rows = new Map<number, JoinedPrediction[]>();
  for (const r of join.rows) {
    const k = alignDown(r.predictedAt, spec.everyMs);
    const list = rows.get(k);
    if (list) list.push(r);
    else rows.set(k, [r]);
  }
  const unknown = new Map<number, number>();
  for (const t of join.unknownAt) {
    const k = alignDown(t, spec.everyMs);
    unknown.set(k, (unknown.get(k) ?? 0) + 1);
  }
  const starts = [...new Set([...rows.keys(), ...unknown.keys()])].sort((a, b) => a - b);
  if (!starts.length) return { windows: 0, created: 0 };
  const counts = await predictionsPerWindow(client, base, starts, spec.everyMs);
  const task = taskOf(spec.baseline);
  const windows: { head: WindowHead; performance: Performance }[] = starts.map((start) => {
    const docs = counts.get(start) ?? 0;
    return {
      head: {
        model: spec.model,
        version: spec.version ?? null,
        baseline: `${spec.baseline.model}@${spec.baseline.version}`,
        window: {
          from: new Date(start).toISOString(),
          to: new Date(start + spec.everyMs).toISOString(),
        },
        docs,
      },
      performance: performanceOf(rows.get(start) ?? [], {
        predictions: docs,
        unknownLabels: unknown.get(start) ?? 0,
        ...(task ? { task } : {}),
      }),
    };
  });
  const written = await writePerformance(client, windows, spec.namespace);
  return { windows: windows.length, created: written.created };
}
