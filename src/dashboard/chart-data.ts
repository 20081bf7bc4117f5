import type { Client } from '@elastic/elasticsearch';
import type { ChartSpec } from './chart-assets.js';
import { type QueryContext, type ResolvedRequest, resolveDataUrl } from './kibana-query.js';

export interface ChartData {
  request: ResolvedRequest;
  /** the rows the spec's `format.property` selects from the response */
  rows: unknown[];
}

/** Follows a dotted path such as `aggregations.t.buckets` into a search response. */
export function selectProperty(response: unknown, property: string | undefined): unknown[] {
  let node: unknown = response;
  for (const part of property ? property.split('.') : []) {
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined;
  }
  if (node === undefined || node === null) return [];
  return Array.isArray(node) ? node : [node];
}

/**
 * Outside Kibana a selected namespace also narrows the index: `logs-mlmon.dead_letters-*` becomes
 * `logs-mlmon.dead_letters-<ns>`. A panel that reads no dashboard filter (the dead letters, which may
 * carry no model name) is then still the namespace's, as the streams are one per namespace.
 */
export function namespacedIndex(index: string, namespace: string | undefined): string {
  if (!namespace) return index;
  return index
    .split(',')
    .map((i) => (/^(logs|metrics)-mlmon\.[a-z_]+-\*$/.test(i) ? `${i.slice(0, -1)}${namespace}` : i))
    .join(',');
}

/** Runs the chart's own query body (placeholders substituted) against the cluster. */
export async function fetchChartData(client: Client, spec: ChartSpec, ctx: QueryContext): Promise<ChartData> {
  const resolved = resolveDataUrl(spec.data.url, ctx, spec.usermeta?.mlmon?.context);
  const request = { ...resolved, index: namespacedIndex(resolved.index, ctx.selections?.namespace) };
  const response = await client.transport.request({
    method: 'POST',
    path: `/${encodeURIComponent(request.index)}/_search`,
    querystring: { ignore_unavailable: true, allow_no_indices: true },
    body: request.body,
  });
  return { request, rows: selectProperty(response, spec.data.format?.property) };
}

/**
 * The spec with its data inline: the url object and `format.property` are replaced by the rows, the
 * rest (transforms, encodings, layers with their own inline data) is left as it is.
 */
export function withInlineData(spec: ChartSpec, rows: unknown[]): Record<string, unknown> {
  const { url: _url, format, ...dataRest } = spec.data;
  const { property: _property, ...formatRest } = format ?? {};
  const data: Record<string, unknown> = { ...dataRest, values: rows };
  if (Object.keys(formatRest).length) data.format = formatRest;
  return { ...structuredClone(spec), data };
}
