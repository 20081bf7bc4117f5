import assert from 'node:assert/strict';
import { test } from 'node:test';
import binomial from '@stdlib/random-base-binomial';
import type { FeatureStatistics } from '../../src/contract/window-metrics.js';
import { jensenShannon, psi } from '../../src/metrics/distribution-tests.js';
import {
  binomialSampler,
  binomialSf,
  detectableRise,
  drawsFor,
  gridN,
  multinomial,
  nullThreshold,
  testLevel,
} from '../../src/rules/calibration.js';
import { rulesFor } from '../../src/rules/rule-settings.js';
import { defaultRules, levelTests } from '../../src/rules/rule-table.js';
import { featureVerdict } from '../../src/rules/verdicts.js';

/**
 * The calibration against simulated nulls: clean windows drawn from the population the baseline was
 * drawn from must raise alerts in at most the promised share of windows (the false-alarm budget, within
 * binomial error), at n = 100 and n = 1,000, through the same verdict code the job runs.
 */

const draw = binomial.factory({ seed: 20260101 }) as (n: number, p: number) => number;

// a population: ten numeric bins of unequal mass (deciles of a skewed training column, by the
// baseline's own edges they are about equal), a 9-category feature and a boolean
const NUMERIC = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];
const CATEGORIES = [0.3, 0.2, 0.15, 0.1, 0.08, 0.07, 0.05, 0.03, 0.02, 0]; // the last: unseen
const BOOLEAN = [0.7, 0.3];
const BASE_N = 5000;
const baseNumeric = multinomial(draw, BASE_N, NUMERIC);
const baseCategories = multinomial(draw, BASE_N, CATEGORIES);
const baseBoolean = multinomial(draw, BASE_N, BOOLEAN);

interface Feature {
  name: string;
  type: 'numeric' | 'categorical' | 'boolean';
  shares: number[];
  base: number[];
}
const FEATURES: Feature[] = [
  { name: 'n1', type: 'numeric', shares: NUMERIC, base: baseNumeric },
  { name: 'n2', type: 'numeric', shares: NUMERIC, base: baseNumeric },
  { name: 'c1', type: 'categorical', shares: CATEGORIES, base: baseCategories },
  { name: 'b1', type: 'boolean', shares: BOOLEAN, base: baseBoolean },
];

/** The share of `windows` clean windows of n values with any alert, under `rules` (effect floors given). */
function falseAlarmShare(n: number, windows: number, floors: 'defaults' | 'none'): number {
  const rules = rulesFor(
    floors === 'none'
      ? {
          ...defaultRules,
          psi: { warn: 0, critical: Number.POSITIVE_INFINITY },
          jensenShannon: { warn: 0, critical: Number.POSITIVE_INFINITY },
        }
      : defaultRules,
    'x',
  );
  const tests = levelTests(FEATURES.map((f) => ({ type: f.type, isPrediction: false })));
  const level = testLevel(rules.falseAlarmBudget, tests);
  let alarms = 0;
  for (let w = 0; w < windows; w++) {
    let any = false;
    for (const f of FEATURES) {
      const win = multinomial(draw, n, f.shares);
      const statistic = f.type === 'numeric' ? psi : jensenShannon;
      const name = f.type === 'numeric' ? 'psi' : 'js';
      const critical = nullThreshold({
        key: `t:${f.name}:${name}`,
        reference: f.base,
        n,
        level,
        statistic,
        // as the job asks (src/metrics/window-statistics.ts): Jensen-Shannon's tail is fitted
        ...(f.type === 'numeric' ? {} : { tail: 'gamma-of-square' as const }),
      }).critical;
      const value = statistic(f.base, win);
      const m: FeatureStatistics = {
        type: f.type,
        count: n,
        na_rate: 0,
        baseline_na_rate: 0,
        ...(f.type === 'numeric'
          ? { psi: value, psi_critical: critical }
          : { js: value, js_critical: critical }),
        ...(f.type === 'categorical' ? { unseen_rate: 0 } : {}),
      };
      if (featureVerdict(f.name, m, n, false, rules, level).alerts.length) any = true;
    }
    if (any) alarms++;
  }
  return alarms / windows;
}

