import type { FeatureProfile, ProfileType } from '../contract/baseline-document.js';
import {
  BooleanAccumulator,
  binIndex,
  CategoricalAccumulator,
  DatetimeAccumulator,
  IdentifierAccumulator,
  NumericAccumulator,
  TextAccumulator,
} from './accumulators.js';
import { asBoolean, asCategory, asDate, asNumber, isNa, type ValueRules } from './values.js';

/**
 * The finer equal-frequency grid for KS and Wasserstein (NumericProfile.fine_bins): 100 bins bound
 * the binned KS's error by about a bin's mass (1%), and the per-bin means keep Wasserstein's.
 */
export const FINE_BINS = 100;

export interface ColumnSettings {
  bins: number;
  categoryLimit: number;
  vocabularyLimit: number;
  exactQuantileLimit: number;
}

/**
 * One column of the profile: turns raw values into its type's values, counts valid and invalid
 * ones, and feeds the accumulator of its type (accumulators.ts).
 */
export class ColumnAccumulator {
  valid = 0;
  invalid = 0;
  private readonly numeric?: NumericAccumulator;
  private readonly categorical?: CategoricalAccumulator;
  private readonly text?: TextAccumulator;
  private readonly boolean?: BooleanAccumulator;
  private readonly datetime?: DatetimeAccumulator;
  private readonly identifier?: IdentifierAccumulator;
  private warnedInvalid = false;
  private edges: number[] = [];
  private counts: number[] = [];
  private fineEdges: number[] = [];
  private fineCounts: number[] = [];
  private fineSums: number[] = [];

  constructor(
    readonly name: string,
    readonly type: ProfileType,
    readonly rules: ValueRules,
    private readonly settings: ColumnSettings,
    private readonly warn: (message: string) => void,
    /** why the type was chosen (type-inference.ts) */
    private readonly typeReason?: string,
  ) {
    // datetimes are profiled like numbers too, on epoch milliseconds: bins for drift and the range
    if (type === 'numeric' || type === 'datetime')
      this.numeric = new NumericAccumulator(settings.exactQuantileLimit);
    else if (type === 'categorical') this.categorical = new CategoricalAccumulator(settings.categoryLimit);
    else if (type === 'text') this.text = new TextAccumulator(settings.vocabularyLimit);
    else if (type === 'boolean') this.boolean = new BooleanAccumulator();
    else if (type === 'identifier') this.identifier = new IdentifierAccumulator();
    if (type === 'datetime') this.datetime = new DatetimeAccumulator();
  }

  /** One value of the profile pass. */
  add(v: unknown): void {
    if (isNa(v, this.rules)) return;
    if (this.datetime) {
      const d = asDate(v);
      if (!d) {
        this.invalid++;
        return;
      }
      this.valid++;
      this.datetime.add(d.getTime());
      this.numeric?.add(d.getTime());
    } else if (this.numeric) {
      const n = asNumber(v);
      if (n === undefined) {
        this.invalid++;
        // once per column: a log line per bad value would drown the rest
        if (!this.warnedInvalid) {
          this.warnedInvalid = true;
          this.warn(
            `numeric column "${this.name}" has non-numeric values (first: ${JSON.stringify(asCategory(v)).slice(0, 60)}); counted as invalid`,
          );
        }
        return;
      }
      this.valid++;
      this.numeric.add(n);
    } else if (this.categorical) {
      this.valid++;
      this.categorical.add(asCategory(v));
    } else if (this.text) {
      this.valid++;
      this.text.add(asCategory(v));
    } else if (this.identifier) {
      this.valid++;
      this.identifier.add(asCategory(v));
    } else if (this.boolean) {
      const b = asBoolean(v);
      if (b === undefined) {
        this.invalid++;
        return;
      }
      this.valid++;
      this.boolean.add(b);
    }
  }

  /** After the profile pass: warns about what it saw and fixes the numeric bin edges. */
  endProfilePass(): void {
    const limit = this.settings.categoryLimit;
    if (this.categorical?.tooMany) {
      this.warn(
        `column "${this.name}" has more than ${limit} distinct values: keeping the top ${limit}; unseen-category rates will be approximate`,
      );
    }
    if (this.valid === 0) this.warn(`column "${this.name}" has no valid values`);
    if (this.numeric) {
      this.edges = this.numeric.edges(this.settings.bins);
      this.counts = this.numeric.exactCounts(this.edges) ?? new Array<number>(this.edges.length + 1).fill(0);
      this.fineEdges = this.numeric.fineEdges(FINE_BINS);
      const fine = this.numeric.exactCountsAndSums(this.fineEdges);
      this.fineCounts = fine?.counts ?? new Array<number>(this.fineEdges.length + 1).fill(0);
      this.fineSums = fine?.sums ?? new Array<number>(this.fineEdges.length + 1).fill(0);
    }
  }

  /** Sketched edges only: the bins are counted exactly in another pass over the same rows. */
  get needsCountingPass(): boolean {
    return this.numeric?.needsCountingPass ?? false;
  }

  /** One value of the counting pass. */
  count(v: unknown): void {
    if (isNa(v, this.rules)) return;
    const n = this.datetime ? asDate(v)?.getTime() : asNumber(v);
    if (n === undefined) return;
    const b = binIndex(this.edges, n);
    this.counts[b] = (this.counts[b] as number) + 1;
    const f = binIndex(this.fineEdges, n);
    this.fineCounts[f] = (this.fineCounts[f] as number) + 1;
    this.fineSums[f] = (this.fineSums[f] as number) + n;
  }

  profile(rows: number): FeatureProfile {
    const na = rows - this.valid;
    const p: FeatureProfile = {
      type: this.type,
      ...(this.typeReason ? { type_reason: this.typeReason } : {}),
      count: rows,
      na_count: na,
      na_rate: na / rows,
      invalid_count: this.invalid,
    };
    if (this.numeric) {
      p.numeric = this.numeric.profile(this.edges, this.counts);
      if (this.fineEdges.length)
        p.numeric.fine_bins = {
          edges: this.fineEdges,
          counts: this.fineCounts,
          // an empty bin's mean is its lower edge (never used: it holds no mass)
          means: this.fineCounts.map((c, i) =>
            c ? (this.fineSums[i] as number) / c : ((this.fineEdges[i - 1] ?? this.fineEdges[0]) as number),
          ),
        };
    }
    if (this.categorical) p.categorical = this.categorical.profile();
    if (this.text) p.text = this.text.profile();
    if (this.boolean) p.boolean = this.boolean.profile();
    if (this.identifier) p.identifier = this.identifier.profile();
    const dates = this.datetime?.profile();
    if (dates) p.datetime = dates;
    return p;
  }
}
