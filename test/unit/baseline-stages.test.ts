import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BooleanAccumulator, DatetimeAccumulator } from '../../src/baseline/accumulators.js';
import { assembleBaseline, type BaselineParts } from '../../src/baseline/assemble-baseline.js';
import { ColumnAccumulator, type ColumnSettings } from '../../src/baseline/column-accumulator.js';
import { keepProbability, rowFilter } from '../../src/baseline/row-sampling.js';
import type { ValueRules } from '../../src/baseline/values.js';
import type { FeatureProfile, ProfileType } from '../../src/contract/baseline-document.js';
import { TOKENIZER_VERSION } from '../../src/contract/tokenizer.js';

const rules: ValueRules = { emptyStringIsNa: true, missingValues: new Set(['NA']) };
const settings: ColumnSettings = { bins: 4, categoryLimit: 2, vocabularyLimit: 10, exactQuantileLimit: 100 };

function column(type: ProfileType, values: unknown[], over: Partial<ColumnSettings> = {}) {
  const warnings: string[] = [];
  const col = new ColumnAccumulator('c', type, rules, { ...settings, ...over }, (m) => warnings.push(m));
  for (const v of values) col.add(v);
  col.endProfilePass();
  return { col, warnings };
}

test('sampling: the keep probability comes from the bytes per inferred row; Parquet and no --sample keep all', () => {
  assert.equal(keepProbability(undefined, 'csv', 1000, { rows: 10, bytes: 100 }), 1);
  // 1000 bytes at 10 bytes a row: about 100 rows, 25 wanted
  assert.equal(keepProbability(25, 'csv', 1000, { rows: 10, bytes: 100 }), 0.25);
  assert.equal(keepProbability(500, 'jsonl', 1000, { rows: 10, bytes: 100 }), 1, 'never above 1');
  assert.equal(keepProbability(25, 'parquet', 1000, { rows: 10, bytes: 0 }), 1);
  assert.equal(keepProbability(25, 'csv', 1000, { rows: 10, bytes: 0 }), 1);
});

test('sampling: every pass draws the same rows; keeping all needs no filter', () => {
  assert.equal(rowFilter(1), undefined);
  const draw = () => {
    const keep = rowFilter(0.3) as () => boolean;
    return Array.from({ length: 1000 }, () => keep());
  };
  const first = draw();
  assert.deepEqual(draw(), first);
  const kept = first.filter(Boolean).length;
  assert.ok(kept > 250 && kept < 350, `${kept} of 1000 kept at p = 0.3`);
});

test('a numeric column counts non-numbers as invalid, warns once, and bins the rest exactly', () => {
  const { col, warnings } = column('numeric', ['1', 2, 'x', '3', 'NA', '', 'y', 4]);
  assert.equal(col.valid, 4);
  assert.equal(col.invalid, 2);
  assert.deepEqual(warnings, ['numeric column "c" has non-numeric values (first: "x"); counted as invalid']);
  assert.equal(col.needsCountingPass, false);
  const p = col.profile(8);
  assert.equal(p.na_count, 4, 'missing and invalid values');
  assert.equal(p.na_rate, 0.5);
  assert.equal(p.invalid_count, 2);
  assert.equal(p.numeric?.quantile_method, 'exact');
  assert.deepEqual(p.numeric?.bins, { edges: [1.75, 2.5, 3.25], counts: [1, 1, 1, 1] });
});

test('a sketched numeric column is binned by a counting pass', () => {
  const values = Array.from({ length: 50 }, (_, i) => i);
  const { col } = column('numeric', values, { exactQuantileLimit: 10 });
  assert.equal(col.needsCountingPass, true);
  for (const v of [...values, 'NA', 'x']) col.count(v);
  const p = col.profile(50).numeric;
  assert.equal(p?.quantile_method, 'sketch');
  assert.equal(
    p?.bins.counts.reduce((a, b) => a + b, 0),
    50,
  );
  assert.equal(p?.bins.counts.length, (p?.bins.edges.length ?? 0) + 1);
});

test('categorical, boolean and datetime columns; warnings for too many categories and no valid values', () => {
  const cat = column('categorical', ['a', 'b', 'c', 'a', 1]);
  assert.deepEqual(cat.warnings, [
    'column "c" has more than 2 distinct values: keeping the top 2; unseen-category rates will be approximate',
  ]);
  assert.deepEqual(cat.col.profile(5).categorical?.values, { a: 2, '1': 1 });
  const bool = column('boolean', ['true', false, 'FALSE', 'maybe', 'NA']).col.profile(5);
  assert.deepEqual(bool.boolean, { true: 1, false: 2 });
  assert.equal(bool.invalid_count, 1);
  const dates = column('datetime', ['2024-03-01', 'soon', '2024-01-01T12:00:00Z']).col.profile(3);
  assert.deepEqual(dates.datetime, { min: '2024-01-01T12:00:00.000Z', max: '2024-03-01T00:00:00.000Z' });
  assert.equal(dates.invalid_count, 1);
  const empty = column('datetime', ['NA', 'never']);
  assert.deepEqual(empty.warnings, ['column "c" has no valid values']);
  assert.equal(empty.col.profile(2).datetime, undefined, 'no range without a date');
});

test('boolean and datetime accumulators', () => {
  const b = new BooleanAccumulator();
  b.add(true);
  b.add(true);
  b.add(false);
  assert.deepEqual(b.profile(), { true: 2, false: 1 });
  const d = new DatetimeAccumulator();
  assert.equal(d.profile(), undefined);
  d.add(86_400_000);
  d.add(0);
  assert.deepEqual(d.profile(), { min: '1970-01-01T00:00:00.000Z', max: '1970-01-02T00:00:00.000Z' });
});

test('the baseline document: features sorted by name, prediction and label apart', () => {
  const profile = (type: ProfileType): FeatureProfile => ({
    type,
    count: 2,
    na_count: 0,
    na_rate: 0,
    invalid_count: 0,
  });
  const parts: BaselineParts = {
    model: 'churn',
    version: '3',
    file: '/data/train.csv',
    format: 'csv',
    rows: 2,
    skippedRows: 1,
    sampled: false,
    settings: {
      bins: 10,
      category_limit: 5,
      vocabulary_limit: 6,
      empty_string_is_na: true,
      exact_quantile_limit: 7,
    },
    profiles: new Map([
      ['zip', profile('categorical')],
      ['score', profile('numeric')],
      ['age', profile('numeric')],
      ['churned', profile('boolean')],
    ]),
    predictionColumn: 'score',
    labelColumn: 'churned',
    warnings: ['w'],
  };
  const b = assembleBaseline(parts, new Date(0));
  assert.equal(b.created_at, '1970-01-01T00:00:00.000Z');
  assert.deepEqual(b.source, { file: 'train.csv', format: 'csv', rows: 2, skipped_rows: 1, sampled: false });
  assert.equal(b.tokenizer, TOKENIZER_VERSION);
  assert.deepEqual(Object.keys(b.features), ['age', 'zip']);
  assert.deepEqual(b.prediction, { ...profile('numeric'), column: 'score' });
  assert.deepEqual(b.label, { ...profile('boolean'), column: 'churned' });
  assert.deepEqual(b.warnings, ['w']);
  const plain = assembleBaseline({ ...parts, predictionColumn: undefined, labelColumn: undefined });
  assert.deepEqual(Object.keys(plain.features), ['age', 'churned', 'score', 'zip']);
  assert.equal(plain.prediction, undefined);
});
