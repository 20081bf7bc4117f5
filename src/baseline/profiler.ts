import type { Baseline } from '../contract/baseline-document.js';
import { MlmonError } from '../contract/errors.js';
import { assembleBaseline } from './assemble-baseline.js';
import { ColumnAccumulator, type ColumnSettings } from './column-accumulator.js';
import { type InferenceSample, type ProfileProgress, ProfileReader } from './profile-reader.js';
import { keepProbability, rowFilter } from './row-sampling.js';
import { type BaselineSchema, valueRules } from './schema.js';
import { columnType } from './type-inference.js';

export interface ProfileOptions {
  file: string;
  format?: string;
  model: string;
  version: string;
  schema?: BaselineSchema;
  predictionColumn?: string;
  labelColumn?: string;
  bins?: number;
  categoryLimit?: number;
  vocabularyLimit?: number;
  emptyStringIsNa?: boolean;
  /** numeric columns keep every value up to this many (exact quantiles), then switch to a sketch */
  exactQuantileLimit?: number;
  /** rows read to infer types */
  inferRows?: number;
  onError?: 'fail' | 'skip';
  /** profile about this many rows, drawn uniformly at random (fixed seed) */
  sample?: number;
  onProgress?: (p: ProfileProgress) => void;
  onWarning?: (message: string) => void;
}

export const baselineDefaults = {
  bins: 10,
  categoryLimit: 10_000,
  vocabularyLimit: 50_000,
  emptyStringIsNa: true,
  exactQuantileLimit: 200_000,
  inferRows: 10_000,
} as const;

/**
 * Profiles a training file in up to three passes: infer (types from the first rows), profile
 * (every kept row into its column's accumulator), count (exact bin counts where a sketch chose
 * the edges). The stages: profile-reader.ts, type-inference.ts, row-sampling.ts,
 * column-accumulator.ts, baseline-document.ts.
 */
export async function profileFile(opts: ProfileOptions): Promise<Baseline> {
  const reader = new ProfileReader(opts.file, opts.format, opts.onError ?? 'fail', opts.onProgress);
  const settings: ColumnSettings = {
    bins: opts.bins ?? baselineDefaults.bins,
    categoryLimit: opts.categoryLimit ?? baselineDefaults.categoryLimit,
    vocabularyLimit: opts.vocabularyLimit ?? baselineDefaults.vocabularyLimit,
    exactQuantileLimit: opts.exactQuantileLimit ?? baselineDefaults.exactQuantileLimit,
  };
  const emptyStringIsNa = opts.emptyStringIsNa ?? baselineDefaults.emptyStringIsNa;
  const schema = opts.schema ?? {};
  const predictionColumn = opts.predictionColumn ?? schema.prediction_column;
  const labelColumn = opts.labelColumn ?? schema.label_column;
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    opts.onWarning?.(m);
  };
  /** undefined for a column the schema ignores */
  const openColumn = (name: string, sample: readonly unknown[]): ColumnAccumulator | undefined => {
    const spec = schema.features?.[name];
    if (spec?.ignore) return undefined;
    const rules = valueRules(schema, name, emptyStringIsNa);
    const choice = columnType(spec, sample, rules);
    if (choice.warning) warn(`column "${name}": ${choice.warning}`);
    return new ColumnAccumulator(name, choice.type, rules, settings, warn, choice.reason);
  };

  // pass 1: types, from the first rows
  const sample = await reader.sample(opts.inferRows ?? baselineDefaults.inferRows);
  checkSample(opts.file, sample, [predictionColumn, labelColumn]);
  const columns = new Map<string, ColumnAccumulator>();
  for (const [name, values] of sample.columns) {
    const col = openColumn(name, values);
    if (col) columns.set(name, col);
  }
  for (const name of Object.keys(schema.features ?? {})) {
    if (!sample.columns.has(name) && !schema.features?.[name]?.ignore)
      warn(`schema names "${name}", which the first ${sample.rows} rows lack`);
  }
  sample.columns.clear();
  const keepP = keepProbability(opts.sample, reader.format, reader.totalBytes, sample);

  // pass 2: the profile
  const keep = rowFilter(keepP);
  let rows = 0;
  for await (const row of reader.rows('profile')) {
    if (keep && !keep()) continue;
    rows++;
    for (const k in row.values) {
      let col = columns.get(k);
      if (!col) {
        if (schema.features?.[k]?.ignore) continue;
        // a column that first appears after the inference rows (JSON Lines)
        col = openColumn(k, [row.values[k]]) as ColumnAccumulator;
        columns.set(k, col);
      }
      col.add(row.values[k]);
    }
  }
  if (rows === 0) throw new MlmonError(`${opts.file} has no rows to profile`, { exit: 'badInput' });
  for (const col of columns.values()) col.endProfilePass();

  // pass 3, only where a sketch estimated the edges: exact counts per bin
  const toCount = [...columns.values()].filter((c) => c.needsCountingPass);
  if (toCount.length) {
    const keepAgain = rowFilter(keepP);
    for await (const row of reader.rows('count')) {
      if (keepAgain && !keepAgain()) continue;
      for (const col of toCount) col.count(row.values[col.name]);
    }
  }

  if (reader.skipped > 0) warn(`${reader.skipped} malformed row(s) skipped`);
  const profiles = new Map([...columns].map(([name, col]) => [name, col.profile(rows)]));
  return assembleBaseline({
    model: opts.model,
    version: opts.version,
    file: opts.file,
    format: reader.format,
    rows,
    skippedRows: reader.skipped,
    sampled: keep !== undefined,
    settings: {
      bins: settings.bins,
      category_limit: settings.categoryLimit,
      vocabulary_limit: settings.vocabularyLimit,
      empty_string_is_na: emptyStringIsNa,
      exact_quantile_limit: settings.exactQuantileLimit,
    },
    profiles,
    predictionColumn,
    labelColumn,
    warnings,
  });
}

/** The inference rows exist and hold the prediction and label columns asked for. */
function checkSample(file: string, sample: InferenceSample, wanted: (string | undefined)[]): void {
  if (sample.rows === 0)
    throw new MlmonError(`${file} has a header but no rows`, {
      exit: 'badInput',
      fix: 'profile a file with data rows',
    });
  for (const column of wanted) {
    if (column && !sample.columns.has(column)) {
      throw new MlmonError(`column "${column}" is not in ${file}`, {
        exit: 'badInput',
        fix: `the columns are: ${[...sample.columns.keys()].join(', ')}`,
      });
    }
  }
}
