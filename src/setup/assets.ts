import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The package root: two levels above this module, both in src/ (tests) and in dist/ (published). */
const packageRoot = new URL('../../', import.meta.url);

/** Reads a JSON asset shipped under `ingest-pipelines/` or `kibana/`. */
export function readJsonAsset<T = Record<string, unknown>>(relativePath: string): T {
  return JSON.parse(readFileSync(fileURLToPath(new URL(relativePath, packageRoot)), 'utf8')) as T;
}
