import betainc from '@stdlib/math-base-special-betainc';
import gammainc from '@stdlib/math-base-special-gammainc';

/**
 * The drift statistics, on binned or categorical counts (README, "Statistics"). Each function is
 * checked against SciPy by test/unit/distribution-tests.test.ts (golden values from scripts/golden/stats_golden.py).
 */

/** Proportions with empty bins floored at 1e-4, as Evidently does, so PSI stays finite. */
export const PSI_FLOOR = 1e-4;

function total(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

/** Population stability index over the same bins: sum (a - e) * ln(a / e) on floored proportions. */
export function psi(expected: readonly number[], actual: readonly number[]): number {
  const ne = total(expected);
  const na = total(actual);
  let s = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max((expected[i] as number) / ne, PSI_FLOOR);
    const a = Math.max((actual[i] as number) / na, PSI_FLOOR);
    s += (a - e) * Math.log(a / e);
  }
  return s;
}

/**
 * Kolmogorov's limiting distribution, survival function P(K > z). Below z = 1 from the CDF's
 * theta series, sqrt(2 pi) / z * sum exp(-(2k-1)^2 pi^2 / (8 z^2)), which converges fast there;
 * above it from 2 * sum (-1)^(k-1) exp(-2 k^2 z^2).
 */
export function kolmogorovSf(z: number): number {
  if (z <= 0) return 1;
  if (z < 1) {
    if (z < 0.04) return 1;
    let cdf = 0;
    for (let k = 1; k <= 20; k++) {
      const term = Math.exp((-((2 * k - 1) ** 2) * Math.PI * Math.PI) / (8 * z * z));
      cdf += term;
      if (term < 1e-18 * cdf) break;
    }
    return Math.min(1, Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / z) * cdf));
  }
  let s = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * z * z);
    s += (k % 2 === 1 ? 1 : -1) * term;
    if (term < 1e-18) break;
  }
  return Math.min(1, Math.max(0, 2 * s));
}

/**
 * Two-sample Kolmogorov-Smirnov on binned counts: D is the largest gap between the two empirical
 * CDFs at the bin boundaries (a lower bound of the unbinned D); the p-value is asymptotic,
 * Q_KS(sqrt(n m / (n + m)) D).
 */
export function ksBinned(
  expected: readonly number[],
  actual: readonly number[],
): { statistic: number; pValue: number } {
  const ne = total(expected);
  const na = total(actual);
  let ce = 0;
  let ca = 0;
  let d = 0;
  for (let i = 0; i < expected.length; i++) {
    ce += expected[i] as number;
    ca += actual[i] as number;
    d = Math.max(d, Math.abs(ce / ne - ca / na));
  }
  const en = (ne * na) / (ne + na);
  return { statistic: d, pValue: kolmogorovSf(Math.sqrt(en) * d) };
}

/**
 * Chi-squared test of homogeneity on a 2 x k table (baseline counts, window counts), without
 * Yates' correction; categories empty in both rows are left out.
 */
export function chiSquared(
  expected: readonly number[],
  actual: readonly number[],
): { statistic: number; dof: number; pValue: number } {
  const cols: [number, number][] = [];
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] as number;
    const a = actual[i] as number;
    if (e + a > 0) cols.push([e, a]);
  }
  const r1 = total(cols.map((c) => c[0]));
  const r2 = total(cols.map((c) => c[1]));
  const n = r1 + r2;
  let stat = 0;
  for (const [e, a] of cols) {
    const c = e + a;
    const ee = (r1 * c) / n;
    const ea = (r2 * c) / n;
    stat += ((e - ee) * (e - ee)) / ee + ((a - ea) * (a - ea)) / ea;
  }
  const dof = cols.length - 1;
  if (dof < 1 || r1 === 0 || r2 === 0) return { statistic: 0, dof: Math.max(dof, 0), pValue: 1 };
  return { statistic: stat, dof, pValue: gammainc(stat / 2, dof / 2, true, true) };
}

