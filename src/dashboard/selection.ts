import type { Selection } from './chart-assets.js';
import type { QueryContext } from './kibana-query.js';

/** What the local dashboard and the report are asked to show: a time range and optional selections. */
export interface ViewRequest {
  from: number;
  to: number;
  interval?: string;
  model?: string;
  feature?: string;
  namespace?: string;
}

const SELECTIONS: Selection[] = ['model', 'feature', 'namespace'];

export function queryContext(r: ViewRequest, allowed: Selection[] = SELECTIONS): QueryContext {
  const selections: Partial<Record<Selection, string>> = {};
  for (const s of allowed) {
    const v = r[s];
    if (v) selections[s] = v;
  }
  return {
    from: new Date(r.from),
    to: new Date(r.to),
    selections,
    ...(r.interval ? { interval: r.interval } : {}),
  };
}
