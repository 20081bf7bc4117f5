import { DDSketch } from '@datadog/sketches-js';
import type {
  CategoricalProfile,
  IdentifierProfile,
  NumericProfile,
  TextProfile,
} from '../contract/baseline-document.js';
import { TOKENIZER_VERSION, tokenize } from '../contract/tokenizer.js';

/** Welford's online mean and variance: one pass, numerically stable. */
export class RunningMoments {
  n = 0;
  mean = 0;
  private m2 = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  add(x: number): void {
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
  }
  /** sample standard deviation (n - 1), as pandas reports it */
  get std(): number {
    return this.n > 1 ? Math.sqrt(this.m2 / (this.n - 1)) : 0;
  }
}

/** Linear interpolation between closest ranks (NumPy's default `linear` method, Hyndman-Fan type 7). */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (pos - lo) * (b - a);
}

/** Index of the bin [e_i, e_i+1) holding x: the number of edges <= x. */
export function binIndex(edges: readonly number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((edges[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The index of the first element >= x in a sorted array. */
function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);
/** The smallest double above x (finite x). */
export function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  f64[0] = x;
  i64[0] = (i64[0] as bigint) + (x > 0 ? 1n : -1n);
  return f64[0] as number;
}

function uniqueSorted(xs: number[]): number[] {
  const out: number[] = [];
  for (const x of xs) if (out.length === 0 || x > (out[out.length - 1] as number)) out.push(x);
  return out;
}

export const SKETCH_RELATIVE_ACCURACY = 0.005;

/**
 * Numeric columns: moments always; all values while there are at most `exactLimit` of them
 * (exact quantiles), a DDSketch beyond (estimated edges, counted exactly in a second pass).
 */
export class NumericAccumulator {
  readonly moments = new RunningMoments();
  private values: Float64Array | undefined = new Float64Array(1024);
  private sketch: DDSketch | undefined;

  constructor(private readonly exactLimit: number) {}

  add(x: number): void {
    this.moments.add(x);
    if (this.values) {
      const n = this.moments.n;
      if (n <= this.exactLimit) {
        if (n > this.values.length) {
          const grown = new Float64Array(Math.min(this.values.length * 2, this.exactLimit));
          grown.set(this.values);
          this.values = grown;
        }
        this.values[n - 1] = x;
        return;
      }
      // past the limit: hand everything to the sketch and let the array go
      this.sketch = new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY });
      for (let i = 0; i < n - 1; i++) this.sketch.accept(this.values[i] as number);
      this.values = undefined;
    }
    this.sketch?.accept(x);
  }

  get needsCountingPass(): boolean {
    return this.sketch !== undefined;
  }

  /** Edges of `bins` equal-frequency bins, ties merged. */
  edges(bins: number): number[] {
    const n = this.moments.n;
    if (n === 0) return [];
    const qs = Array.from({ length: bins - 1 }, (_, i) => (i + 1) / bins);
    if (this.values) {
      const sorted = this.values.subarray(0, n).sort();
      return uniqueSorted(qs.map((q) => quantileSorted(sorted, q)));
    }
    const sketch = this.sketch as DDSketch;
    // clamp estimates to the observed range so no bin lies outside the data
    return uniqueSorted(
      qs.map((q) => Math.min(this.moments.max, Math.max(this.moments.min, sketch.getValueAtQuantile(q)))),
    );
  }

  /**
   * The fine grid's edges: `bins` equal-frequency edges, and where an edge is a value the data holds
   * many times (ties: money in round amounts, counts), a second edge just above it, so that value's
   * point mass is a bin of its own and the CDF is known on both sides of its jump (the binned KS
   * would otherwise miss the gap right after it). Exact path only; a sketch gives the plain edges.
   */
  fineEdges(bins: number): number[] {
    const edges = this.edges(bins);
    if (!this.values) return edges;
    const sorted = this.values.subarray(0, this.moments.n); // sorted by edges()
    const out: number[] = [];
    const minMass = sorted.length / (2 * bins);
    for (const e of edges) {
      out.push(e);
      const lo = lowerBound(sorted, e);
      const hi = lowerBound(sorted, nextUp(e));
      if (hi - lo >= minMass) out.push(nextUp(e));
    }
    return uniqueSorted(out);
  }

  /** Exact counts and sums per bin when all values are kept; otherwise the caller counts in a second pass. */
  exactCountsAndSums(edges: number[]): { counts: number[]; sums: number[] } | undefined {
    if (!this.values) return undefined;
    const counts = new Array<number>(edges.length + 1).fill(0);
    const sums = new Array<number>(edges.length + 1).fill(0);
    const n = this.moments.n;
    for (let i = 0; i < n; i++) {
      const x = this.values[i] as number;
      const b = binIndex(edges, x);
      counts[b] = (counts[b] as number) + 1;
      sums[b] = (sums[b] as number) + x;
    }
    return { counts, sums };
  }

  /** Exact counts when all values are kept; otherwise the caller counts in a second pass. */
  exactCounts(edges: number[]): number[] | undefined {
    if (!this.values) return undefined;
    const counts = new Array<number>(edges.length + 1).fill(0);
    const n = this.moments.n;
    for (let i = 0; i < n; i++) {
      const b = binIndex(edges, this.values[i] as number);
      counts[b] = (counts[b] as number) + 1;
    }
    return counts;
  }

  profile(edges: number[], counts: number[]): NumericProfile {
    const m = this.moments;
    const out: NumericProfile = {
      min: m.n ? m.min : Number.NaN,
      max: m.n ? m.max : Number.NaN,
      mean: m.mean,
      std: m.std,
      quantile_method: this.values ? 'exact' : 'sketch',
      bins: { edges, counts },
    };
    if (!this.values) out.sketch_relative_accuracy = SKETCH_RELATIVE_ACCURACY;
    return out;
  }
}

