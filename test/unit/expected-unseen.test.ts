import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { estypes } from '@elastic/elasticsearch';
import type { Baseline } from '../../src/contract/baseline-document.js';
import { windowMetrics } from '../../src/metrics/window.js';
import { expectedUnseenRate } from '../../src/metrics/window-statistics.js';
import { defaultRules } from '../../src/rules/rule-table.js';

/**
 * A categorical column whose training sample holds no singleton: Good-Turing expects no unseen value,
 * yet a clean window may hold the one row of a category the training half missed (earthquakes'
 * magType, bench table 7). One unseen value in 100 is no alert; five are.
 */
const values = { ml: 531, md: 247, mb: 52, mww: 10, mb_lg: 9, mwr: 4 };
const N = Object.values(values).reduce((s, v) => s + v, 0);
const baseline = {
  model: 'm',
  version: '1',
  features: {
    magtype: {
      type: 'categorical',
      count: N,
      na_count: 0,
      na_rate: 0,
      invalid_count: 0,
      categorical: { distinct: 6, values, other_count: 0, approximate: false, expected_unseen_rate: 0 },
    },
  },
} as unknown as Baseline;

function window(unseen: number) {
  // the training shares, less the unseen values
  const known = { ml: 62 - unseen, md: 29, mb: 6, mww: 1, mb_lg: 1, mwr: 1 };
  const res = {
    hits: { total: { value: 100, relation: 'eq' }, hits: [] },
    aggregations: {
      f0_na: { doc_count: 0 },
      f0_count: { value: 100 },
      f0_known: { buckets: Object.entries(known).map(([key, doc_count]) => ({ key, doc_count })) },
      f0_unseen: { buckets: unseen ? [{ key: 'mw', doc_count: unseen }] : [] },
    },
  } as unknown as estypes.SearchResponse;
  const spec = { model: 'm', from: new Date(0), to: new Date(60_000), index: 'x' };
  return windowMetrics(spec, baseline, res, defaultRules);
}

test('the expected unseen rate is never under 1 / (N + 1): one unseen value in 100 is chance, five are not', () => {
  const c = baseline.features.magtype?.categorical;
  assert.ok(c);
  assert.equal(expectedUnseenRate(c), 1 / (N + 1));
  assert.equal(expectedUnseenRate({ ...c, expected_unseen_rate: 0.05 }), 0.05);
  assert.equal(expectedUnseenRate({ ...c, expected_unseen_rate: undefined }), undefined);

  const one = window(1);
  assert.equal(one.features.magtype?.unseen_rate, 0.01);
  // P(X >= 1 | 100, 1/854) = 1 - (853/854)^100
  assert.ok(Math.abs((one.features.magtype?.unseen_p_value as number) - (1 - (N / (N + 1)) ** 100)) < 1e-9);
  assert.deepEqual(one.alerts, []);

  const five = window(5);
  assert.deepEqual(
    five.alerts.filter((a) => a.rule === 'unseen_categories').map((a) => [a.feature, a.severity]),
    [['magtype', 'warn']],
  );
});
