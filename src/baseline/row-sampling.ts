import type { InputFormat } from './readers.js';

/** `--sample`: keep each row with a fixed probability, drawn from a seeded generator. */

/** The same seed in every pass: the counting pass keeps exactly the rows the profile pass kept. */
const SAMPLE_SEED = 20261127;

/** A seeded generator, so a sampled baseline is reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The share of rows to keep for about `wanted` rows, estimated from the bytes per row of the
 * inference sample. Parquet reports no bytes, so its estimate is `wanted` itself (keep all).
 */
export function keepProbability(
  wanted: number | undefined,
  format: InputFormat,
  totalBytes: number,
  sample: { rows: number; bytes: number },
): number {
  if (wanted === undefined) return 1;
  const estimatedRows =
    format === 'parquet' || sample.bytes === 0 ? wanted : (totalBytes / sample.bytes) * sample.rows;
  return Math.min(1, wanted / estimatedRows);
}

/** A fresh row filter for one pass, or undefined when every row is kept. */
export function rowFilter(p: number): (() => boolean) | undefined {
  if (p >= 1) return undefined;
  const random = mulberry32(SAMPLE_SEED);
  return () => random() < p;
}