/**
 * Counts of distinct values. Exact until `capacity` distinct values; then Misra-Gries: when full,
 * every count drops by the smallest one and zeros leave. Counts become lower bounds (error at most
 * n / capacity), and the profile says so.
 */
export class CountingMap {
  readonly counts = new Map<string, number>();
  total = 0;
  approximate = false;
  distinctLowerBound = 0;

  constructor(private readonly capacity: number) {}

  add(key: string, by = 1): void {
    this.total += by;
    const c = this.counts.get(key);
    if (c !== undefined) {
      this.counts.set(key, c + by);
      return;
    }
    this.counts.set(key, by);
    if (!this.approximate) this.distinctLowerBound = this.counts.size;
    if (this.counts.size > this.capacity) this.shrink();
  }

  private shrink(): void {
    this.approximate = true;
    // drop the lower half's counts at once: amortized O(1) per value
    const sorted = [...this.counts.values()].sort((a, b) => a - b);
    const cut = sorted[Math.floor(sorted.length / 2)] as number;
    for (const [k, v] of this.counts) {
      if (v <= cut) this.counts.delete(k);
      else this.counts.set(k, v - cut);
    }
  }

  /** The `limit` most frequent, count descending then key ascending (deterministic). */
  top(limit: number): [string, number][] {
    return [...this.counts.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, limit);
  }
}

export class CategoricalAccumulator {
  private readonly map: CountingMap;
  constructor(private readonly limit: number) {
    this.map = new CountingMap(limit * 2);
  }
  add(v: string): void {
    this.map.add(v);
  }
  get tooMany(): boolean {
    return this.map.approximate || this.map.counts.size > this.limit;
  }
  profile(): CategoricalProfile {
    const top = this.map.top(this.limit);
    const kept = top.reduce((s, [, c]) => s + c, 0);
    const singletons = top.reduce((s, [, c]) => s + (c === 1 ? 1 : 0), 0);
    const other = this.map.total - kept;
    return {
      distinct: this.map.approximate ? this.map.distinctLowerBound : this.map.counts.size,
      values: Object.fromEntries(top),
      other_count: other,
      approximate: this.map.approximate || this.map.counts.size > this.limit,
      // Good-Turing: a fresh value is new with probability (values seen once) / values; values past
      // the kept list are unseen too, so their mass adds in
      ...(this.map.total ? { expected_unseen_rate: (singletons + other) / this.map.total } : {}),
    };
  }
}

