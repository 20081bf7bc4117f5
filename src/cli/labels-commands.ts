import { statSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import { type Command, Option } from 'commander';
import { validateName } from '../baseline/baseline-writer.js';
import { checkReadable, detectFormat, readRows } from '../baseline/readers.js';
import { loadConfig } from '../config/mlmon-config.js';
import { ExitCode, MlmonError } from '../contract/errors.js';
import { labelsStream, validateNamespace } from '../contract/streams.js';
import { MlInputTransport } from '../transport/ml-input-transport.js';
import { withClient } from './context.js';

interface LabelsFlags {
  model: string;
  version?: string;
  from: string;
  idColumn: string;
  labelColumn: string;
  timestampColumn?: string;
  format?: string;
  namespace?: string;
  config?: string;
  onError: 'fail' | 'skip';
  json?: boolean;
}

/** Labels handed to the transport between two flushes: well under its memory bound (no disk buffer here). */
const FLUSH_EVERY = 5_000;
const FLUSH_TIMEOUT_MS = 120_000;
/** Bad rows printed one by one; the rest are counted. */
const MAX_REPORTED = 20;

export interface UploadReport {
  file: string;
  stream: string;
  rows: number;
  labels: number;
  bad: { line: number; reason: string }[];
  badRows: number;
  stored: number;
  failed: number;
}

function cellTime(v: unknown): string | number | Date | undefined {
  if (v instanceof Date || typeof v === 'number' || typeof v === 'string') return v === '' ? undefined : v;
  return undefined;
}

export function registerLabels(program: Command): void {
  program
    .command('labels')
    .description(
      'upload ground truth from a file: one label per prediction id (README, "Labels and realized performance")',
    )
    .requiredOption('--model <name>', 'model name')
    .option('--version <v>', 'model version (stored with each label; the join is by model and id)')
    .requiredOption('--from <file>', 'labels: .csv, .jsonl or .parquet')
    .requiredOption('--id-column <c>', 'the prediction id column (the id given to logPrediction)')
    .requiredOption('--label-column <c>', 'the label column')
    .option(
      '--timestamp-column <c>',
      "when each label became known (default: the file's modification time, so uploading it again stores nothing twice)",
    )
    .addOption(
      new Option('--format <format>', 'input format (default: from the file name)').choices([
        'csv',
        'jsonl',
        'parquet',
      ]),
    )
    .option('--namespace <ns>', 'data stream namespace (default: mlmon.yml, else "default")')
    .option('--config <file>', 'mlmon.yml')
    .addOption(
      new Option(
        '--on-error <mode>',
        'malformed rows and rows without an id or a label: fail, or report and skip',
      )
        .choices(['fail', 'skip'])
        .default('fail'),
    )
    .option('--json', 'print the report as JSON')
    .action(async (flags: LabelsFlags, cmd: Command) => {
      validateName('model', flags.model);
      if (flags.version) validateName('version', flags.version);
      const namespace = validateNamespace(
        flags.namespace ?? loadConfig(flags.config).namespace,
        '--namespace',
      );
      const totalBytes = checkReadable(flags.from);
      const format = detectFormat(flags.from, flags.format);
      const fileTime = statSync(flags.from).mtime;
      const report: UploadReport = {
        file: flags.from,
        stream: labelsStream(namespace),
        rows: 0,
        labels: 0,
        bad: [],
        badRows: 0,
        stored: 0,
        failed: 0,
      };
      const bad = (line: number, reason: string) => {
        report.badRows++;
        if (report.bad.length < MAX_REPORTED) report.bad.push({ line, reason });
        if (!flags.json) process.stderr.write(`${flags.from}: line ${line}: ${reason}\n`);
        if (flags.onError === 'fail')
          throw new MlmonError(`${flags.from}: line ${line}: ${reason}`, {
            exit: 'badInput',
            fix: 'fix the row, or pass --on-error skip to report and skip bad rows',
          });
      };
      const bar =
        process.stderr.isTTY && !flags.json
          ? new SingleBar({ format: ' labels [{bar}] {percentage}% | {rows} rows', stream: process.stderr })
          : undefined;
      bar?.start(totalBytes, 0, { rows: 0 });
      await withClient(cmd, async (client) => {
        const transport = new MlInputTransport({
          client,
          namespace,
          model: flags.model,
          ...(flags.version ? { version: flags.version } : {}),
          baseline: false,
          // the file is the durable copy: a failed upload is run again (the ids make that safe)
          spillDir: false,
          checkTemplate: false,
        });
        const refused: string[] = [];
        transport.on('warn', (w: { code: string; message: string }) => {
          if (w.code === 'label_refused') refused.push(w.message);
        });
        try {
          let sinceFlush = 0;
          for await (const row of readRows(flags.from, format, {
            onError: flags.onError,
            onSkip: (line, reason) => bad(line, reason),
            ...(bar ? { onBytes: (b: number) => bar.update(b, { rows: report.rows }) } : {}),
          })) {
            report.rows++;
            const id = row.values[flags.idColumn];
            const label = row.values[flags.labelColumn];
            if (id === undefined || id === null || id === '') {
              bad(row.line, `no ${flags.idColumn}`);
              continue;
            }
            if (label === undefined || label === null || label === '') {
              bad(row.line, `no ${flags.labelColumn}`);
              continue;
            }
            const at = flags.timestampColumn ? cellTime(row.values[flags.timestampColumn]) : fileTime;
            if (at === undefined) {
              bad(row.line, `no ${flags.timestampColumn}`);
              continue;
            }
            const before = refused.length;
            transport.logLabel({ id: String(id), label: label as string, timestamp: at });
            if (refused.length > before) {
              bad(row.line, (refused.at(-1) as string).replace(/^label not logged: /, ''));
              continue;
            }
            report.labels++;
            if (++sinceFlush >= FLUSH_EVERY) {
              sinceFlush = 0;
              if (!(await transport.flush(FLUSH_TIMEOUT_MS)))
                throw new MlmonError(`the cluster took no labels for ${FLUSH_TIMEOUT_MS / 1000} s`, {
                  exit: 'connection',
                  fix: 'check the cluster (mlmon doctor), then run the upload again: labels stored already count once',
                });
            }
          }
          await transport.flush(FLUSH_TIMEOUT_MS);
        } finally {
          await transport.shutdown({ timeoutMs: 10_000 });
          const s = transport.stats();
          report.stored = s.indexed;
          report.failed = s.failed + s.deadLettered + s.dropped + s.queued + s.inFlight;
          bar?.stop();
        }
      });
      if (flags.json) console.log(JSON.stringify(report, null, 2));
      else
        console.log(
          `${report.rows} rows, ${report.labels} labels sent to ${report.stream}: ${report.stored} stored (a label sent before counts as stored)${report.failed ? `, ${report.failed} NOT stored` : ''}${report.badRows ? `, ${report.badRows} bad rows skipped` : ''}`,
        );
      if (report.failed) process.exitCode = ExitCode.partial;
    });
}
