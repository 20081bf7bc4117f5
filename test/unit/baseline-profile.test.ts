import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { profileFile } from '../../src/baseline/profiler.js';
import { loadSchema } from '../../src/baseline/schema.js';
import type { Baseline, FeatureProfile } from '../../src/contract/baseline-document.js';

const dir = new URL('../fixtures/baseline/', import.meta.url).pathname;
// computed independently with NumPy by scripts/golden/baseline_golden.py
const expected = JSON.parse(readFileSync(`${dir}expected.json`, 'utf8'));
const schema = loadSchema(`${dir}schema.yml`);

function close(actual: number, want: number, what: string): void {
  const tol = 1e-9 * Math.max(1, Math.abs(want));
  assert.ok(Math.abs(actual - want) <= tol, `${what}: ${actual} vs ${want}`);
}

function checkFeature(name: string, got: FeatureProfile | undefined, want: Record<string, unknown>): void {
  assert.ok(got, `feature ${name} profiled`);
  assert.equal(got.type, want.type, `${name} type`);
  assert.equal(got.count, want.count, `${name} count`);
  assert.equal(got.na_count, want.na_count, `${name} na_count`);
  assert.equal(got.na_rate, want.na_rate, `${name} na_rate`);
  assert.equal(got.invalid_count, want.invalid_count, `${name} invalid_count`);
  const w = want as Record<string, Record<string, unknown>>;
  if (got.numeric) {
    const wn = w.numeric as {
      min: number;
      max: number;
      mean: number;
      std: number;
      bins: { edges: number[]; counts: number[] };
    };
    for (const k of ['min', 'max', 'mean', 'std'] as const) close(got.numeric[k], wn[k], `${name}.${k}`);
    assert.equal(got.numeric.quantile_method, 'exact');
    assert.equal(got.numeric.bins.edges.length, wn.bins.edges.length, `${name} edge count`);
    for (const [i, e] of got.numeric.bins.edges.entries())
      close(e, wn.bins.edges[i] as number, `${name} edge ${i}`);
    assert.deepEqual(got.numeric.bins.counts, wn.bins.counts, `${name} bin counts`);
    const gf = got.numeric.fine_bins;
    const wf = (wn as unknown as { fine_bins: { edges: number[]; counts: number[]; means: number[] } })
      .fine_bins;
    assert.ok(gf, `${name} has the fine grid`);
    assert.equal(gf.edges.length, wf.edges.length, `${name} fine edge count`);
    for (const [i, e] of gf.edges.entries()) close(e, wf.edges[i] as number, `${name} fine edge ${i}`);
    assert.deepEqual(gf.counts, wf.counts, `${name} fine counts`);
    for (const [i, v] of gf.means.entries()) close(v, wf.means[i] as number, `${name} fine mean ${i}`);
  }
  if (got.categorical) assert.deepEqual(got.categorical, w.categorical, `${name} categories`);
  if (got.text) {
    const wt = w.text as { tokens_per_doc: Record<string, number> };
    const { tokens_per_doc, ...rest } = got.text;
    const { tokens_per_doc: wantPerDoc, ...wantRest } = wt as unknown as typeof got.text;
    assert.deepEqual(rest, wantRest, `${name} text`);
    for (const k of ['mean', 'std', 'min', 'max'] as const)
      close(tokens_per_doc[k], wantPerDoc[k], `${name} tokens_per_doc.${k}`);
  }
  if (got.boolean) assert.deepEqual(got.boolean, w.boolean);
  if (got.datetime) assert.deepEqual(got.datetime, w.datetime);
}

const profiles = new Map<string, Baseline>();
for (const format of ['csv', 'jsonl', 'parquet'] as const) {
  test(`the ${format} fixture's profile matches the NumPy golden values`, async () => {
    const b = await profileFile({ file: `${dir}train.${format}`, model: 'churn', version: '1', schema });
    profiles.set(format, b);
    assert.equal(b.source.rows, expected.rows);
    assert.deepEqual(
      Object.keys(b.features).sort(),
      Object.keys(expected.features).sort(),
      'id is ignored; score and churned are not features',
    );
    for (const [name, want] of Object.entries(expected.features))
      checkFeature(name, b.features[name], want as Record<string, unknown>);
    checkFeature('prediction', b.prediction, expected.prediction);
    assert.equal(b.prediction?.column, 'score');
    checkFeature('label', b.label, expected.label);
    assert.deepEqual(b.warnings, []);
  });
}

test('CSV, JSON Lines and Parquet of the same data give identical baselines', () => {
  const strip = (b: Baseline | undefined) => {
    assert.ok(b);
    const { created_at: _c, source, ...rest } = b;
    return {
      ...rest,
      source: { rows: source.rows, skipped_rows: source.skipped_rows, sampled: source.sampled },
    };
  };
  assert.deepEqual(strip(profiles.get('jsonl')), strip(profiles.get('csv')));
  assert.deepEqual(strip(profiles.get('parquet')), strip(profiles.get('csv')));
});

test('fewer bins and a small vocabulary follow the same rules', async () => {
  const b = await profileFile({
    file: `${dir}train.csv`,
    model: 'churn',
    version: '1',
    schema,
    bins: 4,
    vocabularyLimit: 5,
  });
  const age = b.features.age?.numeric;
  assert.deepEqual(age?.bins.counts, expected.small_limits.age_bins.counts);
  for (const [i, e] of (age?.bins.edges ?? []).entries())
    close(e, expected.small_limits.age_bins.edges[i], `edge ${i}`);
  assert.deepEqual(b.features.comment?.text?.vocabulary, expected.small_limits.comment_vocabulary);
  assert.equal(b.features.comment?.text?.vocabulary_truncated, true);
  assert.equal(b.features.comment?.text?.vocabulary_limit, 5);
  // past the cap, the repeated tokens are expected OOV too: far above the untruncated rate
  const t = b.features.comment?.text;
  close(
    t?.expected_oov_rate as number,
    expected.small_limits.comment_expected.expected_oov_rate,
    'expected OOV',
  );
  close(
    t?.expected_docs_with_oov_rate as number,
    expected.small_limits.comment_expected.expected_docs_with_oov_rate,
    'expected docs with OOV',
  );
  assert.ok(
    (t?.expected_oov_rate as number) > (expected.features.comment.text.expected_oov_rate as number) + 0.2,
  );
});
