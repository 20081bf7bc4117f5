import { checkReadable, detectFormat, type InputFormat, type Row, readRows } from './readers.js';

/** The profiler's passes over one file; each pass reads it from the start. */
export type ProfilePhase = 'infer' | 'profile' | 'count';

export interface ProfileProgress {
  phase: ProfilePhase;
  rows: number;
  bytes: number;
  totalBytes: number;
}

/** The first rows, column by column, for type inference and the sampling estimate. */
export interface InferenceSample {
  columns: Map<string, unknown[]>;
  rows: number;
  /** approximate bytes of those rows (CSV and JSON Lines; 0 for Parquet) */
  bytes: number;
}

export class ProfileReader {
  readonly format: InputFormat;
  readonly totalBytes: number;
  /** malformed rows skipped by the profile pass (the other passes skip the same ones) */
  skipped = 0;

  constructor(
    readonly file: string,
    explicitFormat: string | undefined,
    private readonly onError: 'fail' | 'skip',
    private readonly onProgress?: (p: ProfileProgress) => void,
  ) {
    this.format = detectFormat(file, explicitFormat);
    this.totalBytes = checkReadable(file);
  }

  /** The rows of one pass; progress reports count the rows this pass has yielded. */
  async *rows(phase: ProfilePhase): AsyncGenerator<Row> {
    let n = 0;
    const rows = readRows(this.file, this.format, {
      onError: this.onError,
      onSkip: () => {
        if (phase === 'profile') this.skipped++;
      },
      onBytes: (bytes) => this.onProgress?.({ phase, rows: n, bytes, totalBytes: this.totalBytes }),
    });
    for await (const row of rows) {
      n++;
      yield row;
    }
  }

  /** The first `limit` rows (the infer pass). */
  async sample(limit: number): Promise<InferenceSample> {
    const columns = new Map<string, unknown[]>();
    let rows = 0;
    let bytes = 0;
    for await (const row of this.rows('infer')) {
      for (const [k, v] of Object.entries(row.values)) {
        let list = columns.get(k);
        if (!list) {
          list = [];
          columns.set(k, list);
        }
        list.push(v);
        if (this.format !== 'parquet') bytes += typeof v === 'string' ? v.length + 1 : 8;
      }
      rows++;
      if (rows >= limit) break;
    }
    return { columns, rows, bytes };
  }
}
