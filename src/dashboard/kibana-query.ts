/**
 * Kibana's Vega data-url placeholders, substituted the way Kibana's Vega panel does (facts from its
 * documentation, elastic-stack.md section 4), so that a spec under `kibana/vega/` runs outside Kibana
 * with the same query body: `%context%` (the dashboard's filters), `%timefield%` (the time range),
 * `%dashboard_context-must_clause%` / `-filter_clause%` / `-must_not_clause%`, `{"%timefilter%": true}`,
 * `{"%timefilter%": "min" | "max"}` and `interval: {"%autointerval%": ...}` in a `date_histogram`.
 */
import type { Selection } from './chart-assets.js';

export interface QueryContext {
  from: Date;
  to: Date;
  /** a fixed date_histogram interval (`1m`, `1h`) instead of Kibana's automatic one */
  interval?: string;
  /** the dashboard's selections (a model, a feature, a namespace) */
  selections?: Partial<Record<Selection, string>>;
}

/** Kibana's dashboard context: a bool query whose clauses the placeholders pull from. */
export interface DashboardContext {
  bool: { must: unknown[]; filter: unknown[]; should: unknown[]; must_not: unknown[] };
}

export interface ResolvedRequest {
  index: string;
  body: Record<string, unknown>;
}

const CONTEXT = '%context%';
const TIMEFIELD = '%timefield%';
const TIMEFILTER = '%timefilter%';
const AUTOINTERVAL = '%autointerval%';
const CLAUSES: Record<string, keyof DashboardContext['bool']> = {
  '%dashboard_context-must_clause%': 'must',
  '%dashboard_context-filter_clause%': 'filter',
  '%dashboard_context-must_not_clause%': 'must_not',
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The dashboard context for a chart: one `term` filter per selection the chart's index has a field
 * for (`usermeta.mlmon.context`); selections a chart has no field for do not narrow it.
 */
export function dashboardContext(
  selections: QueryContext['selections'],
  fields: Partial<Record<Selection, string>> = {},
): DashboardContext {
  const filter: unknown[] = [];
  for (const [selection, value] of Object.entries(selections ?? {})) {
    const field = fields[selection as Selection];
    if (field && value) filter.push({ term: { [field]: value } });
  }
  return { bool: { must: [], filter, should: [], must_not: [] } };
}

/**
 * Kibana's rounding of range / buckets to an interval: the first row whose bound the raw interval is
 * at or under (the last row's bound is exclusive), else a year. Thresholds as in Kibana's
 * src/platform/plugins/private/vis_types/vega/public/data_model/es_query_parser.ts (`_roundInterval`).
 */
const KIBANA_ROUNDING: [number, string][] = [
  [500, '100ms'],
  [5000, '1s'],
  [7500, '5s'],
  [15_000, '10s'],
  [45_000, '30s'],
  [180_000, '1m'],
  [450_000, '5m'],
  [1_200_000, '10m'],
  [2_700_000, '30m'],
  [7_200_000, '1h'],
  [21_600_000, '3h'],
  [86_400_000, '12h'],
  [604_800_000, '24h'],
  [1_814_400_000, '1w'],
];
const KIBANA_LAST: [number, string] = [3_628_800_000, '30d'];

/** The interval Kibana's Vega panel picks for about `buckets` buckets over the range (50 by default). */
export function autoInterval(from: Date, to: Date, buckets = 50): string {
  const raw = (to.getTime() - from.getTime()) / buckets;
  for (const [bound, interval] of KIBANA_ROUNDING) if (raw <= bound) return interval;
  return raw < KIBANA_LAST[0] ? KIBANA_LAST[1] : '1y';
}

/**
 * Kibana's choice of `calendar_interval` or `fixed_interval` (its data plugin's
 * `dateHistogramInterval` over `parseEsInterval`): one minute, hour, day, week, month, quarter or
 * year is a calendar interval; milliseconds, seconds and multiples of minutes, hours and days are
 * fixed; multiples of weeks, months, quarters and years are refused, as Elasticsearch refuses them.
 */
function intervalParam(interval: string): Record<string, string> {
  const m = /^([1-9]\d*)(ms|s|m|h|d|w|M|q|y)$/.exec(interval);
  if (!m) throw new Error(`invalid interval "${interval}"`);
  const [, value, unit] = m as unknown as [string, string, string];
  if (['w', 'M', 'q', 'y'].includes(unit) && value !== '1')
    throw new Error(`invalid calendar interval "${interval}": its value must be 1`);
  return value === '1' && unit !== 'ms' && unit !== 's'
    ? { calendar_interval: interval }
    : { fixed_interval: interval };
}

const SHIFT_UNIT_MS: Record<string, number> = {
  w: 604_800_000,
  week: 604_800_000,
  d: 86_400_000,
  day: 86_400_000,
  h: 3_600_000,
  hour: 3_600_000,
  m: 60_000,
  minute: 60_000,
  s: 1000,
  second: 1000,
};

function timeBound(opts: JsonObject, which: 'min' | 'max', ctx: QueryContext): number {
  const base = which === 'min' ? ctx.from.getTime() : ctx.to.getTime();
  if (opts.shift === undefined) return base;
  if (typeof opts.shift !== 'number') throw new Error('"shift" must be a number');
  const unit = typeof opts.unit === 'string' ? opts.unit : 'd';
  const ms = SHIFT_UNIT_MS[unit];
  if (ms === undefined) throw new Error(`unknown "unit" ${unit}`);
  return base + opts.shift * ms;
}

function rangeObject(opts: JsonObject, ctx: QueryContext): JsonObject {
  return {
    gte: new Date(timeBound(opts, 'min', ctx)).toISOString(),
    lte: new Date(timeBound(opts, 'max', ctx)).toISOString(),
    format: 'strict_date_optional_time',
  };
}

function inject(node: Json, inQuery: boolean, ctx: QueryContext, dash: DashboardContext, key?: string): Json {
  if (Array.isArray(node)) {
    const out: Json[] = [];
    for (const item of node) {
      const clause = typeof item === 'string' && inQuery ? CLAUSES[item] : undefined;
      if (clause) out.push(...(structuredClone(dash.bool[clause]) as Json[]));
      else out.push(inject(item, inQuery, ctx, dash));
    }
    return out;
  }
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [prop, value] of Object.entries(node)) {
    if (prop === 'interval' && key === 'date_histogram') {
      const interval =
        typeof value === 'string'
          ? value
          : (ctx.interval ??
            autoInterval(
              ctx.from,
              ctx.to,
              isObject(value) && typeof value[AUTOINTERVAL] === 'number' ? value[AUTOINTERVAL] : 50,
            ));
      Object.assign(out, intervalParam(interval));
      continue;
    }
    if (isObject(value) && TIMEFILTER in value) {
      const mode = value[TIMEFILTER];
      if (mode === 'min' || mode === 'max') out[prop] = timeBound(value, mode, ctx);
      else if (mode === true) out[prop] = rangeObject(value, ctx);
      else throw new Error('"%timefilter%" must be true, "min" or "max"');
      continue;
    }
    out[prop] = inject(value, inQuery, ctx, dash, prop);
  }
  return out;
}

