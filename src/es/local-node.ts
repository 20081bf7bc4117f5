import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What `npm run es:start` writes to `.es/node.json`; see scripts/es-node.ts. */
export interface LocalEngine {
  url: string;
  pid: number;
  product: 'elasticsearch' | 'opensearch';
  version: string;
}
export interface LocalNodeState {
  elasticsearch?: LocalEngine;
  ingestEngine?: LocalEngine;
}

/** The nodes the project started in `dir` (the repository), if any. `MLMON_STATE_FILE` overrides the path. */
export function readLocalNodeState(dir = process.cwd()): LocalNodeState | undefined {
  const file = process.env.MLMON_STATE_FILE ?? join(dir, '.es', 'node.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LocalNodeState;
  } catch {
    return undefined;
  }
}
