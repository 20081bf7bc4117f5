import type { Command } from 'commander';
import { getBaseline, listBaselines } from '../baseline/baseline-reader.js';
import { loadConfig, type MlmonConfig, parseWindowEvery } from '../config/mlmon-config.js';
import { parseTime } from '../config/time.js';
import { ExitCode, MlmonError } from '../contract/errors.js';
import { MetricsExporter } from '../job/exporter.js';
import { type RunReport, runOnce } from '../job/runner.js';
import { JobState } from '../job/state.js';
import type { Performance } from '../metrics/performance.js';
import { computeWindow, type WindowMetrics } from '../metrics/window.js';
import { fmt, reportMalformed, table, withClient } from './context.js';

function metricsTable(m: WindowMetrics): string {
  const rows = Object.entries(m.features).map(([name, f]) => [
    name,
    f.type,
    f.count,
    fmt(f.na_rate, 3),
    fmt(f.unseen_rate ?? f.oov_rate, 3),
    fmt(f.psi ?? f.js, 3),
    fmt(f.ks_p_value ?? f.chi2_p_value, 3),
    f.status,
  ]);
  if (m.prediction) {
    const f = m.prediction;
    rows.push([
      '(prediction)',
      f.type,
      f.count,
      fmt(f.na_rate, 3),
      '-',
      fmt(f.psi ?? f.js, 3),
      fmt(f.ks_p_value ?? f.chi2_p_value, 3),
      f.status,
    ]);
  }
  return table(['feature', 'type', 'values', 'na_rate', 'unseen/oov', 'psi/js', 'p', 'status'], rows);
}

/** The feature-name mismatches of windows, each once. */
function nameLines(ms: readonly WindowMetrics[]): string[] {
  const lines = new Set<string>();
  for (const m of ms) {
    for (const u of m.names?.unknown ?? [])
      lines.add(
        `${m.model}: feature "${u.feature}" is not in the baseline, not monitored${u.closest ? ` (did you mean "${u.closest}"?)` : ''}`,
      );
    for (const n of m.names?.never_seen ?? [])
      lines.add(`${m.model}: baseline feature "${n}" has no value in the window's documents`);
  }
  return [...lines];
}

function summary(r: RunReport): string {
  const lines = r.windows.map(
    (w) =>
      `${w.model}  ${w.from} .. ${w.to}  ${w.docs} docs  ${w.alerts} alert(s)${w.existing ? `  (${w.existing} metric docs already stored)` : ''}`,
  );
  if (r.skipped) lines.push(`${r.skipped} older window(s) beyond window.max_catch_up were skipped`);
  if (!r.models.length)
    lines.push(
      'nothing to do: no model in mlmon.yml and no baseline stored; store one with `mlmon baseline --model <m> --version <v> --from <file>`',
    );
  for (const i of r.idle) lines.push(`${i.model}: no window computed: ${i.reason}`);
  if (!r.windows.length && r.models.length)
    lines.push('for history (windows before the checkpoint) run `mlmon run --backfill <from> <to>`');
  for (const n of r.notifications)
    lines.push(
      `${n.action.toUpperCase()}  ${n.alert.model} ${n.alert.feature} ${n.alert.rule} ${n.alert.metric}=${n.alert.value} (${n.alert.severity})`,
    );
  for (const f of r.notifyFailures) lines.push(`notification failed: ${f}`);
  if (r.relabeled.created)
    lines.push(
      `performance of ${r.relabeled.created} earlier window(s) computed again: their labels changed`,
    );
  lines.push(...nameLines(r.metrics));
  lines.push(`${r.firing.length} alert(s) firing`);
  return lines.join('\n');
}

function configOf(cmd: Command): MlmonConfig {
  const o = cmd.opts<{ config?: string; index?: string; baselineIndex?: string }>();
  const c = loadConfig(o.config);
  if (o.index) c.index = o.index;
  if (o.baselineIndex) c.baselineIndex = o.baselineIndex;
  return c;
}

