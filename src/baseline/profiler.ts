import { basename } from 'node:path';
import { MlmonError } from '../errors.js';
import { binIndex, CategoricalAccumulator, NumericAccumulator, TextAccumulator } from './accumulators.js';
import { checkReadable, detectFormat, type InputFormat, type Row, readRows } from './readers.js';
import { type BaselineSchema, valueRules } from './schema.js';
import { TOKENIZER_VERSION } from './tokenizer.js';
import { columnType } from './type-inference.js';
import type { Baseline, FeatureProfile, ProfileType } from './types.js';
import { asBoolean, asCategory, asDate, asNumber, isNa, type ValueRules } from './values.js';

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
  onProgress?: (p: {
    phase: 'infer' | 'profile' | 'count';
    rows: number;
    bytes: number;
    totalBytes: number;
  }) => void;
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

interface Column {
  name: string;
  type: ProfileType;
  rules: ValueRules;
  valid: number;
  invalid: number;
  numeric?: NumericAccumulator;
  categorical?: CategoricalAccumulator;
  text?: TextAccumulator;
  bool?: { true: number; false: number };
  dates?: { min: number; max: number };
}

/** A seeded generator, so a sampled baseline is reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function profileFile(opts: ProfileOptions): Promise<Baseline> {
  const format: InputFormat = detectFormat(opts.file, opts.format);
  const totalBytes = checkReadable(opts.file);
  const bins = opts.bins ?? baselineDefaults.bins;
  const categoryLimit = opts.categoryLimit ?? baselineDefaults.categoryLimit;
  const vocabularyLimit = opts.vocabularyLimit ?? baselineDefaults.vocabularyLimit;
  const exactLimit = opts.exactQuantileLimit ?? baselineDefaults.exactQuantileLimit;
  const inferRows = opts.inferRows ?? baselineDefaults.inferRows;
  const emptyStringIsNa = opts.emptyStringIsNa ?? baselineDefaults.emptyStringIsNa;
  const schema = opts.schema ?? {};
  const predictionColumn = opts.predictionColumn ?? schema.prediction_column;
  const labelColumn = opts.labelColumn ?? schema.label_column;
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    opts.onWarning?.(m);
  };
  let skipped = 0;
  const readOpts = (phase: 'infer' | 'profile' | 'count', rowsRef: { n: number }) => ({
    onError: opts.onError ?? 'fail',
    onSkip: () => {
      if (phase === 'profile') skipped++;
    },
    onBytes: (bytes: number) => opts.onProgress?.({ phase, rows: rowsRef.n, bytes, totalBytes }),
  });

  // pass 1: types, from the first rows
  const sample = new Map<string, unknown[]>();
  const inferRef = { n: 0 };
  let sampleBytes = 0;
  for await (const row of readRows(opts.file, format, readOpts('infer', inferRef))) {
    for (const [k, v] of Object.entries(row.values)) {
      let list = sample.get(k);
      if (!list) {
        list = [];
        sample.set(k, list);
      }
      list.push(v);
      if (format !== 'parquet') sampleBytes += typeof v === 'string' ? v.length + 1 : 8;
    }
    inferRef.n++;
    if (inferRef.n >= inferRows) break;
  }
  if (inferRef.n === 0)
    throw new MlmonError(`${opts.file} has a header but no rows`, {
      exit: 'badInput',
      fix: 'profile a file with data rows',
    });
  for (const wanted of [predictionColumn, labelColumn]) {
    if (wanted && !sample.has(wanted)) {
      throw new MlmonError(`column "${wanted}" is not in ${opts.file}`, {
        exit: 'badInput',
        fix: `the columns are: ${[...sample.keys()].join(', ')}`,
      });
    }
  }

  const columns = new Map<string, Column>();
  const makeColumn = (name: string, values: unknown[]): Column | undefined => {
    const spec = schema.features?.[name];
    if (spec?.ignore) return undefined;
    const rules = valueRules(schema, name, emptyStringIsNa);
    const type = columnType(spec, values, rules);
    const col: Column = { name, type, rules, valid: 0, invalid: 0 };
    if (type === 'numeric') col.numeric = new NumericAccumulator(exactLimit);
    else if (type === 'categorical') col.categorical = new CategoricalAccumulator(categoryLimit);
    else if (type === 'text') col.text = new TextAccumulator(vocabularyLimit);
    else if (type === 'boolean') col.bool = { true: 0, false: 0 };
    else col.dates = { min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY };
    return col;
  };
  for (const [name, values] of sample) {
    const col = makeColumn(name, values);
    if (col) columns.set(name, col);
  }
  for (const name of Object.keys(schema.features ?? {})) {
    if (!sample.has(name) && !schema.features?.[name]?.ignore)
      warn(`schema names "${name}", which the first ${inferRef.n} rows lack`);
  }
  sample.clear();

  // sampling: keep each row with probability p, estimated from the bytes per row seen so far
  // (Parquet: the row count is in the metadata, read by hyparquet; estimated from bytes otherwise)
  let sampleP = 1;
  if (opts.sample !== undefined) {
    const estimatedRows =
      format === 'parquet' || sampleBytes === 0 ? opts.sample : (totalBytes / sampleBytes) * inferRef.n;
    sampleP = Math.min(1, opts.sample / estimatedRows);
  }
  // the same seed in every pass: the counting pass keeps exactly the rows the profile kept
  const makeKeep = (): (() => boolean) | undefined => {
    if (sampleP >= 1) return undefined;
    const random = mulberry32(20261127);
    return () => random() < sampleP;
  };
  const keep = makeKeep();

  // pass 2: the profile
  const profileRef = { n: 0 };
  let rows = 0;
  const seenBad = new Set<string>();
  const accept = (col: Column, v: unknown) => {
    if (isNa(v, col.rules)) return;
    switch (col.type) {
      case 'numeric': {
        const n = asNumber(v);
        if (n === undefined) {
          col.invalid++;
          if (!seenBad.has(col.name)) {
            seenBad.add(col.name);
            warn(
              `numeric column "${col.name}" has non-numeric values (first: ${JSON.stringify(asCategory(v)).slice(0, 60)}); counted as invalid`,
            );
          }
          return;
        }
        col.valid++;
        col.numeric?.add(n);
        return;
      }
      case 'categorical':
        col.valid++;
        col.categorical?.add(asCategory(v));
        return;
      case 'text':
        col.valid++;
        col.text?.add(asCategory(v));
        return;
      case 'boolean': {
        const b = asBoolean(v);
        if (b === undefined || !col.bool) {
          col.invalid++;
          return;
        }
        col.valid++;
        col.bool[b ? 'true' : 'false']++;
        return;
      }
      case 'datetime': {
        const d = asDate(v);
        if (!d || !col.dates) {
          col.invalid++;
          return;
        }
        col.valid++;
        const t = d.getTime();
        if (t < col.dates.min) col.dates.min = t;
        if (t > col.dates.max) col.dates.max = t;
      }
    }
  };
  for await (const row of readRows(opts.file, format, readOpts('profile', profileRef))) {
    profileRef.n++;
    if (keep && !keep()) continue;
    rows++;
    for (const k in row.values) {
      let col = columns.get(k);
      if (!col) {
        if (schema.features?.[k]?.ignore) continue;
        // a column that first appears after the inference rows (JSON Lines)
        col = makeColumn(k, [row.values[k]]) as Column;
        columns.set(k, col);
      }
      accept(col, row.values[k]);
    }
  }
  if (rows === 0) throw new MlmonError(`${opts.file} has no rows to profile`, { exit: 'badInput' });
  for (const col of columns.values()) {
    if (col.categorical?.tooMany) {
      warn(
        `column "${col.name}" has more than ${categoryLimit} distinct values: keeping the top ${categoryLimit}; unseen-category rates will be approximate`,
      );
    }
    if (col.valid === 0) warn(`column "${col.name}" has no valid values`);
  }

  // pass 3, only where a sketch estimated the edges: exact counts per bin
  const edges = new Map<string, number[]>();
  const counts = new Map<string, number[]>();
  for (const col of columns.values()) {
    if (!col.numeric) continue;
    const e = col.numeric.edges(bins);
    edges.set(col.name, e);
    const exact = col.numeric.exactCounts(e);
    if (exact) counts.set(col.name, exact);
  }
  const toCount = [...columns.values()].filter((c) => c.numeric?.needsCountingPass);
  if (toCount.length) {
    for (const col of toCount)
      counts.set(col.name, new Array<number>((edges.get(col.name) as number[]).length + 1).fill(0));
    const countRef = { n: 0 };
    const keepAgain = makeKeep();
    for await (const row of readRows(opts.file, format, readOpts('count', countRef))) {
      countRef.n++;
      if (keepAgain && !keepAgain()) continue;
      countRow(row, toCount, edges, counts);
    }
  }

  const profileOf = (col: Column): FeatureProfile => {
    const na = rows - col.valid;
    const p: FeatureProfile = {
      type: col.type,
      count: rows,
      na_count: na,
      na_rate: na / rows,
      invalid_count: col.invalid,
    };
    if (col.numeric)
      p.numeric = col.numeric.profile(edges.get(col.name) as number[], counts.get(col.name) as number[]);
    if (col.categorical) p.categorical = col.categorical.profile();
    if (col.text) p.text = col.text.profile();
    if (col.bool) p.boolean = { ...col.bool };
    if (col.dates && col.valid > 0)
      p.datetime = { min: new Date(col.dates.min).toISOString(), max: new Date(col.dates.max).toISOString() };
    return p;
  };

  const baseline: Baseline = {
    schema_version: 1,
    model: opts.model,
    version: opts.version,
    created_at: new Date().toISOString(),
    source: { file: basename(opts.file), format, rows, skipped_rows: skipped, sampled: keep !== undefined },
    settings: {
      bins,
      category_limit: categoryLimit,
      vocabulary_limit: vocabularyLimit,
      empty_string_is_na: emptyStringIsNa,
      exact_quantile_limit: exactLimit,
    },
    tokenizer: TOKENIZER_VERSION,
    features: {},
    warnings,
  };
  for (const col of [...columns.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = profileOf(col);
    if (col.name === predictionColumn) baseline.prediction = { ...p, column: col.name };
    else if (col.name === labelColumn) baseline.label = { ...p, column: col.name };
    else baseline.features[col.name] = p;
  }
  if (skipped > 0) warn(`${skipped} malformed row(s) skipped`);
  return baseline;
}

function countRow(
  row: Row,
  cols: Column[],
  edges: Map<string, number[]>,
  counts: Map<string, number[]>,
): void {
  for (const col of cols) {
    const v = row.values[col.name];
    if (isNa(v, col.rules)) continue;
    const n = asNumber(v);
    if (n === undefined) continue;
    const c = counts.get(col.name) as number[];
    const b = binIndex(edges.get(col.name) as number[], n);
    c[b] = (c[b] as number) + 1;
  }
}
