/** A training file of a given size: the bench payload's 20 features per row, as CSV. */
import { createWriteStream } from 'node:fs';
import { makePrediction } from './payload.js';

const cell = (v: number | string | boolean) => (typeof v === 'string' ? `"${v}"` : String(v));

/** Writes rows until the file reaches `bytes`; returns the row count. */
export async function writeTrainingCsv(path: string, bytes: number): Promise<number> {
  const out = createWriteStream(path);
  const names = Object.keys(makePrediction(0).features);
  let written = `${names.join(',')}\n`.length;
  out.write(`${names.join(',')}\n`);
  let rows = 0;
  let chunk = '';
  while (written < bytes) {
    const f = makePrediction(rows).features;
    const line = `${names.map((n) => cell(f[n] as number | string | boolean)).join(',')}\n`;
    chunk += line;
    written += line.length;
    rows++;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      chunk = '';
    }
  }
  out.end(chunk);
  await new Promise<void>((resolve, reject) => out.on('finish', () => resolve()).on('error', reject));
  return rows;
}
