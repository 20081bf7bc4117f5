/** One line of `mlmon doctor`'s checklist, and its three outcomes. */
export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface Check {
  /** what is checked, e.g. `assets`, `canary prediction` */
  name: string;
  status: CheckStatus;
  detail: string;
  /** what to do (failures) */
  fix?: string;
}

export const pass = (name: string, detail: string): Check => ({ name, status: 'pass', detail });
export const fail = (name: string, detail: string, fix: string): Check => ({
  name,
  status: 'fail',
  detail,
  fix,
});
export const skip = (name: string, detail: string): Check => ({ name, status: 'skip', detail });
