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

type Target = { shutdown(opts?: { timeoutMs?: number }): Promise<ShutdownReport> };
interface Hook {
  target: Target;
  opts: ShutdownHookOptions;
}

/**
 * Every hook of the process, by signal: one listener per signal shuts every target down together and
 * exits once, after the last report. With a listener per call, the first target to finish would
 * exit the process before the others had flushed or reported.
 */
const hooks = new Map<NodeJS.Signals, Set<Hook>>();
const listeners = new Map<NodeJS.Signals, (signal: NodeJS.Signals) => void>();
let stopping = false;

function onSignal(signal: NodeJS.Signals): void {
  if (stopping) return;
  const due = [...(hooks.get(signal) ?? [])];
  if (!due.length) return;
  stopping = true;
  void Promise.allSettled(
    due.map(({ target, opts }) =>
      target
        .shutdown(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs })
        .then((report) => opts.onReport?.(report, signal)),
    ),
  ).finally(() => {
    stopping = false;
    // one hook that asked to exit is enough: the process was told to stop
    if (due.some((h) => h.opts.exit !== false)) process.exit(128 + (SIGNAL_NUMBERS[signal] ?? 0));
  });
}

/**
 * Flushes on SIGTERM and SIGINT (container stop, Ctrl-C) before the process exits. Several calls
 * (several monitors) share one listener per signal: every target is shut down and reported, then the
 * process exits once. Returns a function that removes this call's hooks.
 */
export function installShutdownHooks(target: Target, opts: ShutdownHookOptions = {}): () => void {
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
  const hook: Hook = { target, opts };
  for (const s of signals) {
    const set = hooks.get(s) ?? new Set<Hook>();
    hooks.set(s, set);
    set.add(hook);
    if (!listeners.has(s)) {
      const listener = (sig: NodeJS.Signals) => onSignal(sig);
      listeners.set(s, listener);
      process.on(s, listener);
    }
  }
  return () => {
    for (const s of signals) {
      const set = hooks.get(s);
      set?.delete(hook);
      if (set && !set.size) {
        const listener = listeners.get(s);
        if (listener) process.removeListener(s, listener);
        listeners.delete(s);
        hooks.delete(s);
      }
    }
  };
}
