/**
 * `mlmon report`: one static HTML file with every dashboard's charts rendered to SVG on this side
 * (no script, no network: it opens anywhere) and the table of alert events in the time range.
 */
import type { Client } from '@elastic/elasticsearch';
import { ASSET_PATHS } from '../assets/layout.js';
import { readTextAsset } from '../assets/package-files.js';
import { streamPattern } from '../contract/streams.js';
import { readChart, readDashboards } from './chart-assets.js';
import { fetchChartData, withInlineData } from './chart-data.js';
import { renderSvg } from './render.js';
import { queryContext, type ViewRequest } from './selection.js';

export interface AlertRow {
  time: string;
  action: string;
  model: string;
  feature: string;
  rule: string;
  metric: string;
  value: string;
  threshold: string;
  severity: string;
}

export interface Report {
  html: string;
  charts: { chart: string; rows: number }[];
  alerts: AlertRow[];
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** The alert events in the range, newest first, narrowed like the charts (model, feature, namespace). */
export async function alertRows(client: Client, r: ViewRequest, limit = 1000): Promise<AlertRow[]> {
  const filter: unknown[] = [{ range: { '@timestamp': { gte: r.from, lte: r.to, format: 'epoch_millis' } } }];
  if (r.model) filter.push({ term: { 'mlmon.model.name': r.model } });
  if (r.feature) filter.push({ term: { 'mlmon.alert.feature': r.feature } });
  if (r.namespace) filter.push({ term: { 'data_stream.namespace': r.namespace } });
  const res = await client.transport.request<{
    hits?: { hits: { _source: unknown }[] };
  }>({
    method: 'POST',
    path: `/${streamPattern('alerts')}/_search`,
    querystring: { ignore_unavailable: true, allow_no_indices: true },
    body: { size: limit, sort: [{ '@timestamp': { order: 'desc' } }], query: { bool: { filter } } },
  });
  return (res.hits?.hits ?? []).map((h) => {
    const s = h._source as {
      '@timestamp': string;
      event?: { action?: string };
      mlmon?: { model?: { name?: string }; alert?: Record<string, string | undefined> };
    };
    const a = s.mlmon?.alert ?? {};
    return {
      time: s['@timestamp'],
      action: s.event?.action ?? a.status ?? '',
      model: s.mlmon?.model?.name ?? '',
      feature: a.feature ?? '',
      rule: a.rule ?? '',
      metric: a.metric ?? '',
      value: a.value ?? '',
      threshold: a.threshold ?? '',
      severity: a.severity ?? '',
    };
  });
}

function alertTable(rows: AlertRow[]): string {
  if (!rows.length) return '<p class="description">No alert events in this range.</p>';
  const cols: (keyof AlertRow)[] = [
    'time',
    'action',
    'model',
    'feature',
    'rule',
    'metric',
    'value',
    'threshold',
    'severity',
  ];
  const head = cols.map((c) => `<th>${c}</th>`).join('');
  const body = rows
    .map(
      (r) =>
        `<tr>${cols
          .map(
            (c) =>
              `<td${c === 'severity' ? ` class="${escapeHtml(r.severity)}"` : ''}>${escapeHtml(r[c])}</td>`,
          )
          .join('')}</tr>`,
    )
    .join('\n');
  return `<table id="alerts"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export async function buildReport(client: Client, r: ViewRequest): Promise<Report> {
  const charts: Report['charts'] = [];
  const sections: string[] = [];
  for (const d of readDashboards()) {
    const figures: string[] = [];
    for (const p of d.panels) {
      const spec = readChart(p.chart);
      // every selection the report was asked for narrows each chart that has a field for it (the alert
      // events of the overview too), as the alert table is narrowed; a dashboard's own selections only
      // decide which controls the interactive page shows
      const data = await fetchChartData(client, spec, queryContext(r));
      charts.push({ chart: p.chart, rows: data.rows.length });
      // half or full width of the page, as on the dashboard's grid
      const width = p.w >= 40 ? 1080 : 500;
      // the chart carries its own title; an empty one gets a caption instead
      const body = data.rows.length
        ? await renderSvg(withInlineData(spec, data.rows), { width, height: 200 })
        : `<figcaption>${escapeHtml(spec.title ?? p.chart)}</figcaption><div class="empty">no data in this range</div>`;
      figures.push(`<figure data-chart="${p.chart}" data-rows="${data.rows.length}">${body}</figure>`);
    }
    sections.push(
      `<section id="${d.name}"><h2>${escapeHtml(d.title)}</h2><p class="description">${escapeHtml(
        d.description,
      )}</p><div class="charts">${figures.join('\n')}</div></section>`,
    );
  }
  const alerts = await alertRows(client, r);
  sections.push(`<section id="alert-events"><h2>Alert events</h2>${alertTable(alerts)}</section>`);
  const scope = [
    r.model ? `model ${r.model}` : 'all models',
    r.feature ? `feature ${r.feature}` : '',
    r.namespace ? `namespace ${r.namespace}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const template = readTextAsset(ASSET_PATHS.page('report'));
  const fill: Record<string, string> = {
    title: escapeHtml(`ML input monitoring report${r.model ? `: ${r.model}` : ''}`),
    meta: escapeHtml(
      `${new Date(r.from).toISOString()} to ${new Date(r.to).toISOString()}; ${scope}; generated ${new Date().toISOString()}`,
    ),
    content: sections.join('\n'),
  };
  const html = template.replace(/\{\{(\w+)\}\}/g, (_, k: string) => fill[k] ?? '');
  return { html, charts, alerts };
}
