/**
 * `mlmon dashboard`: a local page with the same Vega-Lite charts as the Kibana dashboards. The page
 * asks `/api/chart/<name>` for a chart; the server runs the chart's own query body against the
 * cluster (Kibana's placeholders substituted) and answers the spec with its data inline; the page
 * renders it with vega and vega-lite served from this package's node_modules (no CDN).
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { Client } from '@elastic/elasticsearch';
import { ASSET_PATHS } from '../assets/layout.js';
import { packagePath } from '../assets/package-files.js';
import { parseTime } from '../config/time.js';
import { streamPattern } from '../contract/streams.js';
import { chartNames, readChart, readDashboards } from './chart-assets.js';
import { fetchChartData, withInlineData } from './chart-data.js';
import { queryContext, type ViewRequest } from './selection.js';

const require = createRequire(import.meta.url);
const VENDOR: Record<string, string> = {
  '/vendor/vega.min.js': 'vega/build/vega.min.js',
  '/vendor/vega-lite.min.js': 'vega-lite/build/vega-lite.min.js',
};

function pagePath(): string {
  return packagePath(ASSET_PATHS.page('dashboard'));
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
}

const sendJson = (res: ServerResponse, status: number, value: unknown) =>
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));

/** The request's time range and selections from its query string. */
export function viewRequestOf(params: URLSearchParams, now = Date.now()): ViewRequest {
  const out: ViewRequest = {
    from: parseTime(params.get('from') || 'now-24h', 'from', now),
    to: parseTime(params.get('to') || 'now', 'to', now),
  };
  for (const key of ['interval', 'model', 'feature', 'namespace'] as const) {
    const v = params.get(key);
    if (v) out[key] = v;
  }
  if (out.interval && !/^\d+(ms|s|m|h|d)$/.test(out.interval))
    throw new Error('interval: use 30s, 5m, 1h, 1d');
  if (out.from >= out.to) throw new Error('from must be before to');
  return out;
}

async function modelsAndFeatures(client: Client, r: ViewRequest) {
  const res = await client.search(
    {
      index: `${streamPattern('metrics')},${streamPattern('predictions')}`,
      size: 0,
      ignore_unavailable: true,
      allow_no_indices: true,
      query: {
        bool: {
          filter: [
            { range: { '@timestamp': { gte: r.from, lte: r.to, format: 'epoch_millis' } } },
            ...(r.namespace ? [{ term: { 'data_stream.namespace': r.namespace } }] : []),
          ],
        },
      },
      aggs: {
        models: { terms: { field: 'mlmon.model.name', size: 200 } },
        features: { terms: { field: 'mlmon.feature.name', size: 500 } },
      },
    },
    { ignore: [404] },
  );
  const keys = (name: string) =>
    ((res.aggregations?.[name] as { buckets?: { key: string }[] } | undefined)?.buckets ?? []).map(
      (b) => b.key,
    );
  return { models: keys('models'), features: keys('features') };
}

async function handle(client: Client, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method !== 'GET') return sendJson(res, 405, { error: 'GET only' });
  if (url.pathname === '/' || url.pathname === '/index.html')
    return send(res, 200, 'text/html; charset=utf-8', readFileSync(pagePath()));
  const vendor = VENDOR[url.pathname];
  if (vendor) return send(res, 200, 'text/javascript; charset=utf-8', readFileSync(require.resolve(vendor)));
  if (url.pathname === '/api/dashboards') {
    const dashboards = readDashboards().map((d) => ({
      ...d,
      panels: d.panels.map((p) => ({ ...p, title: readChart(p.chart).title ?? p.chart })),
    }));
    return sendJson(res, 200, dashboards);
  }
  let view: ViewRequest;
  try {
    view = viewRequestOf(url.searchParams);
  } catch (err) {
    return sendJson(res, 400, { error: err instanceof Error ? err.message : String(err) });
  }
  if (url.pathname === '/api/options') return sendJson(res, 200, await modelsAndFeatures(client, view));
  const chart = /^\/api\/chart\/([a-z0-9-]+)$/.exec(url.pathname)?.[1];
  if (chart && chartNames().includes(chart)) {
    const spec = readChart(chart);
    const data = await fetchChartData(client, spec, queryContext(view));
    return sendJson(res, 200, { spec: withInlineData(spec, data.rows), rows: data.rows.length });
  }
  return sendJson(res, 404, { error: `not found: ${url.pathname}` });
}

/** Starts the server on 127.0.0.1 (never another interface); port 0 picks a free one. */
export async function startDashboardServer(
  client: Client,
  port: number,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    handle(client, req, res).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      if (!res.headersSent) sendJson(res, 502, { error: message });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${address.port}/` };
}