/** Turns a spec's `data.url` object into the search request Kibana would send. */
export function resolveDataUrl(
  url: Record<string, unknown>,
  ctx: QueryContext,
  contextFields?: Partial<Record<Selection, string>>,
): ResolvedRequest {
  const { [CONTEXT]: context, [TIMEFIELD]: timefield, index, body: rawBody, ...rest } = url;
  if (typeof index !== 'string' || !index) throw new Error('data.url.index must name the indices to search');
  if (Object.keys(rest).some((k) => k.startsWith('%')))
    throw new Error(`unsupported data.url keys: ${Object.keys(rest).join(', ')}`);
  const body: JsonObject = isObject(rawBody as Json) ? structuredClone(rawBody as JsonObject) : {};
  const dash = dashboardContext(ctx.selections, contextFields);
  const usesContext = context !== undefined || timefield !== undefined;
  if (body.query !== undefined) {
    if (usesContext) throw new Error('%context% and %timefield% must not be used when body.query is set');
    body.query = inject(body.query, true, ctx, dash);
  } else if (usesContext) {
    const range =
      typeof timefield === 'string' ? { range: { [timefield]: rangeObject({}, ctx) } } : undefined;
    if (context) {
      const query = structuredClone(dash);
      if (range) query.bool.must.push(range);
      body.query = query as unknown as Json;
    } else if (range) body.query = range;
  }
  if (body.aggs !== undefined) body.aggs = inject(body.aggs, false, ctx, dash);
  return { index, body };
}
