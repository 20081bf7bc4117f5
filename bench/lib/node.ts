/**
 * The benchmark's own Elasticsearch node: started with scripts/es-node.ts under a private state file
 * and a fixed port, so the outage scenario can stop it and start it again on the same data and URL,
 * and so other work on the shared test node neither disturbs the figures nor is disturbed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/lib/proc.js';

const repoRoot = process.env.MLMON_REPO_ROOT ?? process.cwd();

export interface BenchNode {
  url: string;
  port: number;
  version: string;
  /** the node's state file (MLMON_STATE_FILE for scripts/es-node.ts) */
  stateFile: string;
  /** stops the node; its data stays for `start` */
  stop(): Promise<void>;
  /** starts it again on the previous data, same port */
  start(): Promise<void>;
  /** SIGKILLs the node's process (no shutdown at all); `start` brings it back on its data */
  kill(): void;
  /** stops it for good and removes its state */
  dispose(): Promise<void>;
}

/** A loopback port nothing listens on at the moment of the call (the node scripts' own). */
export { freePort };

/** Runs scripts/es-node.ts without blocking: workers keep logging (and writing output) meanwhile. */
function esNode(stateFile: string, port: number, args: string[]): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, MLMON_STATE_FILE: stateFile, MLMON_ES_PORT: String(port) };
  // never a remote cluster: the bench always measures a node it owns
  delete env.ES_URL;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'scripts', 'es-node.ts'), ...args],
      { cwd: repoRoot, env, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`es-node ${args.join(' ')} failed:\n${stdout}\n${stderr}`));
        else resolve();
      },
    );
  });
}

export async function startBenchNode(): Promise<BenchNode> {
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-bench-node-'));
  const stateFile = join(dir, 'node.json');
  const port = await freePort();
  await esNode(stateFile, port, ['start', '--only', 'elasticsearch']);
  const state = JSON.parse(readFileSync(stateFile, 'utf8')).elasticsearch as { url: string; version: string };
  return {
    url: state.url,
    port,
    version: state.version,
    stateFile,
    stop: () => esNode(stateFile, port, ['stop']),
    start: () => esNode(stateFile, port, ['start', '--only', 'elasticsearch', '--keep-data']),
    kill: () => {
      // the pid of the node this state file started, never another one
      const pid = (JSON.parse(readFileSync(stateFile, 'utf8')).elasticsearch as { pid: number }).pid;
      process.kill(pid, 'SIGKILL');
    },
    dispose: async () => {
      await esNode(stateFile, port, ['stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
