import binomial from '@stdlib/random-base-binomial';
import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';
import gammaQuantile from '@stdlib/stats-base-dists-gamma-quantile';

/**
 * Thresholds calibrated on the reference at the window's sample size (README, "Rules and
 * calibration"). A drift statistic's null distribution at the window's n is simulated from the
 * baseline itself: a baseline of its own size and a window of n values, both multinomial draws from
 * the baseline's bin or category shares, and the statistic between them. The critical value is the
 * order statistic of those draws a Monte Carlo test of level `level` needs: a clean window's statistic
 * is exchangeable with the draws, so it lands beyond that value with probability at most `level`,
 * whatever the number of draws. A statistic that is the square root of a divergence (Jensen-Shannon)
 * may instead ask for a fitted tail: its square's null is close to a scaled chi-square (2N ln2 JS^2
 * tends to chi-square with k - 1 degrees of freedom), so a gamma fitted by moments to FIT_DRAWS draws
 * gives the quantile at any level for a constant cost, where the order statistic needs 5 / level draws
 * (30,000 at 60 tests; each draw costs a multinomial over every category). Pure and seeded (the same
 * feature and n give the same value); the values are cached by (key, n, level) in a bounded cache.
 */

/** A statistic between two count vectors over the same bins (psi, jensenShannon, ksBinned's D, ...). */
export type CountStatistic = (expected: readonly number[], actual: readonly number[]) => number;

/** The false-alarm budget of a whole window, every feature and rule together, by default. */
export const FALSE_ALARM_BUDGET = {
  default: 0.01,
  source:
    'ours: at most one window in a hundred with a false alarm; Bonferroni over the window\'s tests, as in Rabanser et al. "Failing Loudly" and Alibi Detect',
};

/** The per-test level that keeps a window of `tests` tests within `budget` (Bonferroni). */
export function testLevel(budget: number, tests: number): number {
  return budget / Math.max(1, tests);
}

/** Draws enough that the critical value is the TAIL-th largest: a stable order statistic. */
const TAIL = 5;
const MIN_DRAWS = 999;
const MAX_DRAWS = 100_000;

/** Draws a fitted tail takes: the moments and the clearing quantile (at 5%) are stable at this count. */
export const FIT_DRAWS = 2999;

export function drawsFor(level: number, tail: NullTail = 'order-statistic'): number {
  if (tail === 'gamma-of-square') return FIT_DRAWS;
  return Math.min(MAX_DRAWS, Math.max(MIN_DRAWS, Math.ceil(TAIL / level) - 1));
}

/**
 * The n the null is simulated at: n itself up to 64, then the geometric grid point at or below it
 * (steps of 2^(1/8), about 9%). A statistic's null shrinks as n grows, so the grid's smaller n gives a
 * critical value at least as large: conservative, and windows of similar size share a cache entry.
 */
export function gridN(n: number): number {
  if (n <= 64) return Math.max(1, Math.floor(n));
  return Math.max(64, Math.floor(2 ** (Math.floor(Math.log2(n) * 8) / 8) + 1e-9));
}

/** FNV-1a of a string: the seed of a key's draws, so a verdict does not change between runs. */
function seedOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h || 1;
}

type Binomial = (n: number, p: number) => number;

/** Below this mean a binomial is drawn by inversion (as stdlib switches to its other method there). */
const INVERSION_MEAN = 10;

/**
 * A seeded binomial sampler for the simulation's inner loop. stdlib's sampler draws one uniform per
 * trial where the mean is under 10 (3,000 uniforms for Binomial(3000, 0.003)), which made a null over
 * 300 categories take 27 s; inversion from P(0) up takes about `mean` steps. Larger means go to stdlib.
 */
export function binomialSampler(seed: number): Binomial {
  // the factory's PRNG is its MT19937, whose `normalized` draws uniforms on [0, 1) (stdlib's typings stop at PRNG)
  const large = binomial.factory({ seed }) as unknown as Binomial & { PRNG: { normalized: () => number } };
  const uniform = large.PRNG.normalized;
  return (n, p) => {
    if (n <= 0 || p <= 0) return 0;
    if (p >= 1) return n;
    const flip = p > 0.5;
    const q = flip ? 1 - p : p;
    if (n * q >= INVERSION_MEAN) return large(n, p);
    // P(x) = P(x - 1) (n - x + 1) / x * q / (1 - q), from P(0) = (1 - q)^n
    const odds = q / (1 - q);
    const a = (n + 1) * odds;
    let r = (1 - q) ** n;
    let u = uniform();
    let x = 0;
    while (u > r && x < n) {
      u -= r;
      x++;
      r *= a / x - odds;
    }
    return flip ? n - x : x;
  };
}

/** A multinomial draw of `n` over `shares` (summing to 1), as a chain of conditional binomials. */
export function multinomial(draw: Binomial, n: number, shares: readonly number[]): number[] {
  const out = new Array<number>(shares.length).fill(0);
  let left = n;
  let rest = 1;
  for (let i = 0; i < shares.length && left > 0; i++) {
    const p = shares[i] as number;
    if (i === shares.length - 1 || rest <= p) {
      out[i] = left;
      break;
    }
    const x = p > 0 ? draw(left, Math.min(1, p / rest)) : 0;
    out[i] = x;
    left -= x;
    rest -= p;
  }
  return out;
}

