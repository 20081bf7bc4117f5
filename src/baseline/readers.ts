import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { CsvError, parse } from 'csv-parse';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { MlmonError } from '../contract/errors.js';

export type InputFormat = 'csv' | 'jsonl' | 'parquet';

export interface Row {
  values: Record<string, unknown>;
  /** 1-based line (CSV, JSON Lines) or row number (Parquet) */
  line: number;
}

export interface ReadOptions {
  /** `fail` (default) stops at the first malformed row; `skip` counts and skips it */
  onError: 'fail' | 'skip';
  onSkip?: (line: number, reason: string) => void;
  /** bytes of the file read so far (CSV and JSON Lines), for the progress bar */
  onBytes?: (bytes: number) => void;
}

function fileStream(file: string, opts: ReadOptions) {
  const stream = createReadStream(file, { highWaterMark: 1024 * 1024 });
  if (opts.onBytes) {
    const report = opts.onBytes;
    stream.on('data', () => report(stream.bytesRead));
  }
  return stream;
}

export class MalformedRowError extends MlmonError {
  readonly line: number;
  constructor(file: string, line: number, reason: string) {
    super(`${file}: malformed row at line ${line}: ${reason}`, {
      exit: 'badInput',
      fix: 'fix the row, or pass --on-error skip to count and skip malformed rows',
    });
    this.line = line;
  }
}

/** The file name endings each input format is recognized by: the one list help texts and README follow. */
export const INPUT_EXTENSIONS: Record<InputFormat, readonly string[]> = {
  csv: ['.csv', '.tsv'],
  jsonl: ['.jsonl', '.ndjson', '.json'],
  parquet: ['.parquet', '.pq'],
};

/** `.csv, .tsv, .jsonl, .ndjson, .json, .parquet or .pq`, for help texts and messages. */
export function inputExtensionsText(): string {
  const all = Object.values(INPUT_EXTENSIONS).flat();
  return `${all.slice(0, -1).join(', ')} or ${all.at(-1)}`;
}

export function detectFormat(file: string, explicit?: string): InputFormat {
  if (explicit) {
    if (explicit === 'csv' || explicit === 'jsonl' || explicit === 'parquet') return explicit;
    throw new MlmonError(`unknown format "${explicit}"`, {
      exit: 'usage',
      fix: 'use --format csv, jsonl or parquet',
    });
  }
  const lower = file.toLowerCase();
  for (const [format, endings] of Object.entries(INPUT_EXTENSIONS) as [InputFormat, readonly string[]][])
    if (endings.some((e) => lower.endsWith(e))) return format;
  throw new MlmonError(`cannot tell the format of ${file} from its name`, {
    exit: 'usage',
    fix: `name it ${inputExtensionsText()}, or pass --format csv|jsonl|parquet`,
  });
}

export function checkReadable(file: string): number {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    throw new MlmonError(
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      {
        exit: 'badInput',
        fix: 'check the path given to --from',
      },
    );
  }
  if (size === 0)
    throw new MlmonError(`${file} is empty`, {
      exit: 'badInput',
      fix: 'profile a file with a header and rows',
    });
  return size;
}

async function* readCsv(file: string, opts: ReadOptions): AsyncGenerator<Row> {
  const parser = fileStream(file, opts).pipe(
    parse({
      columns: true,
      info: true,
      bom: true,
      // one delimiter per file: tab for .tsv
      delimiter: file.toLowerCase().endsWith('.tsv') ? '\t' : ',',
      skip_empty_lines: true,
      skip_records_with_error: opts.onError === 'skip',
      on_skip: (err: CsvError | undefined) => {
        if (err) opts.onSkip?.(Number((err as CsvError & { lines?: number }).lines ?? 0), err.message);
      },
    }),
  );
  try {
    for await (const rec of parser as AsyncIterable<{
      record: Record<string, unknown>;
      info: { lines: number };
    }>) {
      yield { values: rec.record, line: rec.info.lines };
    }
  } catch (err) {
    if (err instanceof CsvError) {
      const line = Number((err as CsvError & { lines?: number }).lines ?? 0);
      throw new MalformedRowError(file, line, err.message.replace(/^Invalid Record Length: /, ''));
    }
    throw err;
  }
}

async function* readJsonl(file: string, opts: ReadOptions): AsyncGenerator<Row> {
  const lines = createInterface({ input: fileStream(file, opts), crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  for await (const text of lines) {
    n++;
    if (text.trim() === '') continue;
    let value: unknown;
    let problem: string | undefined;
    try {
      value = JSON.parse(text);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) problem = 'not a JSON object';
    } catch (err) {
      problem = (err as Error).message;
    }
    if (problem) {
      if (opts.onError === 'skip') {
        opts.onSkip?.(n, problem);
        continue;
      }
      lines.close();
      throw new MalformedRowError(file, n, problem);
    }
    yield { values: value as Record<string, unknown>, line: n };
  }
}

/** Parquet, one row group at a time, so memory follows the row group, not the file. */
async function* readParquet(file: string): AsyncGenerator<Row> {
  let buffer: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    buffer = await asyncBufferFromFile(file);
    metadata = await parquetMetadataAsync(buffer);
  } catch (err) {
    throw new MlmonError(`${file} is not a readable Parquet file: ${(err as Error).message}`, {
      exit: 'badInput',
    });
  }
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const rows = (await parquetReadObjects({ file: buffer, metadata, rowStart, rowEnd })) as Record<
      string,
      unknown
    >[];
    for (let i = 0; i < rows.length; i++)
      yield { values: rows[i] as Record<string, unknown>, line: rowStart + i + 1 };
    rowStart = rowEnd;
  }
}

export function readRows(file: string, format: InputFormat, opts: ReadOptions): AsyncGenerator<Row> {
  if (format === 'csv') return readCsv(file, opts);
  if (format === 'jsonl') return readJsonl(file, opts);
  return readParquet(file);
}
