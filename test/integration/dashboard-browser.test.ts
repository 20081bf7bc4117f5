import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { readDashboards } from '../../src/dashboard/chart-assets.js';
import { launchChromium, SCREENSHOT_DIR, watchErrors } from '../helpers/browser.js';
import { mlmon } from '../helpers/cli.js';
import { testClient } from '../helpers/cluster.js';
import { createDashboardData, type DashboardData, MIN } from '../helpers/dashboard-data.js';

/**
 * `mlmon dashboard` and `mlmon report` in headless Chromium, on data the transport logged and the job
 * computed a few minutes ago (dead letters are stamped with the time they were rejected: now).
 */
const client = testClient();
const repoRoot = process.env.MLMON_REPO_ROOT ?? process.cwd();
const url = client.connectionPool.connections[0]?.url.origin ?? '';
const T0 = Math.floor(Date.now() / MIN) * MIN - 10 * MIN;
let d: DashboardData;
let browser: Browser;
let server: ChildProcess | undefined;
let dashboardUrl = '';

before(async () => {
  d = await createDashboardData(client, T0);
  browser = await launchChromium();
  server = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'main.ts'), 'dashboard', '--port', '0', '--node', url],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  dashboardUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    server?.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    server?.once('exit', (code) => reject(new Error(`mlmon dashboard exited ${code}: ${out}`)));
  });
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server?.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  await d?.dispose();
});

const range = () => ({
  from: new Date(T0 - MIN).toISOString(),
  to: new Date(Date.now() + MIN).toISOString(),
});

for (const dashboard of readDashboards()) {
  test(`mlmon dashboard: ${dashboard.name} renders every chart non-empty, without console errors`, async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors = watchErrors(page);
    const q = new URLSearchParams({ dashboard: dashboard.name, ...range(), model: d.model, interval: '1m' });
    await page.goto(`${dashboardUrl}?${q}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    const panels = await page.$$eval('section.panel', (els) =>
      els.map((e) => ({
        chart: e.getAttribute('data-chart'),
        state: e.getAttribute('data-state'),
        marks: Number(e.getAttribute('data-marks') ?? 0),
        svgs: e.querySelectorAll('svg').length,
      })),
    );
    // the charts were asked for the selected model only
    const selected = await page.$eval('select[name=model]', (e) => (e as unknown as { value: string }).value);
    await page.screenshot({ path: join(SCREENSHOT_DIR, `dashboard-${dashboard.name}.png`), fullPage: true });
    await page.close();
    assert.deepEqual(
      panels.map((p) => p.chart),
      dashboard.panels.map((p) => p.chart),
    );
    for (const p of panels) {
      assert.equal(p.state, 'rendered', `${p.chart}`);
      assert.ok(p.marks > 0 && p.svgs === 1, `${p.chart}: ${p.marks} marks`);
    }
    assert.equal(selected, d.model);
    assert.deepEqual(errors, []);
  });
}

test('mlmon dashboard: an unknown dashboard name says so, names the dashboards, and shows the first', async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = watchErrors(page);
  const q = new URLSearchParams({ dashboard: 'overveiw', ...range(), model: d.model, interval: '1m' });
  await page.goto(`${dashboardUrl}?${q}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  const warning = await page.$eval('#unknown-dashboard', (e) => ({
    hidden: (e as unknown as { hidden: boolean }).hidden,
    text: e.textContent ?? '',
  }));
  const active = await page.$eval('#tabs a.active', (e) => e.textContent);
  await page.screenshot({ path: join(SCREENSHOT_DIR, 'dashboard-unknown-name.png') });
  await page.close();
  assert.equal(warning.hidden, false);
  assert.equal(
    warning.text,
    `There is no dashboard "overveiw": showing overview. The dashboards are ${readDashboards()
      .map((x) => x.name)
      .join(', ')}.`,
  );
  assert.equal(active, 'overview');
  assert.deepEqual(errors, []);
  // a known name shows no warning
  const ok = await browser.newPage();
  await ok.goto(`${dashboardUrl}?${new URLSearchParams({ dashboard: 'operations', ...range() })}`);
  await ok.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  assert.equal(
    await ok.$eval('#unknown-dashboard', (e) => (e as unknown as { hidden: boolean }).hidden),
    true,
  );
  await ok.close();
});

test('mlmon dashboard: the model selector lists the model; a chart request answers inline data', async () => {
  const q = new URLSearchParams({ ...range(), model: d.model, interval: '1m' });
  const res = await fetch(`${dashboardUrl}api/chart/volume?${q}`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { spec: { data: { values: { doc_count: number }[] } }; rows: number };
  assert.equal(
    body.spec.data.values.reduce((s, r) => s + r.doc_count, 0),
    d.scores.flat().length,
  );
  const options = (await (await fetch(`${dashboardUrl}api/options?${q}`)).json()) as { models: string[] };
  assert.ok(options.models.includes(d.model));
  assert.equal((await fetch(`${dashboardUrl}api/chart/nope?${q}`)).status, 404);
  assert.equal((await fetch(`${dashboardUrl}api/chart/volume?from=later`)).status, 400);
});

test('mlmon report: a self-contained HTML file with every chart and the alert table', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'mlmon-report-')), 'report.html');
  const { from, to } = range();
  const res = mlmon(['report', '--out', out, '--from', from, '--to', to, '--model', d.model, '--node', url]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /wrote .*report\.html: 15 charts \(15 with data\), \d+ alert events/);
  const html = readFileSync(out, 'utf8');
  // nothing to fetch: no scripts, no external resources
  assert.doesNotMatch(html, /<script|<link[^>]+href="http|src="http/);

  const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  const errors = watchErrors(page);
  const requests: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url());
  });
  await page.goto(`file://${out}`);
  const figures = await page.$$eval('figure', (els) =>
    els.map((e) => ({
      chart: e.getAttribute('data-chart'),
      shapes: e.querySelectorAll('svg path, svg rect, svg line').length,
      width: e.querySelector('svg')?.getBoundingClientRect().width ?? 0,
    })),
  );
  const rows = await page.$$eval('#alerts tbody tr', (trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
  );
  await page.screenshot({ path: join(SCREENSHOT_DIR, 'report.png'), fullPage: true });
  await page.close();
  assert.equal(figures.length, readDashboards().flatMap((x) => x.panels).length);
  for (const f of figures) assert.ok(f.shapes > 5 && f.width > 100, `${f.chart}: ${f.shapes} shapes`);
  // the alert table holds the job's events (action, feature, metric, severity)
  assert.deepEqual(
    rows.map((r) => `${r[1]}|${r[3]}|${r[5]}|${r[8]}`).sort(),
    d.report.notifications
      .map((n) => `${n.action}|${n.alert.feature}|${n.alert.metric}|${n.alert.severity}`)
      .sort(),
  );
  assert.deepEqual(requests, []);
  assert.deepEqual(errors, []);
});

