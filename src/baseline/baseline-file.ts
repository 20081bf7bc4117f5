import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Baseline } from '../contract/baseline-document.js';
import { MlmonError } from '../contract/errors.js';

/** The local copy: `<dir>/<model>/<version>.json`. */
export function localBaselinePath(dir: string, model: string, version: string): string {
  return join(dir, model, `${version}.json`);
}

export function writeLocalBaseline(path: string, baseline: Baseline): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(baseline, null, 1)}\n`);
}

export function readLocalBaseline(path: string): Baseline {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Baseline;
  } catch (err) {
    throw new MlmonError(`cannot read the baseline ${path}: ${(err as Error).message}`, { exit: 'badInput' });
  }
}
