import type { ShutdownReport } from './transport-stats.js';

export interface ShutdownHookOptions {
  timeoutMs?: number;
  signals?: NodeJS.Signals[];
  /** exit after the flush (default true); the exit code is 128 + the signal number, as a shell reports */
  exit?: boolean;
  /** called with the report before exiting, e.g. to log it */
  onReport?: (report: ShutdownReport, signal: NodeJS.Signals) => void;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };

/**
 * Flushes on SIGTERM and SIGINT (container stop, Ctrl-C) before the process exits. Returns a
 * function that removes the handlers.
 */
export function installShutdownHooks(
  target: { shutdown(opts?: { timeoutMs?: number }): Promise<ShutdownReport> },
  opts: ShutdownHookOptions = {},
): () => void {
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
  let running = false;
  const handler = (signal: NodeJS.Signals) => {
    if (running) return;
    running = true;
    void target
      .shutdown(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs })
      .then((report) => opts.onReport?.(report, signal))
      .finally(() => {
        if (opts.exit !== false) process.exit(128 + (SIGNAL_NUMBERS[signal] ?? 0));
      });
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.removeListener(s, handler);
  };
}