export class TextAccumulator {
  private readonly vocab: CountingMap;
  private readonly perDoc = new RunningMoments();
  private tokens = 0;
  /** per token: the index of the one document holding it, or -1 once a second one does */
  private readonly onlyDoc = new Map<string, number>();
  private readonly docCap: number;
  private docs = 0;
  constructor(private readonly limit: number) {
    // count many more distinct tokens than kept, so the kept ones are exact in practice
    this.docCap = Math.max(limit * 20, 1_000_000);
    this.vocab = new CountingMap(this.docCap);
  }
  add(text: string): void {
    const toks = tokenize(text);
    const doc = this.docs++;
    this.perDoc.add(toks.length);
    this.tokens += toks.length;
    for (const t of toks) {
      this.vocab.add(t);
      const d = this.onlyDoc.get(t);
      if (d === undefined) {
        if (this.onlyDoc.size < this.docCap) this.onlyDoc.set(t, doc);
      } else if (d !== doc && d !== -1) this.onlyDoc.set(t, -1);
    }
  }

  /**
   * The OOV rates to expect on fresh clean text, against the kept (possibly truncated) vocabulary.
   * Tokens: Good-Turing's new-token share (tokens seen once / tokens) plus the training mass of
   * the tokens past the cap that were seen more than once (they are OOV as well). Documents: the
   * leave-one-document-out share (a document holding a token no other document has would have had an
   * OOV token had it been left out), combined with the chance to meet a past-the-cap token.
   */
  private expected(top: [string, number][]): { tokens: number; docs: number } | undefined {
    if (this.tokens === 0 || this.docs === 0) return undefined;
    const kept = new Set(top.map(([t]) => t));
    let singletons = 0;
    let pastCapRepeated = 0;
    for (const [t, c] of this.vocab.counts) {
      if (c === 1) singletons++;
      else if (!kept.has(t)) pastCapRepeated += c;
    }
    // mass the counting map dropped (beyond a million distinct tokens) is past the cap too
    const counted = [...this.vocab.counts.values()].reduce((s, c) => s + c, 0);
    pastCapRepeated += this.vocab.total - counted;
    const docsWithUnique = new Set<number>();
    for (const d of this.onlyDoc.values()) if (d >= 0) docsWithUnique.add(d);
    const q = pastCapRepeated / this.tokens;
    const pDocPastCap = 1 - (1 - q) ** this.perDoc.mean;
    const pDocUnique = docsWithUnique.size / this.docs;
    return {
      tokens: (singletons + pastCapRepeated) / this.tokens,
      docs: 1 - (1 - pDocUnique) * (1 - pDocPastCap),
    };
  }

  profile(): TextProfile {
    const top = this.vocab.top(this.limit);
    const seen = this.vocab.approximate ? this.vocab.distinctLowerBound : this.vocab.counts.size;
    const expected = this.expected(top);
    return {
      tokenizer: TOKENIZER_VERSION,
      tokens_total: this.tokens,
      tokens_per_doc: {
        mean: this.perDoc.mean,
        std: this.perDoc.std,
        min: this.perDoc.n ? this.perDoc.min : 0,
        max: this.perDoc.n ? this.perDoc.max : 0,
      },
      vocabulary: Object.fromEntries(top),
      vocabulary_seen: seen,
      vocabulary_limit: this.limit,
      vocabulary_truncated: seen > this.limit,
      approximate: this.vocab.approximate,
      ...(expected ? { expected_oov_rate: expected.tokens, expected_docs_with_oov_rate: expected.docs } : {}),
    };
  }
}

export class BooleanAccumulator {
  private readonly counts = { true: 0, false: 0 };
  add(b: boolean): void {
    this.counts[b ? 'true' : 'false']++;
  }
  profile(): { true: number; false: number } {
    return { ...this.counts };
  }
}

/** Identifier columns: how many distinct values, exactly up to a cap (then a lower bound). */
export class IdentifierAccumulator {
  static readonly CAP = 1_000_000;
  private readonly seen = new Set<string>();
  private n = 0;
  private approximate = false;
  add(v: string): void {
    this.n++;
    if (this.seen.size < IdentifierAccumulator.CAP) this.seen.add(v);
    else if (!this.seen.has(v)) this.approximate = true;
  }
  profile(): IdentifierProfile {
    return {
      distinct: this.seen.size,
      distinct_share: this.n ? this.seen.size / this.n : 0,
      approximate: this.approximate,
    };
  }
}

/** The range of a datetime column, kept as epoch milliseconds. */
export class DatetimeAccumulator {
  private n = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  add(t: number): void {
    this.n++;
    if (t < this.min) this.min = t;
    if (t > this.max) this.max = t;
  }
  /** undefined while no date was seen */
  profile(): { min: string; max: string } | undefined {
    if (this.n === 0) return undefined;
    return { min: new Date(this.min).toISOString(), max: new Date(this.max).toISOString() };
  }
}
