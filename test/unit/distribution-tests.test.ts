import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  chiSquared,
  jensenShannon,
  kolmogorovSf,
  ksBinned,
  lInfinity,
  meanShiftSe,
  psi,
  wassersteinBinned,
} from '../../src/metrics/distribution-tests.js';

// computed with SciPy by scripts/golden/stats_golden.py
const golden = JSON.parse(
  readFileSync(new URL('../fixtures/stats-golden.json', import.meta.url), 'utf8'),
) as {
  cases: {
    expected: number[];
    actual: number[];
    edges: number[];
    min: number;
    std: number;
    psi: number;
    ks: number;
    ks_p: number;
    chi2: number;
    chi2_p: number;
    chi2_dof: number;
    js: number;
    linf: number;
    wasserstein: number;
  }[];
  kolmogorov: { z: number; sf: number }[];
  mean_shift: { bm: number; bs: number; wm: number; n: number; se: number }[];
};

function close(actual: number, want: number, what: string, tol = 1e-6): void {
  assert.ok(
    Math.abs(actual - want) <= tol * Math.max(1, Math.abs(want)),
    `${what}: ${actual} vs SciPy ${want}`,
  );
}

test('Kolmogorov survival function matches scipy.special.kolmogorov', () => {
  for (const { z, sf } of golden.kolmogorov) close(kolmogorovSf(z), sf, `Q(${z})`, 1e-9);
});

golden.cases.forEach((c, i) => {
  test(`drift statistics, case ${i} (${c.expected.length} bins), match SciPy to 1e-6`, () => {
    close(psi(c.expected, c.actual), c.psi, 'psi');
    const ks = ksBinned(c.expected, c.actual);
    close(ks.statistic, c.ks, 'ks');
    close(ks.pValue, c.ks_p, 'ks p');
    const chi = chiSquared(c.expected, c.actual);
    close(chi.statistic, c.chi2, 'chi2');
    close(chi.pValue, c.chi2_p, 'chi2 p');
    assert.equal(chi.dof, c.chi2_dof);
    close(jensenShannon(c.expected, c.actual), c.js, 'js');
    close(lInfinity(c.expected, c.actual), c.linf, 'linf');
    close(wassersteinBinned(c.edges, c.min, c.expected, c.actual, c.std), c.wasserstein, 'wasserstein');
  });
});

test('identical distributions: no drift by any measure', () => {
  const x = [10, 20, 30, 40];
  assert.equal(psi(x, x), 0);
  assert.equal(ksBinned(x, x).statistic, 0);
  assert.equal(ksBinned(x, x).pValue, 1);
  assert.equal(chiSquared(x, x).statistic, 0);
  assert.equal(chiSquared(x, x).pValue, 1);
  assert.equal(jensenShannon(x, x), 0);
  assert.equal(lInfinity(x, x), 0);
  assert.equal(wassersteinBinned([1, 2, 3], 0, x, x, 1), 0);
});

test('mean shift in standard errors', () => {
  for (const m of golden.mean_shift) close(meanShiftSe(m.bm, m.bs, m.wm, m.n), m.se, 'se', 1e-12);
  assert.equal(meanShiftSe(1, 1, 5, 0), 0);
});
