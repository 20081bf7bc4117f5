import { INDEX_LIMITS } from '../contract/limits.js';

/**
 * The stream's field limit as one transport sees it: the distinct feature fields it has written.
 * Past the budget, Elasticsearch sends a new field to `_ignored` (the template sets
 * `ignore_dynamic_beyond_limit`): such a feature is still sent, and flagged `field_limit:<name>`.
 * Fields written by other processes are not known here: the job's `ignored_fields` reports what the
 * index itself ignored.
 */
export class FieldBudget {
  readonly #seen = new Set<string>();
  #used = 0;

  constructor(readonly budget = INDEX_LIMITS.totalFields - INDEX_LIMITS.reservedFields) {}

  /** true when `kind.name` is known or fits; a text feature takes four fields (with its derived counts) */
  admit(kind: string, name: string): boolean {
    const key = `${kind}.${name}`;
    if (this.#seen.has(key)) return true;
    const cost = kind === 'text' ? 4 : 1;
    if (this.#used + cost > this.budget) return false;
    this.#seen.add(key);
    this.#used += cost;
    return true;
  }

  get used(): number {
    return this.#used;
  }
}
