import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The one resolver for the package's own files: the data under `assets/` and package.json. The
 * package root is two levels above this module, both in src/ (tests) and in dist/ (published).
 */
const packageRoot = new URL('../../', import.meta.url);

/** The absolute path of a file of the package, given relative to its root (`assets/kibana/...`). */
export function packagePath(relativePath: string): string {
  return fileURLToPath(new URL(relativePath, packageRoot));
}

export function readTextAsset(relativePath: string): string {
  return readFileSync(packagePath(relativePath), 'utf8');
}

export function readJsonAsset<T = Record<string, unknown>>(relativePath: string): T {
  return JSON.parse(readTextAsset(relativePath)) as T;
}

/** The names (without `suffix`) of a folder's files ending in `suffix`, sorted. */
export function listAssets(folder: string, suffix: string): string[] {
  return readdirSync(packagePath(`${folder}/`))
    .filter((f) => f.endsWith(suffix))
    .map((f) => f.slice(0, -suffix.length))
    .sort();
}

let version: string | undefined;
/** The installed package's version (package.json), read once on first use, not at import. */
export function packageVersion(): string {
  version ??= readJsonAsset<{ version: string }>('package.json').version;
  return version;
}
