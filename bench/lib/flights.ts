/**
 * The job-scaling data: the 3-million-row flights table vega-datasets ships in Parquet, turned into
 * predictions of 20 features each. The file is ZSTD-compressed, which hyparquet reads only with a
 * decompressor: the `zstd` command is used when present; without it (or in smoke mode) the rows are
 * synthetic flights of the same shape, and the report says which was used.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';

const repoRoot = process.env.MLMON_REPO_ROOT ?? process.cwd();
export const FLIGHTS_FILE = join(repoRoot, 'node_modules', 'vega-datasets', 'data', 'flights-3m.parquet');

export interface Flight {
  date: Date;
  delay: number;
  distance: number;
  origin: string;
  destination: string;
}

export function zstdAvailable(): boolean {
  return spawnSync('zstd', ['--version'], { stdio: 'ignore' }).status === 0;
}

const zstd = (input: Uint8Array): Uint8Array =>
  new Uint8Array(execFileSync('zstd', ['-d', '-c', '-q'], { input, maxBuffer: 1 << 30 }));

/** Up to `limit` rows of the real table, one row group at a time. */
export async function* realFlights(limit: number): AsyncGenerator<Flight> {
  const file = await asyncBufferFromFile(FLIGHTS_FILE);
  const meta = await parquetMetadataAsync(file);
  const total = Math.min(limit, Number(meta.num_rows));
  const step = 250_000;
  for (let start = 0; start < total; start += step) {
    const rows = (await parquetReadObjects({
      file,
      metadata: meta,
      rowStart: start,
      rowEnd: Math.min(total, start + step),
      compressors: { ZSTD: zstd },
    })) as { date: Date; delay: bigint; distance: bigint; origin: string; destination: string }[];
    for (const r of rows) {
      yield {
        date: r.date,
        delay: Number(r.delay),
        distance: Number(r.distance),
        origin: r.origin,
        destination: r.destination,
      };
    }
  }
}

const airports = [
  'ATL',
  'ORD',
  'DFW',
  'LAX',
  'DEN',
  'PHX',
  'LAS',
  'SFO',
  'SEA',
  'JFK',
  'BOS',
  'MIA',
  'PHL',
  'DTW',
];

/** Deterministic stand-ins with the table's columns. */
export async function* syntheticFlights(limit: number): AsyncGenerator<Flight> {
  const t0 = Date.UTC(2001, 0, 1);
  for (let i = 0; i < limit; i++) {
    const h = Math.imul(i + 1, 2654435761) >>> 0;
    yield {
      date: new Date(t0 + i * 60_000),
      delay: (h % 180) - 30,
      distance: 100 + (h % 2500),
      origin: airports[h % airports.length] as string,
      destination: airports[(h >>> 8) % airports.length] as string,
    };
  }
}

const bucket = (x: number, edges: number[], names: string[]) =>
  names[edges.findIndex((e) => x < e)] ?? names.at(-1);

/** 20 features of one flight: 12 numeric, 6 categorical, 2 booleans. */
export function flightFeatures(f: Flight): Record<string, number | string | boolean> {
  const d = f.date;
  const day = d.getUTCDay();
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  return {
    delay: f.delay,
    distance: f.distance,
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    weekday: day,
    day_of_month: d.getUTCDate(),
    month: d.getUTCMonth() + 1,
    day_of_year: Math.floor((d.getTime() - yearStart) / 86_400_000) + 1,
    late_minutes: Math.max(0, f.delay),
    early_minutes: Math.max(0, -f.delay),
    log_distance: Math.log(Math.max(1, f.distance)),
    delay_per_100mi: (f.delay / Math.max(1, f.distance)) * 100,
    origin: f.origin,
    destination: f.destination,
    route: `${f.origin}-${f.destination}`,
    delay_class: bucket(f.delay, [-5, 15, 60], ['early', 'on_time', 'late', 'very_late']) as string,
    distance_class: bucket(f.distance, [500, 1500], ['short', 'medium', 'long']) as string,
    time_of_day: bucket(d.getUTCHours(), [6, 12, 18], ['night', 'morning', 'afternoon', 'evening']) as string,
    late: f.delay > 15,
    weekend: day === 0 || day === 6,
  };
}
