/** Public real tables of vega-datasets as rows a service would log: snake_case names, typed values. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';

export type Row = Record<string, unknown>;

// the package's data folder (its exports map hides package.json)
const DATA = join(new URL('../../node_modules/vega-datasets/', import.meta.url).pathname, 'data');

/** Column names as a service would log them (the transport renames others): snake_case. */
export const safeName = (k: string): string =>
  k
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');

/** The typed value a service would log: CSV cells that are numbers as numbers, empty cells as null. */
export function typedValue(v: unknown): unknown {
  if (typeof v === 'string' && v !== '' && /^[+-]?(\d+\.?\d*|\.\d+)$/.test(v)) return Number(v);
  return v === '' || v === undefined ? null : v;
}

function normalize(raw: Row[]): Row[] {
  return raw.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [safeName(k), typedValue(v)])));
}

/** earthquakes.json is GeoJSON: the properties a model would take, and the depth from the geometry. */
const QUAKE_COLUMNS = [
  'mag',
  'place',
  'felt',
  'tsunami',
  'sig',
  'net',
  'nst',
  'dmin',
  'rms',
  'gap',
  'magType',
];

export function loadTable(file: string): Row[] {
  const text = readFileSync(join(DATA, file), 'utf8');
  if (file === 'earthquakes.json') {
    const geo = JSON.parse(text) as {
      features: { properties: Row; geometry: { coordinates: number[] } }[];
    };
    return normalize(
      geo.features.map((f) => ({
        ...Object.fromEntries(QUAKE_COLUMNS.map((k) => [k, f.properties[k]])),
        depth: f.geometry.coordinates[2],
      })),
    );
  }
  return normalize(
    file.endsWith('.csv') ? (parse(text, { columns: true }) as Row[]) : (JSON.parse(text) as Row[]),
  );
}

/** A seeded uniform on [0, 1): the bench's draws do not change between runs. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
    s = Math.imul(s ^ (s >>> 13), 3266489909) >>> 0;
    return ((s ^ (s >>> 16)) >>> 0) / 2 ** 32;
  };
}

/** A random split in two halves: the training rows and the held-out rows. */
export function splitHalves(rows: Row[], random: () => number): { train: Row[]; heldOut: Row[] } {
  const shuffled = rows.map((r) => ({ r, k: random() })).sort((a, b) => a.k - b.k);
  const half = Math.floor(rows.length / 2);
  return { train: shuffled.slice(0, half).map((x) => x.r), heldOut: shuffled.slice(half).map((x) => x.r) };
}
