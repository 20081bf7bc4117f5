import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FeatureStatistics } from '../../src/contract/window-metrics.js';
import { binomialGreaterP } from '../../src/metrics/distribution-tests.js';
import { type FeatureRules, rulesFor } from '../../src/rules/rule-settings.js';
import { comparedQuantities, defaultRules, unexpectedVersions } from '../../src/rules/rule-table.js';
import { featureVerdict, windowVerdicts } from '../../src/rules/verdicts.js';

const rules: FeatureRules = rulesFor(defaultRules, 'x');

const numeric = (o: Partial<FeatureStatistics> = {}): FeatureStatistics => ({
  type: 'numeric',
  count: 500,
  na_rate: 0,
  baseline_na_rate: 0,
  psi: 0.01,
  psi_critical: 0.05,
  ks: 0.01,
  ks_p_value: 0.9,
  js: 0.01,
  wasserstein: 0,
  mean_shift_se: 0,
  out_of_range_rate: 0,
  ...o,
});
const categorical = (o: Partial<FeatureStatistics> = {}): FeatureStatistics => ({
  type: 'categorical',
  count: 500,
  na_rate: 0,
  baseline_na_rate: 0,
  unseen_rate: 0,
  top_unseen: [],
  chi2_p_value: 0.9,
  js: 0.01,
  js_critical: 0.05,
  linf: 0.01,
  ...o,
});
const text = (o: Partial<FeatureStatistics> = {}): FeatureStatistics => ({
  type: 'text',
  count: 500,
  na_rate: 0,
  baseline_na_rate: 0,
  oov_rate: 0,
  docs_with_oov_rate: 0,
  top_oov: [],
  ...o,
});
const summary = (v: ReturnType<typeof featureVerdict>) =>
  v.alerts.map((a) => `${a.rule} ${a.feature} ${a.metric} ${a.value} ${a.threshold} ${a.severity}`);

test('a clean feature is ok, with no alert and no reason, and every rule clear', () => {
  for (const m of [numeric(), categorical(), text()]) {
    const v = featureVerdict('x', m, 500, false, rules);
    assert.equal(v.status, 'ok');
    assert.deepEqual(v.alerts, []);
    assert.equal(v.reason, undefined);
    assert.ok(v.clear.some((c) => c.rule === 'na_rate'));
  }
  assert.deepEqual(featureVerdict('x', numeric(), 500, false, rules).evidence, {
    na_rate_rise: false,
    psi: false,
  });
});

test('the NA rule: the rise over the baseline at warn and critical, behind a binomial test at the window size', () => {
  const at = (na: number, base: number, docs = 500, count = 500) =>
    featureVerdict('x', numeric({ na_rate: na, baseline_na_rate: base, count }), docs, false, rules);
  assert.deepEqual(at(0.2, 0.16).alerts, []);
  assert.deepEqual(summary(at(0.25, 0.125)), ['na_rate x na_rate_rise 0.125 0.05 warn']);
  assert.equal(at(0.25, 0.125).status, 'warn');
  // exactly at the floor fires, where the test is significant (0 expected: any NA is)
  assert.deepEqual(summary(at(0.05, 0)), ['na_rate x na_rate_rise 0.05 0.05 warn']);
  assert.deepEqual(summary(at(0.375, 0.125)), ['na_rate x na_rate_rise 0.25 0.2 critical']);
  assert.deepEqual(summary(at(0.2, 0)), ['na_rate x na_rate_rise 0.2 0.2 critical']);
  // a fall is no alert
  assert.deepEqual(at(0, 0.5).alerts, []);
  // a rise past the floor that a small window cannot tell from noise: 2 NA of 10 over a 10% baseline
  // (P(X >= 2) = 0.26), no alert, and the rule is not clear either
  const thin = at(0.2, 0.1, 10, 8);
  assert.deepEqual(thin.alerts, []);
  assert.match(thin.reason ?? '', /too few to tell na_rate_rise/);
  assert.ok(!thin.clear.some((c) => c.rule === 'na_rate'));
  // overwhelming evidence in a small window alerts: 0% -> 40% in 52 documents
  assert.deepEqual(summary(at(21 / 52, 0, 52, 31)), [`na_rate x na_rate_rise ${21 / 52} 0.2 critical`]);
  // the NA rule fires while the feature's own values are few (most are missing)
  const few = at(0.9, 0, 100, 10);
  assert.deepEqual(summary(few), ['na_rate x na_rate_rise 0.9 0.2 critical']);
  assert.equal(few.status, 'critical');
});

test('an empty window: no_data, no alert, nothing clear, and no evidence stored', () => {
  const m: FeatureStatistics = { type: 'numeric', count: 0, baseline_na_rate: 0.1 };
  const v = featureVerdict('x', m, 0, false, rules);
  assert.deepEqual(v, {
    status: 'no_data',
    reason: 'no documents in the window',
    alerts: [],
    evidence: {},
    clear: [],
  });
});

