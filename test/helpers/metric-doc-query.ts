import { resolveDateMath, resolvePath } from './watcher-condition.js';

/**
 * A matcher of the query clauses the watches' search inputs use (bool filter / must_not of range,
 * exists, term, terms) on one document's `_source`, for unit tests that need no node. Any other
 * clause throws, so a watch that starts using one is not silently matched. The integration test
 * (test/integration/watches.test.ts) runs the same searches on the real node.
 */
type Json = unknown;

function entry(o: Json, what: string): [string, Json] {
  if (!o || typeof o !== 'object' || Object.keys(o).length !== 1)
    throw new Error(`${what}: one key expected`);
  return Object.entries(o as Record<string, Json>)[0] as [string, Json];
}

function values(source: Json, field: string): Json[] {
  const v = resolvePath(source, field);
  if (v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** A range bound: a number, or date math on `now` compared with a date string. */
function compareTo(v: Json, bound: Json, now: Date): number | null {
  if (typeof bound === 'number') return typeof v === 'number' ? v - bound : null;
  if (typeof bound === 'string' && bound.startsWith('now')) {
    const t = typeof v === 'string' ? Date.parse(v) : Number.NaN;
    return Number.isNaN(t) ? null : t - resolveDateMath(bound, now).getTime();
  }
  throw new Error(`range bound ${JSON.stringify(bound)} is not handled here`);
}

function clauseMatches(clause: Json, source: Json, now: Date): boolean {
  const [kind, spec] = entry(clause, 'clause');
  if (kind === 'exists') return values(source, (spec as { field: string }).field).length > 0;
  if (kind === 'term') {
    const [field, value] = entry(spec, 'term');
    return values(source, field).includes(value);
  }
  if (kind === 'terms') {
    const [field, list] = entry(spec, 'terms');
    return values(source, field).some((v) => (list as Json[]).includes(v));
  }
  if (kind === 'range') {
    const [field, bounds] = entry(spec, 'range');
    return values(source, field).some((v) =>
      Object.entries(bounds as Record<string, Json>).every(([op, bound]) => {
        const c = compareTo(v, bound, now);
        if (c === null) return false;
        if (op === 'gte') return c >= 0;
        if (op === 'gt') return c > 0;
        if (op === 'lt') return c < 0;
        if (op === 'lte') return c <= 0;
        throw new Error(`range operator ${op} is not handled here`);
      }),
    );
  }
  throw new Error(`query clause ${kind} is not handled here`);
}

/** Whether a bool query of filter and must_not clauses matches a document's source. */
export function boolMatches(
  bool: { filter?: Json[]; must_not?: Json[] } & Record<string, Json>,
  source: Json,
  now = new Date(),
): boolean {
  for (const k of Object.keys(bool))
    if (k !== 'filter' && k !== 'must_not') throw new Error(`bool.${k} is not handled here`);
  return (
    (bool.filter ?? []).every((c) => clauseMatches(c, source, now)) &&
    !(bool.must_not ?? []).some((c) => clauseMatches(c, source, now))
  );
}
