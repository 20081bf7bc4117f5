import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the started node's URL and pids are written; tests and the CLI read it. */
export const stateFile = join(repoRoot, '.es', 'node.json');

export interface StackVersions {
  elasticsearch: string;
  ingestEngine: { opensearch: string };
}

export function stackVersions(): StackVersions {
  return JSON.parse(readFileSync(join(repoRoot, 'stack-versions.json'), 'utf8')) as StackVersions;
}

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * Downloads and unpacked distributions live outside the repo so repeated runs are fast.
 * As root the cache must be readable by the unprivileged user that runs the node, and root's
 * home is not, hence /var/cache.
 */
export function cacheDir(): string {
  if (process.env.MLMON_CACHE_DIR) return resolve(process.env.MLMON_CACHE_DIR);
  if (isRoot) return '/var/cache/ml-input-monitor';
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'ml-input-monitor');
}