test('mlmon report --feature narrows the alert events chart as it narrows the alert table', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'mlmon-report-')), 'report.html');
  const { from, to } = range();
  const feature = d.report.notifications[0]?.alert.feature as string;
  const res = mlmon([
    'report',
    '--out',
    out,
    '--from',
    from,
    '--to',
    to,
    '--model',
    d.model,
    '--feature',
    feature,
    '--node',
    url,
  ]);
  assert.equal(res.code, 0, res.stderr);
  const html = readFileSync(out, 'utf8');
  const timelineRows = Number(/data-chart="alerts-timeline" data-rows="(\d+)"/.exec(html)?.[1]);
  const tableRows = (html.split('<table id="alerts">')[1]?.match(/<tr>/g) ?? []).length - 1;
  const expected = d.report.notifications.filter((n) => n.alert.feature === feature).length;
  assert.ok(expected > 0 && expected < d.report.notifications.length, `${expected} events for ${feature}`);
  assert.equal(tableRows, expected);
  assert.equal(timelineRows, expected);
});

test('mlmon report and dashboard: clear answers for an unreachable cluster, a bad range, a bad port', () => {
  const unreachable = mlmon([
    'report',
    '--out',
    join(tmpdir(), 'never.html'),
    '--node',
    'http://127.0.0.1:1',
  ]);
  assert.equal(unreachable.code, 4);
  assert.match(unreachable.stderr, /cannot reach http:\/\/127\.0\.0\.1:1/);
  const range = mlmon(['report', '--from', 'now', '--to', 'now-1h', '--node', url]);
  assert.equal(range.code, 2);
  assert.match(range.stderr, /--from must be before --to/);
  const port = mlmon(['dashboard', '--port', '70000']);
  assert.equal(port.code, 2);
  assert.match(port.stderr, /--port: "70000" is not a port/);
});