const WINDOWS = 2000;
const BUDGET = defaultRules.falseAlarmBudget;
// three binomial standard errors of a share of WINDOWS windows at the budget
const ERR = 3 * Math.sqrt((BUDGET * (1 - BUDGET)) / WINDOWS);

for (const n of [100, 1000]) {
  test(`clean windows of ${n} values: the significance alone alarms within the budget (${WINDOWS} windows)`, () => {
    const share = falseAlarmShare(n, WINDOWS, 'none');
    console.log(`n=${n} significance-only false-alarm share ${share}`);
    // promised: at most the budget; delivered within binomial error, and not far below it either
    // (Bonferroni over 4 nearly independent tests is close to exact; ties at small n make it conservative)
    assert.ok(share <= BUDGET + ERR, `false-alarm share ${share} over the budget ${BUDGET} + ${ERR}`);
    assert.ok(share >= BUDGET / 10, `false-alarm share ${share}: the calibration wastes its budget`);
  });
  test(`clean windows of ${n} values: with the default effect floors, no more alarms than the budget`, () => {
    const share = falseAlarmShare(n, WINDOWS, 'defaults');
    assert.ok(share <= BUDGET + ERR, `false-alarm share ${share}`);
  });
}

test('a drifted window is detected: one category doubled at n = 1,000, a shifted numeric column at n = 1,000', () => {
  const level = testLevel(BUDGET, 4);
  const shifted = [0.02, 0.03, 0.05, 0.08, 0.1, 0.12, 0.14, 0.15, 0.16, 0.15];
  const win = multinomial(draw, 1000, shifted);
  const crit = nullThreshold({
    key: 't:n1:psi',
    reference: baseNumeric,
    n: 1000,
    level,
    statistic: psi,
  }).critical;
  assert.ok(psi(baseNumeric, win) > crit && psi(baseNumeric, win) > 0.2);
  const doubled = [0.6, 0.1, 0.075, 0.05, 0.04, 0.035, 0.025, 0.015, 0.01, 0].map(
    (x, _i, a) => x / a.reduce((s, y) => s + y, 0),
  );
  const cw = multinomial(draw, 1000, doubled);
  const cc = nullThreshold({
    key: 't:c1:js',
    reference: baseCategories,
    n: 1000,
    level,
    statistic: jensenShannon,
    tail: 'gamma-of-square',
  });
  assert.ok(jensenShannon(baseCategories, cw) > cc.critical);
  assert.ok(jensenShannon(baseCategories, cw) >= 0.2);
});

test('the critical value shrinks with n, is seeded (the same twice), and cached by (key, n, level)', () => {
  const at = (n: number) =>
    nullThreshold({ key: 't:c1:js', reference: baseCategories, n, level: 0.001, statistic: jensenShannon });
  const small = at(50);
  const large = at(5000);
  assert.ok(small.critical > large.critical, `${small.critical} <= ${large.critical}`);
  assert.equal(at(50), small);
  // a different key draws anew, with the same answer for the same inputs up to Monte Carlo error
  const again = nullThreshold({
    key: 'other',
    reference: baseCategories,
    n: 50,
    level: 0.001,
    statistic: jensenShannon,
  });
  assert.ok(Math.abs(again.critical - small.critical) < 0.05 * small.critical);
  // no values, or an empty reference: nothing can be judged
  assert.equal(at(0).critical, Number.POSITIVE_INFINITY);
  assert.equal(small.draws, drawsFor(0.001));
  assert.ok(small.draws >= 5 / 0.001 - 1);
});

