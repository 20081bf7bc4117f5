import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Where the started nodes' URLs and pids are written; tests and the CLI read it. MLMON_STATE_FILE
 * gives a second, independent set of nodes (the lifecycle test uses one).
 */
export const stateFile = process.env.MLMON_STATE_FILE
  ? resolve(process.env.MLMON_STATE_FILE)
  : join(repoRoot, '.es', 'node.json');

export interface StackVersions {
  elasticsearch: string;
  ingestEngine: { opensearch: string };
  unsupportedElasticsearch: { version: string };
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
