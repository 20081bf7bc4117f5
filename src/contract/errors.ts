/**
 * Errors that reach users carry a cause and a fix, and map to a documented exit code (README, "Exit codes").
 */
export const ExitCode = {
  ok: 0,
  /** a rule is firing (`mlmon check`) or a command found what it was asked to look for */
  firing: 1,
  usage: 2,
  config: 3,
  connection: 4,
  auth: 5,
  badInput: 6,
  partial: 7,
  /** a stream's live mappings do not fit what the job reads (a field mapped as text, ...) */
  mapping: 8,
} as const;
export type ExitCodeName = keyof typeof ExitCode;

export class MlmonError extends Error {
  readonly exitCode: number;
  readonly fix: string | undefined;
  constructor(message: string, opts: { exit: ExitCodeName; fix?: string; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'MlmonError';
    this.exitCode = ExitCode[opts.exit];
    this.fix = opts.fix;
  }
}

/** An invalid option or setting, named by its path (e.g. `node`, `rules.psi.warn`). */
export class ConfigError extends MlmonError {
  readonly option: string;
  constructor(option: string, problem: string, fix?: string) {
    super(`invalid option ${option}: ${problem}`, { exit: 'config', ...(fix ? { fix } : {}) });
    this.name = 'ConfigError';
    this.option = option;
  }
}