test('numeric drift needs the effect floor and PSI past its calibrated critical value; the prediction names it prediction_drift', () => {
  const v = (o: Partial<FeatureStatistics>, isPrediction = false) =>
    summary(featureVerdict(isPrediction ? '(prediction)' : 'x', numeric(o), 500, isPrediction, rules));
  assert.deepEqual(v({ psi: 0.15 }), ['numeric_drift x psi 0.15 0.1 warn']);
  assert.deepEqual(v({ psi: 0.2 }), ['numeric_drift x psi 0.2 0.2 critical']);
  assert.deepEqual(v({ psi: 0.099 }), []);
  // at the critical value is not past it; no critical value at all judges nothing
  assert.deepEqual(v({ psi: 0.5, psi_critical: 0.5 }), []);
  assert.deepEqual(v({ psi: 0.5, psi_critical: undefined }), []);
  assert.deepEqual(v({ psi: 0.5, psi_critical: Number.POSITIVE_INFINITY }), []);
  assert.deepEqual(v({ psi: Number.NaN }), []);
  assert.deepEqual(v({ psi: 0.15 }, true), ['prediction_drift (prediction) psi 0.15 0.1 warn']);
  assert.deepEqual(v({ psi: Number.POSITIVE_INFINITY }), ['numeric_drift x psi Infinity 0.2 critical']);
  // a numeric feature's Jensen-Shannon distance is reported, never judged
  assert.deepEqual(v({ js: 0.9, js_critical: 0 }), []);
  // a small window whose critical value is above the floor: a PSI under the floor is not evidence of no drift
  const thin = featureVerdict('x', numeric({ count: 20, psi: 0.05, psi_critical: 0.4 }), 20, false, rules);
  // neither rule can tell at 20: insufficient_data
  assert.equal(thin.status, 'insufficient_data');
  // where the NA rule can (no NA in the baseline, 1/50 is detectable), the status is ok, the reason says what could not
  const half = featureVerdict('x', numeric({ count: 50, psi: 0.05, psi_critical: 0.4 }), 50, false, rules);
  assert.equal(half.status, 'ok');
  assert.equal(half.reason, '50 values in the window: too few to tell psi from noise');
  assert.equal(thin.reason, '20 values in the window: too few to tell na_rate_rise, psi from noise');
  assert.ok(!thin.clear.some((c) => c.metric === 'psi'));
});

test('categorical drift: Jensen-Shannon past its critical value, on categorical and boolean features', () => {
  const v = (m: FeatureStatistics, isPrediction = false) =>
    summary(featureVerdict(isPrediction ? '(prediction)' : 'c', m, 500, isPrediction, rules));
  assert.deepEqual(v(categorical({ js: 0.12 })), ['categorical_drift c js 0.12 0.1 warn']);
  assert.deepEqual(v(categorical({ js: 0.12, js_critical: 0.13 })), []);
  const bool: FeatureStatistics = {
    type: 'boolean',
    count: 500,
    na_rate: 0,
    baseline_na_rate: 0,
    chi2_p_value: 0,
    js: 0.3,
    js_critical: 0.05,
    linf: 0.3,
  };
  assert.deepEqual(v(bool), ['categorical_drift c js 0.3 0.2 critical']);
  assert.deepEqual(v(bool, true), ['prediction_drift (prediction) js 0.3 0.2 critical']);
});

test('unseen categories on categorical features and predictions; OOV words on text features only', () => {
  assert.deepEqual(summary(featureVerdict('c', categorical({ unseen_rate: 0.01 }), 500, false, rules)), [
    'unseen_categories c unseen_rate_rise 0.01 0.01 warn',
  ]);
  assert.deepEqual(
    summary(featureVerdict('(prediction)', categorical({ unseen_rate: 0.05 }), 500, true, rules)),
    ['unseen_categories (prediction) unseen_rate_rise 0.05 0.05 critical'],
  );
  assert.deepEqual(summary(featureVerdict('t', text({ oov_rate: 0.25 }), 500, false, rules)), [
    'oov_words t oov_rate_rise 0.25 0.25 critical',
  ]);
  assert.deepEqual(featureVerdict('(prediction)', text({ oov_rate: 0.9 }), 500, true, rules).alerts, []);
  // the kinds decide, not the presence of a number
  assert.deepEqual(
    featureVerdict('x', numeric({ unseen_rate: 0.9, oov_rate: 0.9 }), 500, false, rules).alerts,
    [],
  );
  // a datetime feature only has the NA rule
  const dt: FeatureStatistics = { type: 'datetime', count: 500, na_rate: 0.5, baseline_na_rate: 0 };
  assert.deepEqual(summary(featureVerdict('d', dt, 500, false, rules)), [
    'na_rate d na_rate_rise 0.5 0.2 critical',
  ]);
});

