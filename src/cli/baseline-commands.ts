import { SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { localBaselinePath, writeLocalBaseline } from '../baseline/baseline-file.js';
import { getBaseline, listBaselines } from '../baseline/baseline-reader.js';
import { saveBaseline, validateName } from '../baseline/baseline-writer.js';
import { diffBaselines } from '../baseline/diff.js';
import { profileFile } from '../baseline/profiler.js';
import { inputExtensionsText } from '../baseline/readers.js';
import { loadSchema } from '../baseline/schema.js';
import type { Baseline, FeatureProfile } from '../contract/baseline-document.js';
import { MlmonError } from '../contract/errors.js';
import { BASELINES_INDEX } from '../contract/streams.js';
import { requestViaClient } from '../es/raw-request.js';
import { installBaselinePipelines } from '../setup/baseline-pipelines.js';
import { fmt, reportMalformed, table, withClient } from './context.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function detail(p: FeatureProfile): string {
  if (p.numeric) {
    const n = p.numeric;
    return `min ${fmt(n.min)}  mean ${fmt(n.mean)}  max ${fmt(n.max)}  std ${fmt(n.std)}  ${n.bins.counts.length} bins (${n.quantile_method})`;
  }
  if (p.categorical) {
    const top = Object.entries(p.categorical.values)
      .slice(0, 3)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    return `${p.categorical.distinct} distinct${p.categorical.approximate ? ' (top kept, approximate)' : ''}: ${top}`;
  }
  if (p.text) {
    const t = p.text;
    return `vocabulary ${Object.keys(t.vocabulary).length}/${t.vocabulary_seen}  tokens/doc ${fmt(t.tokens_per_doc.mean, 3)}`;
  }
  if (p.boolean) return `true ${p.boolean.true}  false ${p.boolean.false}`;
  if (p.identifier)
    return `${p.identifier.distinct}${p.identifier.approximate ? '+' : ''} distinct (${fmt(100 * p.identifier.distinct_share, 3)}%)`;
  if (p.datetime) return `${p.datetime.min} .. ${p.datetime.max}`;
  return '';
}

export function summaryTable(b: Baseline): string {
  const row = (name: string, p: FeatureProfile) => [
    name,
    p.type,
    fmt(p.na_rate, 3),
    p.invalid_count,
    detail(p),
    p.type_reason ?? '',
  ];
  const rows: (string | number)[][] = Object.entries(b.features).map(([name, p]) => row(name, p));
  if (b.prediction) rows.push(row(`${b.prediction.column} (prediction)`, b.prediction));
  if (b.label) rows.push(row(`${b.label.column} (label)`, b.label));
  return table(['feature', 'type', 'na_rate', 'invalid', 'profile', 'why this type'], rows);
}

interface ProfileFlags {
  model: string;
  version: string;
  from: string;
  schema?: string;
  format?: string;
  predictionColumn?: string;
  labelColumn?: string;
  sample?: number;
  bins?: number;
  categoryLimit?: number;
  vocabularyLimit?: number;
  onError: 'fail' | 'skip';
  emptyIsNa: boolean;
  out?: string;
  dir: string;
  store: boolean;
  index: string;
  json?: boolean;
}