/** One line of a window's realized performance: what was labelled, and the task's headline figures. */
function performanceLine(p: Performance): string {
  const figure = (k: keyof Performance) => (typeof p[k] === 'number' ? ` ${k} ${fmt(p[k] as number)}` : '');
  const keys: (keyof Performance)[] =
    p.task === 'classification'
      ? ['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'log_loss']
      : ['mae', 'rmse', 'mape', 'mean_error', 'r2'];
  const coverage = p.coverage === undefined ? '' : ` (coverage ${fmt(p.coverage)})`;
  const unknown = p.unknown_labels ? `, ${p.unknown_labels} labels for unknown ids` : '';
  return `performance: ${p.labeled} labelled${coverage}${unknown}:${keys.map(figure).join('')}`;
}

export function registerMonitor(program: Command): void {
  program
    .command('metrics')
    .description('compute one window ad hoc and print it (nothing is written)')
    .requiredOption('--model <name>', 'model')
    .option('--version <v>', 'one version only (default: all, against the newest baseline)')
    .requiredOption('--from <time>', 'window start: ISO 8601, epoch ms, now-1h')
    .requiredOption('--to <time>', 'window end (exclusive)')
    .option('--config <file>', 'mlmon.yml (default: ./mlmon.yml if present)')
    .option('--index <pattern>', 'predictions data streams')
    .option('--baseline-index <name>', 'baseline index')
    .option('--json', 'print JSON')
    .action(
      async (
        o: { model: string; version?: string; from: string; to: string; json?: boolean },
        cmd: Command,
      ) => {
        const config = configOf(cmd);
        const from = parseTime(o.from, '--from');
        const to = parseTime(o.to, '--to');
        if (to <= from) throw new MlmonError('--to must be after --from', { exit: 'usage' });
        const m = await withClient(cmd, async (client) => {
          const b =
            (await getBaseline(client, o.model, o.version, config.baselineIndex, reportMalformed)) ??
            (o.version
              ? await getBaseline(client, o.model, undefined, config.baselineIndex, reportMalformed)
              : undefined);
          if (!b)
            throw new MlmonError(`no baseline for ${o.model}`, {
              exit: 'badInput',
              fix: `mlmon baseline --model ${o.model} --version <v> --from <file>`,
            });
          const known = (await listBaselines(client, o.model, config.baselineIndex, reportMalformed)).map(
            (s) => s.version,
          );
          const spec = {
            model: o.model,
            from: new Date(from),
            to: new Date(to),
            index: config.index,
            ...(o.version ? { version: o.version } : {}),
          };
          return computeWindow(client, spec, b, config.rules, known);
        });
        if (o.json) console.log(JSON.stringify(m, null, 2));
        else {
          console.log(
            `${m.model}${m.version ? `@${m.version}` : ''} ${m.window.from} .. ${m.window.to}: ${m.docs} documents, baseline ${m.baseline}\n`,
          );
          console.log(metricsTable(m));
          for (const a of m.alerts)
            console.log(
              `${a.severity.toUpperCase()}  ${a.feature} ${a.rule}: ${a.metric} ${typeof a.value === 'number' ? fmt(a.value) : a.value} >= ${a.threshold}`,
            );
          for (const line of nameLines([m])) console.log(line);
          if (m.performance) console.log(performanceLine(m.performance));
        }
      },
    );

  program
    .command('run')
    .description('compute every window since the last one, write metrics and alerts, notify')
    .option('--once', 'run once (for cron) and exit; non-zero on a cluster error')
    .option(
      '--every <duration>',
      'run on this period until SIGTERM/SIGINT (default: window.every of mlmon.yml)',
    )
    .option('--backfill <range...>', 'compute the windows of <from> <to> (checkpoint untouched)')
    .option('--metrics-port <port>', 'serve Prometheus gauges on 127.0.0.1:<port>/metrics')
    .option('--config <file>', 'mlmon.yml (default: ./mlmon.yml if present)')
    .option('--index <pattern>', 'predictions data streams')
    .option('--baseline-index <name>', 'baseline index')
    .option('--json', 'print each run report as JSON')
    .action(
      async (
        o: { once?: boolean; every?: string; backfill?: string[]; metricsPort?: string; json?: boolean },
        cmd: Command,
      ) => {
        const config = configOf(cmd);
        // --every sets the window size too: one window per run (checked before anything starts)
        const everyMs = o.every ? parseWindowEvery(o.every, '--every') : config.window.everyMs;
        const exporter = o.metricsPort ? new MetricsExporter() : undefined;
        if (exporter) {
          const port = await exporter.listen(Number(o.metricsPort));
          process.stderr.write(`Prometheus metrics on http://127.0.0.1:${port}/metrics\n`);
        }
        const print = (r: RunReport) => {
          exporter?.report(r);
          if (o.json) console.log(JSON.stringify({ ...r, metrics: undefined }));
          else console.log(summary(r));
        };
        if (o.backfill) {
          if (o.backfill.length !== 2)
            throw new MlmonError('--backfill takes <from> <to>', { exit: 'usage' });
          const backfill = {
            from: parseTime(o.backfill[0] as string, '--backfill from'),
            to: parseTime(o.backfill[1] as string, '--backfill to'),
          };
          print(
            await withClient(cmd, (client) =>
              runOnce(client, config, { backfill, onMalformed: reportMalformed }),
            ),
          );
          await exporter?.close();
          return;
        }
        if (o.once) {
          print(await withClient(cmd, (client) => runOnce(client, config, { onMalformed: reportMalformed })));
          await exporter?.close();
          return;
        }
        config.window.everyMs = everyMs;
        let stopping = false;
        let wake: (() => void) | undefined;
        const stop = () => {
          stopping = true;
          wake?.();
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
        while (!stopping) {
          try {
            print(
              await withClient(cmd, (client) => runOnce(client, config, { onMalformed: reportMalformed })),
            );
          } catch (err) {
            // a cluster error: say so and try again at the next tick
            process.stderr.write(`mlmon run: ${(err as Error).message}; retrying in ${everyMs / 1000}s\n`);
          }
          if (stopping) break;
          const next = Math.ceil((Date.now() + 1) / everyMs) * everyMs + config.window.delayMs;
          await new Promise<void>((resolve) => {
            // a signal ends the wait at once; the timer must not keep the process alive
            const timer = setTimeout(resolve, Math.max(0, next - Date.now()));
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
        await exporter?.close();
      },
    );

  program
    .command('check')
    .description('exit 1 when any alert is firing, 0 otherwise (for CI and cron)')
    .option('--model <name>', 'only this model')
    .option('--json', 'print JSON')
    .action(async (o: { model?: string; json?: boolean }, cmd: Command) => {
      const firing = await withClient(cmd, (client) => new JobState(client).firing(o.model));
      if (o.json) console.log(JSON.stringify({ firing }, null, 2));
      else if (firing.length === 0) console.log('no alert firing');
      else
        console.log(
          table(
            ['model', 'feature', 'rule', 'metric', 'value', 'severity', 'since'],
            firing.map((a) => [
              a.model,
              a.feature,
              a.rule,
              a.metric,
              typeof a.value === 'number' ? fmt(a.value) : a.value,
              a.severity,
              a.first_seen,
            ]),
          ),
        );
      process.exitCode = firing.length ? ExitCode.firing : ExitCode.ok;
    });
}