test('alerts come in the table order, the status is the worst, and the rules given are the ones applied', () => {
  const m = categorical({ na_rate: 0.1, unseen_rate: 0.2, js: 0.15 });
  const v = featureVerdict('c', m, 500, false, rules);
  assert.deepEqual(summary(v), [
    `na_rate c na_rate_rise 0.1 0.05 warn`,
    'unseen_categories c unseen_rate_rise 0.2 0.05 critical',
    'categorical_drift c js 0.15 0.1 warn',
  ]);
  assert.equal(v.status, 'critical');
  const own: FeatureRules = {
    ...rules,
    unseenRate: { warn: 0.5, critical: 0.9 },
    jensenShannon: { warn: 0.15, critical: 0.16 },
  };
  assert.deepEqual(summary(featureVerdict('c', m, 500, false, own)), [
    'na_rate c na_rate_rise 0.1 0.05 warn',
    'categorical_drift c js 0.15 0.15 warn',
  ]);
  // a smaller level (more tests in the window) makes the binomial test stricter: 3 NA of 30 over 1%
  const na = categorical({ count: 27, na_rate: 0.1, baseline_na_rate: 0.01 });
  assert.deepEqual(summary(featureVerdict('c', na, 30, false, rules, 0.01)), [
    `na_rate c na_rate_rise ${0.1 - 0.01} 0.05 warn`,
  ]);
  assert.deepEqual(featureVerdict('c', na, 30, false, rules, 1e-4).alerts, []);
});

test('the verdict is pure: the statistics and the rules are left as they were', () => {
  const m = Object.freeze(numeric({ na_rate: 0.5, psi: 1, ks_p_value: 0 }));
  const r = Object.freeze({ ...rules });
  const a = featureVerdict('x', m, 500, false, r);
  const b = featureVerdict('x', m, 500, false, r);
  assert.deepEqual(a, b);
  assert.notEqual(a.alerts, b.alerts);
});

test('window rules: versions without a baseline are warnings, too few documents a warning, none critical', () => {
  const w = (docs: number, versions: string[], r: Partial<FeatureRules> = {}) =>
    windowVerdicts({ docs, versions, knownVersions: ['1', '2'] }, { ...rules, minVolume: 100, ...r });
  assert.deepEqual(w(100, ['1', '2']), []);
  assert.deepEqual(w(99, ['1', '3', '4']), [
    {
      rule: 'unexpected_version',
      feature: '(all)',
      metric: 'version',
      value: '3',
      threshold: '1,2',
      severity: 'warn',
    },
    {
      rule: 'unexpected_version',
      feature: '(all)',
      metric: 'version',
      value: '4',
      threshold: '1,2',
      severity: 'warn',
    },
    { rule: 'volume', feature: '(all)', metric: 'docs', value: 99, threshold: 100, severity: 'warn' },
  ]);
  assert.deepEqual(w(1, []), [
    { rule: 'volume', feature: '(all)', metric: 'docs', value: 1, threshold: 100, severity: 'warn' },
  ]);
  assert.deepEqual(w(0, []), [
    { rule: 'volume', feature: '(all)', metric: 'docs', value: 0, threshold: 100, severity: 'critical' },
  ]);
  // the switches: min_volume 0 is off, unexpected_version false is off
  assert.deepEqual(w(0, ['9'], { minVolume: 0, unexpectedVersion: false }), []);
  assert.deepEqual(defaultRules.minVolume, 0);
  assert.deepEqual(windowVerdicts({ docs: 0, versions: ['9'], knownVersions: [] }, defaultRules), [
    {
      rule: 'unexpected_version',
      feature: '(all)',
      metric: 'version',
      value: '9',
      threshold: '',
      severity: 'warn',
    },
  ]);
  assert.deepEqual(unexpectedVersions({ docs: 3, versions: ['1', '3'], knownVersions: ['1'] }), ['3']);
});

test("the compared quantities the metric documents hold: the NA rule's rise, and only finite numbers", () => {
  assert.deepEqual(comparedQuantities(numeric({ na_rate: 0.3, baseline_na_rate: 0.1, psi: 0.2, js: 0.1 })), {
    na_rate_rise: 0.3 - 0.1,
    psi: 0.2,
    js: 0.1,
  });
  assert.deepEqual(
    comparedQuantities(numeric({ na_rate: 0, baseline_na_rate: Number.NaN, psi: Number.POSITIVE_INFINITY })),
    { js: 0.01 },
  );
  assert.deepEqual(comparedQuantities(text({ oov_rate: 0.5 })), { na_rate_rise: 0, oov_rate_rise: 0.5 });
});