test('the fitted tail of Jensen-Shannon agrees with the exact order statistic, for a tenth of the draws', () => {
  // references of different shapes: few and many categories, skewed, and one with rare values
  const skewed = (k: number, scale: number) =>
    Array.from({ length: k }, (_, i) => Math.round((3000 * Math.exp(-i / scale)) / scale) + 1);
  const level = testLevel(BUDGET, 60);
  for (const [name, reference] of [
    ['boolean', [2100, 900]],
    ['five', [2000, 600, 300, 90, 10]],
    ['thirty', skewed(30, 5)],
    ['hundred', skewed(100, 15)],
  ] as const) {
    for (const n of [100, 1000]) {
      const req = { key: `fit:${name}`, reference, n, level, statistic: jensenShannon };
      const exact = nullThreshold(req);
      const fitted = nullThreshold({ ...req, tail: 'gamma-of-square' });
      assert.equal(fitted.draws, 2999);
      assert.ok(exact.draws >= 10 * fitted.draws, `${exact.draws}`);
      const ratio = fitted.critical / exact.critical;
      // the exact value at 30,000 draws is itself a Monte Carlo estimate (about 3% at its 5th largest)
      assert.ok(
        ratio > 0.94 && ratio < 1.12,
        `${name} n=${n}: fitted ${fitted.critical} exact ${exact.critical}`,
      );
    }
  }
});

test('the binomial sampler: inversion below a mean of 10 has the binomial mean and variance; seeded', () => {
  const a = binomialSampler(11);
  const b = binomialSampler(11);
  for (const [n, p] of [
    [3000, 0.003],
    [40, 0.9],
    [100_000, 0.00002],
  ] as const) {
    const xs = Array.from({ length: 40_000 }, () => a(n, p));
    assert.deepEqual(
      xs.slice(0, 5),
      Array.from({ length: 5 }, () => b(n, p)),
    );
    for (let i = 5; i < xs.length; i++) b(n, p);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1);
    const m = n * p;
    const v = n * p * (1 - p);
    assert.ok(Math.abs(mean - m) < 4 * Math.sqrt(v / xs.length), `mean ${mean} for ${n}, ${p}`);
    assert.ok(Math.abs(variance / v - 1) < 0.05, `variance ${variance} vs ${v}`);
    assert.ok(xs.every((x) => Number.isInteger(x) && x >= 0 && x <= n));
  }
  assert.equal(a(0, 0.5), 0);
  assert.equal(a(7, 1), 7);
  assert.equal(a(7, 0), 0);
});

test('the grid of n is at or below n, exact up to 64, within 9% above', () => {
  for (const n of [1, 10, 64, 65, 100, 999, 1000, 10_000, 123_456]) {
    const g = gridN(n);
    assert.ok(g <= n && g >= n / 2 ** (1 / 8) - 1, `${n} -> ${g}`);
  }
  assert.equal(gridN(52), 52);
});

test('the binomial test and the smallest rise it can detect', () => {
  // P(X >= 3 | 30, 0.01) = 1 - P(X <= 2) = 0.0033177 (the sum of the binomial terms, by hand)
  assert.ok(Math.abs(binomialSf(3, 30, 0.01) - 0.0033177) < 1e-6);
  assert.equal(binomialSf(0, 10, 0.5), 1);
  assert.equal(binomialSf(1, 10, 0), 0);
  // a baseline without NA: one NA is significant, so 1/n is detectable
  assert.equal(detectableRise(100, 0, 0.01), 0.01);
  assert.ok(detectableRise(10, 0.1, 0.001) > 0.3);
  assert.equal(detectableRise(0, 0.1, 0.01), Number.POSITIVE_INFINITY);
});

test('a 52-document window with a category 100% unseen and NA 0% -> 40% raises both', () => {
  const rules = rulesFor(defaultRules, 'x');
  const level = testLevel(BUDGET, 20);
  const m: FeatureStatistics = {
    type: 'categorical',
    count: 31,
    na_rate: 21 / 52,
    baseline_na_rate: 0,
    unseen_rate: 1,
    js: 1,
    js_critical: 0.5,
  };
  const v = featureVerdict('c', m, 52, false, rules, level);
  assert.deepEqual(
    v.alerts.map((a) => `${a.rule} ${a.severity}`),
    ['na_rate critical', 'unseen_categories critical', 'categorical_drift critical'],
  );
});