/** Jensen-Shannon distance, base 2 (0 identical, 1 disjoint): the square root of the divergence. */
export function jensenShannon(expected: readonly number[], actual: readonly number[]): number {
  const ne = total(expected);
  const na = total(actual);
  let div = 0;
  for (let i = 0; i < expected.length; i++) {
    const p = (expected[i] as number) / ne;
    const q = (actual[i] as number) / na;
    const m = (p + q) / 2;
    if (p > 0) div += 0.5 * p * Math.log2(p / m);
    if (q > 0) div += 0.5 * q * Math.log2(q / m);
  }
  return Math.sqrt(Math.max(0, div));
}

/** Largest difference of category shares (TFDV's L-infinity distance). */
export function lInfinity(expected: readonly number[], actual: readonly number[]): number {
  const ne = total(expected);
  const na = total(actual);
  let d = 0;
  for (let i = 0; i < expected.length; i++)
    d = Math.max(d, Math.abs((expected[i] as number) / ne - (actual[i] as number) / na));
  return d;
}

/**
 * Wasserstein-1 distance between binned distributions, normalized by the baseline's standard
 * deviation (floored at 0.001, as Evidently does). Bin i's mass sits at its lower boundary:
 * points are (baseline min, e1, ..., em).
 */
export function wassersteinBinned(
  edges: readonly number[],
  min: number,
  expected: readonly number[],
  actual: readonly number[],
  std: number,
): number {
  const points = [min, ...edges];
  const ne = total(expected);
  const na = total(actual);
  let ce = 0;
  let ca = 0;
  let w = 0;
  for (let i = 0; i < points.length - 1; i++) {
    ce += (expected[i] as number) / ne;
    ca += (actual[i] as number) / na;
    w += Math.abs(ce - ca) * ((points[i + 1] as number) - (points[i] as number));
  }
  return w / Math.max(std, 0.001);
}

/** How many standard errors the window's mean is from the baseline's: (mean_w - mean_b) / (std_b / sqrt(n_w)). */
export function meanShiftSe(
  baselineMean: number,
  baselineStd: number,
  windowMean: number,
  windowCount: number,
): number {
  if (windowCount === 0) return 0;
  return (windowMean - baselineMean) / (Math.max(baselineStd, 1e-12) / Math.sqrt(windowCount));
}

/**
 * One-sided exact binomial test: P(X >= k) for X ~ Binomial(n, p0), the p-value of "the rate is above
 * p0" (scipy.stats.binomtest(k, n, p0, alternative='greater')). Through the regularized incomplete
 * beta function, P(X >= k) = I_p0(k, n - k + 1).
 */
export function binomialGreaterP(k: number, n: number, p0: number): number {
  if (k <= 0 || n <= 0) return 1;
  if (p0 <= 0) return 0;
  if (p0 >= 1) return 1;
  return Math.min(1, Math.max(0, betainc(p0, k, n - k + 1)));
}

/**
 * Wasserstein-1 between two distributions given as point masses (value, weight), normalized by the
 * baseline's standard deviation (floored at 0.001). With the fine grid each bin's mass sits at the
 * mean of its values (the training values' for the baseline, the window's `avg` for the window), so
 * the distance is that of the two binned-by-mean distributions, computed exactly: the integral of
 * |F_b - F_w| over the merged support.
 */
export function wassersteinPoints(
  expected: readonly (readonly [number, number])[],
  actual: readonly (readonly [number, number])[],
  std: number,
): number {
  const ne = total(expected.map((p) => p[1]));
  const na = total(actual.map((p) => p[1]));
  if (ne === 0 || na === 0) return 0;
  const events: [number, number][] = [
    ...expected.filter((p) => p[1] > 0).map(([x, w]): [number, number] => [x, w / ne]),
    ...actual.filter((p) => p[1] > 0).map(([x, w]): [number, number] => [x, -w / na]),
  ].sort((a, b) => a[0] - b[0]);
  let diff = 0;
  let w = 0;
  for (let i = 0; i < events.length; i++) {
    diff += (events[i] as [number, number])[1];
    const next = events[i + 1];
    if (next) w += Math.abs(diff) * (next[0] - (events[i] as [number, number])[0]);
  }
  return w / Math.max(std, 0.001);
}