export function registerBaseline(program: Command): void {
  const baseline = program
    .command('baseline')
    .description('profile training data and store the baseline (subcommands: list, show, diff)')
    .option('--model <name>', 'model name')
    .option('--version <v>', 'model version')
    .option('--from <file>', `training data: ${inputExtensionsText()} (or --format)`)
    .option('--schema <file>', 'YAML schema: types, ignored columns, missing values')
    .addOption(
      new Option('--format <format>', 'input format (default: from the file name)').choices([
        'csv',
        'jsonl',
        'parquet',
      ]),
    )
    .option('--prediction-column <c>', "the model's output column, profiled like a feature")
    .option('--label-column <c>', 'the label column')
    .option('--sample <n>', 'profile about n rows drawn at random (fixed seed)', positiveInt)
    .option('--bins <n>', 'equal-frequency bins per numeric feature (default 10)', positiveInt)
    .option(
      '--category-limit <n>',
      'distinct values kept per categorical feature (default 10000)',
      positiveInt,
    )
    .option('--vocabulary-limit <n>', 'tokens kept per text feature (default 50000)', positiveInt)
    .addOption(
      new Option('--on-error <mode>', 'malformed rows: fail, or count and skip')
        .choices(['fail', 'skip'])
        .default('fail'),
    )
    .option('--no-empty-is-na', 'count "" as a value, not as missing')
    .option('--out <file>', 'local JSON copy (default: <dir>/<model>/<version>.json)')
    .option('--dir <dir>', 'directory of local baselines', '.mlmon/baselines')
    .option('--no-store', 'do not store the baseline in Elasticsearch')
    .option('--index <name>', 'baseline index', BASELINES_INDEX)
    .option('--json', 'print the baseline as JSON instead of a summary')
    .action(async (flags: ProfileFlags, cmd: Command) => {
      for (const required of ['model', 'version', 'from'] as const) {
        if (!flags[required])
          throw new MlmonError(`missing --${required}`, {
            exit: 'usage',
            fix: 'mlmon baseline --model <name> --version <v> --from <file>',
          });
      }
      validateName('model', flags.model);
      validateName('version', flags.version);
      const schema = flags.schema ? loadSchema(flags.schema) : undefined;
      const showProgress = process.stderr.isTTY && !flags.json;
      const bar = showProgress
        ? new SingleBar({
            format: ' {phase} [{bar}] {percentage}% | {rows} rows',
            stream: process.stderr,
            hideCursor: true,
          })
        : undefined;
      let barStarted = false;
      const b = await profileFile({
        file: flags.from,
        model: flags.model,
        version: flags.version,
        ...(schema ? { schema } : {}),
        ...(flags.format ? { format: flags.format } : {}),
        ...(flags.predictionColumn ? { predictionColumn: flags.predictionColumn } : {}),
        ...(flags.labelColumn ? { labelColumn: flags.labelColumn } : {}),
        ...(flags.sample ? { sample: flags.sample } : {}),
        ...(flags.bins ? { bins: flags.bins } : {}),
        ...(flags.categoryLimit ? { categoryLimit: flags.categoryLimit } : {}),
        ...(flags.vocabularyLimit ? { vocabularyLimit: flags.vocabularyLimit } : {}),
        onError: flags.onError,
        emptyStringIsNa: flags.emptyIsNa,
        onProgress: ({ phase, rows, bytes, totalBytes }) => {
          if (!bar) return;
          if (!barStarted) {
            bar.start(totalBytes, 0, { phase, rows });
            barStarted = true;
          }
          bar.update(bytes, { phase, rows });
        },
        onWarning: (m) => {
          if (!flags.json) process.stderr.write(`${barStarted ? '\n' : ''}warning: ${m}\n`);
        },
      });
      bar?.stop();
      const out = flags.out ?? localBaselinePath(flags.dir, b.model, b.version);
      writeLocalBaseline(out, b);
      let stored: { id: string; replaced: boolean } | undefined;
      let pipelines: Awaited<ReturnType<typeof installBaselinePipelines>> | undefined;
      if (flags.store)
        stored = await withClient(cmd, async (client) => {
          const saved = await saveBaseline(client, b, flags.index);
          pipelines = await installBaselinePipelines(requestViaClient(client), b);
          return saved;
        });
      if (flags.json) {
        console.log(JSON.stringify(b, null, 2));
        return;
      }
      console.log(summaryTable(b));
      console.log(
        `\n${b.source.rows} rows${b.source.skipped_rows ? `, ${b.source.skipped_rows} malformed skipped` : ''}${b.source.sampled ? ' (sampled)' : ''}; written to ${out}`,
      );
      if (stored)
        console.log(
          `stored in ${flags.index} as ${stored.id}${stored.replaced ? ' (replaced the previous one)' : ''}`,
        );
      if (pipelines)
        console.log(
          'installed' in pipelines
            ? `ingest pipelines for other shippers: ${pipelines.installed.join(', ')}`
            : `ingest pipelines not installed: ${pipelines.skipped}`,
        );
      const sketched = Object.entries(b.features).filter(([, p]) => p.numeric?.quantile_method === 'sketch');
      if (sketched.length) {
        console.log(
          `bin edges estimated with a DDSketch (relative accuracy 0.5%) for: ${sketched.map(([n]) => n).join(', ')}; bin counts are exact`,
        );
      }
    });

  baseline
    .command('list')
    .description('baselines stored in Elasticsearch')
    .option('--model <name>', 'only this model')
    .option('--index <name>', 'baseline index', BASELINES_INDEX)
    .option('--json', 'print JSON')
    .action(async (flags: { model?: string; index: string; json?: boolean }, cmd: Command) => {
      const list = await withClient(cmd, (client) =>
        listBaselines(client, flags.model, flags.index, reportMalformed),
      );
      if (flags.json) console.log(JSON.stringify(list, null, 2));
      else if (list.length === 0) console.log('no baselines stored');
      else
        console.log(
          table(
            ['model', 'version', 'created_at', 'rows', 'features', 'source'],
            list.map((s) => [s.model, s.version, s.created_at, s.rows, s.features, s.source]),
          ),
        );
    });

  baseline
    .command('show <model> [version]')
    .description('one baseline (the newest of the model without a version)')
    .option('--index <name>', 'baseline index', BASELINES_INDEX)
    .option('--json', 'print JSON')
    .action(
      async (
        model: string,
        version: string | undefined,
        flags: { index: string; json?: boolean },
        cmd: Command,
      ) => {
        const b = await withClient(cmd, (client) =>
          getBaseline(client, model, version, flags.index, reportMalformed),
        );
        if (!b) {
          throw new MlmonError(`no baseline for ${model}${version ? `@${version}` : ''}`, {
            exit: 'badInput',
            fix: 'run `mlmon baseline list`, or create one with `mlmon baseline --from`',
          });
        }
        if (flags.json) console.log(JSON.stringify(b, null, 2));
        else {
          console.log(
            `${b.model}@${b.version}: ${b.source.rows} rows from ${b.source.file}, created ${b.created_at}\n`,
          );
          console.log(summaryTable(b));
        }
      },
    );

  baseline
    .command('diff <model> <from> <to>')
    .description('what changed between two versions: features, types, categories, vocabulary, ranges')
    .option('--index <name>', 'baseline index', BASELINES_INDEX)
    .option('--json', 'print JSON')
    .action(
      async (
        model: string,
        from: string,
        to: string,
        flags: { index: string; json?: boolean },
        cmd: Command,
      ) => {
        const [a, b] = await withClient(cmd, (client) =>
          Promise.all([
            getBaseline(client, model, from, flags.index, reportMalformed),
            getBaseline(client, model, to, flags.index, reportMalformed),
          ]),
        );
        for (const [v, x] of [
          [from, a],
          [to, b],
        ] as const) {
          if (!x)
            throw new MlmonError(`no baseline for ${model}@${v}`, {
              exit: 'badInput',
              fix: 'run `mlmon baseline list`',
            });
        }
        const d = diffBaselines(a as Baseline, b as Baseline);
        if (flags.json) {
          console.log(JSON.stringify(d, null, 2));
          return;
        }
        console.log(`${model}: ${from} -> ${to}`);
        if (d.added.length) console.log(`  added:   ${d.added.join(', ')}`);
        if (d.removed.length) console.log(`  removed: ${d.removed.join(', ')}`);
        for (const r of d.retyped) console.log(`  retyped: ${r.feature} ${r.from} -> ${r.to}`);
        for (const [name, c] of Object.entries(d.changed)) {
          const parts: string[] = [];
          if (c.na_rate) parts.push(`na_rate ${fmt(c.na_rate[0], 3)} -> ${fmt(c.na_rate[1], 3)}`);
          if (c.range)
            parts.push(
              `range [${fmt(c.range.min[0])}, ${fmt(c.range.max[0])}] -> [${fmt(c.range.min[1])}, ${fmt(c.range.max[1])}]`,
            );
          if (c.mean) parts.push(`mean ${fmt(c.mean[0])} -> ${fmt(c.mean[1])}`);
          if (c.categories)
            parts.push(
              `categories +${c.categories.added.length} (${c.categories.added.slice(0, 5).join(', ')}) -${c.categories.removed.length} (${c.categories.removed.slice(0, 5).join(', ')})`,
            );
          if (c.vocabulary) parts.push(`vocabulary +${c.vocabulary.added} -${c.vocabulary.removed}`);
          console.log(`  ${name}: ${parts.join('; ')}`);
        }
        if (!d.added.length && !d.removed.length && !d.retyped.length && !Object.keys(d.changed).length)
          console.log('  no differences');
      },
    );
}
