import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseTime } from '../config/time.js';
import { MlmonError } from '../contract/errors.js';
import { buildReport } from '../dashboard/report.js';
import type { ViewRequest } from '../dashboard/selection.js';
import { startDashboardServer } from '../dashboard/server.js';
import { cliClient, withClient } from './context.js';

interface RangeOptions {
  from: string;
  to: string;
  model?: string;
  feature?: string;
  namespace?: string;
  interval?: string;
}

function viewRequest(o: RangeOptions): ViewRequest {
  const now = Date.now();
  const r: ViewRequest = { from: parseTime(o.from, '--from', now), to: parseTime(o.to, '--to', now) };
  if (r.from >= r.to) throw new MlmonError('--from must be before --to', { exit: 'usage' });
  for (const k of ['model', 'feature', 'namespace', 'interval'] as const) if (o[k]) r[k] = o[k];
  return r;
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new MlmonError(`--port: "${v}" is not a port`, {
      exit: 'usage',
      fix: 'use 0-65535 (0: any free port)',
    });
  return n;
}

export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description(
      'serve the dashboards locally (127.0.0.1), without Kibana: the same Vega-Lite charts and queries',
    )
    .option('--port <n>', 'port on 127.0.0.1 (0: any free port)', '5602')
    .action(async (o: { port: string }, cmd: Command) => {
      const port = parsePort(o.port);
      const client = cliClient(cmd);
      let started: Awaited<ReturnType<typeof startDashboardServer>>;
      try {
        started = await startDashboardServer(client, port);
      } catch (err) {
        await client.close();
        throw new MlmonError(`cannot listen on 127.0.0.1:${port}: ${(err as Error).message}`, {
          exit: 'usage',
          fix: 'choose another --port',
        });
      }
      console.log(`mlmon dashboard on ${started.url} (Ctrl-C stops it)`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          started.server.close(() => resolve());
          started.server.closeAllConnections();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await client.close();
    });

  program
    .command('report')
    .description('write a static, self-contained HTML report: every dashboard chart and the alert events')
    .option('--out <file>', 'output file', 'report.html')
    .option('--from <time>', 'start: ISO 8601, epoch ms, now-24h', 'now-24h')
    .option('--to <time>', 'end', 'now')
    .option('--model <name>', 'one model only')
    .option('--feature <name>', 'one feature only (feature charts and alerts)')
    .option('--namespace <ns>', 'one data-stream namespace only')
    .option('--interval <d>', 'fixed chart interval (30s, 5m, 1h; default: about 50 per range)')
    .action(async (o: RangeOptions & { out: string }, cmd: Command) => {
      const r = viewRequest(o);
      const report = await withClient(cmd, (client) => buildReport(client, r));
      writeFileSync(o.out, report.html);
      const withData = report.charts.filter((c) => c.rows > 0).length;
      console.log(
        `wrote ${o.out}: ${report.charts.length} charts (${withData} with data), ${report.alerts.length} alert events`,
      );
    });
}