test('novelty: a rise over the expected rate backed by a binomial test fires; the expected rate alone does not', () => {
  // 1,000 values of which 2% unseen, 2% expected (a clean window): no alert
  const clean = categorical({
    count: 1000,
    unseen_rate: 0.02,
    expected_unseen_rate: 0.02,
    unseen_p_value: binomialGreaterP(20, 1000, 0.02),
  });
  assert.deepEqual(featureVerdict('c', clean, 1000, false, rules).alerts, []);
  // a new category at 5% on top: 7% unseen, p tiny, rise 0.05: critical
  const k = 70;
  const drifted = categorical({
    count: 1000,
    unseen_rate: k / 1000,
    expected_unseen_rate: 0.02,
    unseen_p_value: binomialGreaterP(k, 1000, 0.02),
  });
  assert.ok((drifted.unseen_p_value as number) < 1e-10);
  assert.deepEqual(summary(featureVerdict('c', drifted, 1000, false, rules)), [
    `unseen_categories c unseen_rate_rise ${k / 1000 - 0.02} 0.05 critical`,
  ]);
  // a rise without evidence: 3 unseen of 100 where 1% is expected (p = 0.08): nothing
  const p = binomialGreaterP(3, 100, 0.01);
  assert.ok(p > 0.05 && p < 0.1, `p ${p}`);
  const weak = categorical({ count: 100, unseen_rate: 0.03, expected_unseen_rate: 0.01, unseen_p_value: p });
  assert.deepEqual(featureVerdict('c', weak, 100, false, rules).alerts, []);
  // titles expect 38% OOV tokens: 40% is clean; the older absolute rule would have fired critical
  const titles = text({
    count: 500,
    oov_rate: 0.4,
    expected_oov_rate: 0.38,
    docs_with_oov_rate: 0.62,
    expected_docs_with_oov_rate: 0.6,
    oov_p_value: binomialGreaterP(310, 500, 0.6),
  });
  assert.deepEqual(featureVerdict('t', titles, 500, false, rules).alerts, []);
  assert.deepEqual(summary(featureVerdict('t', text({ count: 500, oov_rate: 0.4 }), 500, false, rules)), [
    'oov_words t oov_rate_rise 0.4 0.25 critical',
  ]);
  // a language change: nearly every document has OOV tokens
  const foreign = text({
    count: 500,
    oov_rate: 0.85,
    expected_oov_rate: 0.06,
    docs_with_oov_rate: 0.99,
    expected_docs_with_oov_rate: 0.3,
    oov_p_value: binomialGreaterP(495, 500, 0.3),
  });
  assert.equal(featureVerdict('t', foreign, 500, false, rules).status, 'critical');
});

test('binomialGreaterP is the exact upper tail (SciPy binomtest, alternative greater)', () => {
  // against the direct sum 1 - sum_{j<k} C(n, j) p^j (1-p)^(n-j)
  const direct = (k: number, n: number, p: number) => {
    let below = 0;
    let c = 1;
    for (let j = 0; j < k; j++) {
      below += c * p ** j * (1 - p) ** (n - j);
      c = (c * (n - j)) / (j + 1);
    }
    return 1 - below;
  };
  for (const [k, n, p] of [
    [3, 100, 0.01],
    [20, 1000, 0.02],
    [7, 52, 0.05],
  ] as const)
    assert.ok(Math.abs(binomialGreaterP(k, n, p) - direct(k, n, p)) < 1e-10, `${k} of ${n} at ${p}`);
  // a direct sum: P(X >= 2), n = 5, p = 0.3 = 1 - 0.7^5 - 5 * 0.3 * 0.7^4
  assert.ok(Math.abs(binomialGreaterP(2, 5, 0.3) - (1 - 0.7 ** 5 - 5 * 0.3 * 0.7 ** 4)) < 1e-12);
  assert.equal(binomialGreaterP(0, 10, 0.5), 1);
  assert.equal(binomialGreaterP(1, 10, 0), 0);
});

test('a rule is clear (may resolve its alert) only where a 5% test could have detected the floor', () => {
  const clear = (o: Partial<FeatureStatistics>) =>
    featureVerdict('x', numeric(o), 500, false, rules).clear.some((c) => c.metric === 'psi');
  // the alerting critical value is above the floor, but the null's 95th percentile is under it: clear
  assert.equal(clear({ psi: 0.02, psi_critical: 0.15, psi_clear: 0.06 }), true);
  // the null's 95th percentile above the floor: PSI under the floor is no evidence, the alert stays
  assert.equal(clear({ psi: 0.02, psi_critical: 0.3, psi_clear: 0.12 }), false);
  // a PSI at the floor but not significant is not clear either
  assert.equal(clear({ psi: 0.1, psi_critical: 0.15, psi_clear: 0.06 }), false);
});
