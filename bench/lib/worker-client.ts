/**
 * Runs one measurement in a worker process of its own (bench/worker.ts), so peak RSS and CPU time are
 * one tool's alone, and returns the JSON result it prints.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const repoRoot = process.env.MLMON_REPO_ROOT ?? process.cwd();
export const RESULT_PREFIX = 'BENCH_RESULT ';
export const EVENT_PREFIX = 'BENCH_EVENT ';

export interface WorkerRun<R> {
  result: Promise<R>;
  /** resolves when the worker prints the event (e.g. `started`) */
  event(name: string): Promise<void>;
  /** tells the worker something happened (a line on its standard input) */
  signal(name: string): void;
}

export function startWorker<R>(mode: string, config: object, timeoutMs: number): WorkerRun<R> {
  const child = spawn(
    process.execPath,
    // --expose-gc: the memory scenario measures what a tool still holds after a full collection
    ['--expose-gc', '--import', 'tsx', join(repoRoot, 'bench', 'worker.ts'), mode, JSON.stringify(config)],
    { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  const seen = new Set<string>();
  const waiting = new Map<string, (() => void)[]>();
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    for (const line of d.split('\n')) {
      if (!line.startsWith(EVENT_PREFIX)) continue;
      const name = line.slice(EVENT_PREFIX.length).trim();
      seen.add(name);
      for (const resolve of waiting.get(name) ?? []) resolve();
    }
  });
  // keep only the tail: peers can be chatty on stderr during an outage
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const result = new Promise<R>((resolve, reject) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (line) resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as R);
      else reject(new Error(`worker ${mode} ended (${code ?? signal}) without a result:\n${stderr}`));
    });
  });
  return {
    result,
    signal: (name) => {
      if (child.exitCode === null) child.stdin.write(`${name}\n`);
    },
    event: (name) =>
      seen.has(name)
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            waiting.set(name, [...(waiting.get(name) ?? []), resolve]);
          }),
  };
}

export function runWorker<R>(mode: string, config: object, timeoutMs: number): Promise<R> {
  return startWorker<R>(mode, config, timeoutMs).result;
}