export interface NullRequest {
  /** what the reference and statistic are (baseline id, feature, statistic): the cache's and seed's key */
  key: string;
  /** the baseline's counts over the bins or categories the statistic compares */
  reference: readonly number[];
  /** the window's values */
  n: number;
  /** the per-test false-alarm level */
  level: number;
  statistic: CountStatistic;
  /** how the critical value is read off the draws (the order statistic unless the statistic allows a fit) */
  tail?: NullTail;
}

/**
 * `order-statistic`: the exact Monte Carlo critical value (PSI's floored logarithms give it a heavy
 * tail that no simple fit follows). `gamma-of-square`: the statistic's square fitted by a gamma.
 */
export type NullTail = 'order-statistic' | 'gamma-of-square';

/**
 * The level at which a window can show a rule's condition gone (and resolve its alert): if a test at
 * this conventional level could have detected an effect at the floor and the quantity is under it,
 * the condition is absent. Laxer than the alerting level, which must share the window's budget.
 */
export const CLEAR_LEVEL = 0.05;

export interface NullThreshold {
  /** a clean window's statistic exceeds this with probability at most `level` */
  critical: number;
  /** the null's quantile at CLEAR_LEVEL (the same draws) */
  clear: number;
  /** the n the null was simulated at (gridN) */
  n: number;
  draws: number;
  level: number;
}

const CACHE_SIZE = 512;
const cache = new Map<string, NullThreshold>();

function simulate(req: NullRequest, n: number, draws: number): { critical: number; clear: number } {
  const total = req.reference.reduce((s, c) => s + c, 0);
  const shares = req.reference.map((c) => c / total);
  const draw = binomialSampler(seedOf(`${req.key}\u0000${n}\u0000${draws}`));
  const baseN = Math.round(total);
  const stats = new Float64Array(draws);
  for (let d = 0; d < draws; d++)
    stats[d] = req.statistic(multinomial(draw, baseN, shares), multinomial(draw, n, shares));
  stats.sort();
  // a level-`level` Monte Carlo test rejects past the ceil((1 - level)(draws + 1))-th smallest draw
  const at = (level: number) => stats[Math.min(draws, Math.ceil((1 - level) * (draws + 1))) - 1] as number;
  const clear = at(Math.max(req.level, CLEAR_LEVEL));
  if (req.tail !== 'gamma-of-square') return { critical: at(req.level), clear };
  return { critical: Math.max(clear, gammaTail(stats, req.level)), clear };
}

/** The (1 - level) quantile of a gamma fitted by moments to the squares of `stats`, as a statistic. */
function gammaTail(stats: Float64Array, level: number): number {
  let mean = 0;
  for (const x of stats) mean += x * x;
  mean /= stats.length;
  let variance = 0;
  for (const x of stats) variance += (x * x - mean) ** 2;
  variance /= stats.length - 1;
  // every draw equal (one category): the statistic cannot vary, so it cannot exceed its one value
  if (!(variance > 0)) return Math.sqrt(mean);
  const shape = (mean * mean) / variance;
  const rate = mean / variance;
  return Math.sqrt(gammaQuantile(1 - level, shape, rate));
}

/** The critical value of a drift statistic at the window's n (Infinity where nothing can be judged). */
export function nullThreshold(req: NullRequest): NullThreshold {
  const n = gridN(req.n);
  const draws = drawsFor(req.level, req.tail);
  const total = req.reference.reduce((s, c) => s + c, 0);
  if (!(req.n > 0) || !(total > 0))
    return {
      critical: Number.POSITIVE_INFINITY,
      clear: Number.POSITIVE_INFINITY,
      n,
      draws: 0,
      level: req.level,
    };
  const k = `${req.key}\u0000${n}\u0000${req.level}\u0000${req.tail ?? ''}`;
  const hit = cache.get(k);
  if (hit) {
    // most recently used last: the first key is the one to evict
    cache.delete(k);
    cache.set(k, hit);
    return hit;
  }
  const out: NullThreshold = { ...simulate(req, n, draws), n, draws, level: req.level };
  cache.set(k, out);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return out;
}

/** One-sided binomial test: P(X >= successes) for X ~ Binomial(trials, rate). */
export function binomialSf(successes: number, trials: number, rate: number): number {
  if (successes <= 0) return 1;
  if (rate <= 0) return 0;
  if (rate >= 1) return 1;
  return Math.max(0, 1 - binomialCdf(successes - 1, trials, rate));
}

/**
 * The smallest rise over `rate` a one-sided binomial test of `trials` at `level` can call
 * significant: below the effect floor, a window that shows no rise is evidence that there is none.
 */
export function detectableRise(trials: number, rate: number, level: number): number {
  if (trials <= 0) return Number.POSITIVE_INFINITY;
  // the smallest count whose tail is within the level, by bisection on the monotone tail
  let lo = 0;
  let hi = trials + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (mid <= trials && binomialSf(mid, trials, rate) <= level) hi = mid;
    else lo = mid + 1;
  }
  return lo > trials ? Number.POSITIVE_INFINITY : lo / trials - rate;
}
