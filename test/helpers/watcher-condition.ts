/**
 * An evaluator of Watcher's `compare` and `array_compare` conditions as Elastic documents them
 * (explore-analyze/alerts-cases/watcher/condition-compare.md, condition-array-compare.md), for tests:
 * the test node has no Watcher, so a watch's condition is evaluated here on the payload its search
 * input returns from the real node.
 *
 * Semantics reproduced:
 * - paths are split on dots and walked through objects, and through arrays by numeric index
 *   (so a field name that itself contains a dot cannot be reached: the documented array_compare caveat);
 *   a missing step gives null;
 * - the configured value decides the kind of comparison: a number compares numerically (a string on the
 *   payload side is parsed as a number, else the comparison fails), a string compares as strings, a date
 *   (date math `<{now-5m}>`) compares as dates; null or NaN on either side never orders;
 * - a value `{{ctx.some.path}}` is read from the watch context;
 * - eq and not_eq also compare objects and arrays (compare only); ordering ops fail on them;
 * - array_compare's quantifier `some` (default) needs one matching element, `all` every element
 *   (an empty array: `some` false, `all` true); a missing or null path is an empty list, any other
 *   non-array an error (x-pack/plugin/watcher/src/main/java/org/elasticsearch/xpack/watcher/condition/
 *   ArrayCompareCondition.java).
 */

export type Op = 'eq' | 'not_eq' | 'gt' | 'gte' | 'lt' | 'lte';
const OPS: readonly Op[] = ['eq', 'not_eq', 'gt', 'gte', 'lt', 'lte'];

/** What a condition sees: `ctx.payload`, `ctx.metadata`, `ctx.execution_time`, ... */
export interface WatchContext {
  ctx: { payload: unknown; metadata?: Record<string, unknown>; execution_time?: string; watch_id?: string };
}

type Json = unknown;

/** Walks a dotted path through objects and arrays; null where a step is missing. */
export function resolvePath(root: Json, path: string): Json {
  let cur: Json = root;
  for (const key of path.split('.')) {
    if (cur === null || cur === undefined) return null;
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(key)) return null;
      cur = cur[Number(key)];
    } else if (typeof cur === 'object') {
      cur = (cur as Record<string, Json>)[key];
    } else return null;
  }
  return cur === undefined ? null : cur;
}

const DATE_MATH = /^<\{(.+)\}>$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, H: 3_600_000, d: 86_400_000 };

/** Elasticsearch date math anchored at now: `now`, `now-5m`, `now+1d/d` (units y M w d h H m s). */
export function resolveDateMath(expr: string, now: Date): Date {
  const m = /^now((?:[+-]\d+[yMwdhHms])*)(?:\/([yMwdhHms]))?$/.exec(expr.trim());
  if (!m) throw new Error(`unsupported date math "${expr}"`);
  const d = new Date(now.getTime());
  for (const [, sign, n, unit] of (m[1] ?? '').matchAll(/([+-])(\d+)([yMwdhHms])/g)) {
    const k = (sign === '-' ? -1 : 1) * Number(n);
    if (unit === 'y') d.setUTCFullYear(d.getUTCFullYear() + k);
    else if (unit === 'M') d.setUTCMonth(d.getUTCMonth() + k);
    else if (unit === 'w') d.setTime(d.getTime() + k * 7 * 86_400_000);
    else d.setTime(d.getTime() + k * (UNIT_MS[unit as string] as number));
  }
  const round = m[2];
  if (round === 'y') d.setUTCMonth(0, 1);
  if (round === 'M') d.setUTCDate(1);
  if (round === 'w') d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  if (round && 'yMwd'.includes(round)) d.setUTCHours(0, 0, 0, 0);
  if (round === 'h' || round === 'H') d.setUTCMinutes(0, 0, 0);
  if (round === 'm') d.setUTCSeconds(0, 0);
  if (round === 's') d.setUTCMilliseconds(0);
  return d;
}

/** Java's Double.valueOf(String): trimmed decimal or exponent form, NaN, Infinity, optional d/f suffix. */
function javaDouble(s: string): number | null {
  const t = s.trim();
  if (!/^[+-]?(NaN|Infinity|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?)$/.test(t)) return null;
  return Number(t.replace(/[fFdD]$/, ''));
}

const isStructure = (v: Json) => v !== null && typeof v === 'object' && !(v instanceof Date);

/** Lenient comparison, the configured value `b` choosing the kind; null: not comparable. */
export function lenientCompare(a: Json, b: Json): number | null {
  if (a === b) return 0;
  if (a === null || a === undefined || b === null || b === undefined) return null;
  if (Number.isNaN(a) || Number.isNaN(b)) return null;
  if (typeof b === 'number') {
    const x = typeof a === 'number' ? a : javaDouble(String(a));
    if (x === null) return null;
    return x > b ? 1 : x < b ? -1 : 0;
  }
  if (typeof b === 'string') {
    // (Java prints doubles as "1.0" where JavaScript prints "1": payloads here compare strings to strings)
    const x = String(a);
    return x < b ? -1 : x > b ? 1 : 0;
  }
  if (b instanceof Date) {
    const x = a instanceof Date ? a.getTime() : typeof a === 'number' ? a : Date.parse(String(a));
    if (Number.isNaN(x)) return null;
    return Math.sign(x - b.getTime());
  }
  if (typeof b === 'boolean') return a === b ? 0 : null;
  return null;
}

function deepEqual(a: Json, b: Json): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function applyOp(op: Op, a: Json, b: Json, allowStructures: boolean): boolean {
  if (isStructure(b) || isStructure(a)) {
    if (!allowStructures || (op !== 'eq' && op !== 'not_eq'))
      throw new Error(`${op} does not compare objects or arrays`);
    return op === 'eq' ? deepEqual(a, b) : !deepEqual(a, b);
  }
  const c = lenientCompare(a, b);
  switch (op) {
    case 'eq':
      return c === 0;
    case 'not_eq':
      return c === null || c !== 0;
    case 'gt':
      return c !== null && c > 0;
    case 'gte':
      return c !== null && c >= 0;
    case 'lt':
      return c !== null && c < 0;
    case 'lte':
      return c !== null && c <= 0;
  }
}

/** The configured value after Watcher's substitutions: a context path, or date math. */
function configuredValue(v: Json, model: WatchContext, now: Date): Json {
  if (typeof v !== 'string') return v;
  const path = /^\{\{(.+)\}\}$/.exec(v);
  if (path) return resolvePath(model, (path[1] as string).trim());
  const math = DATE_MATH.exec(v);
  if (math) return resolveDateMath(math[1] as string, now);
  return v;
}

function singleEntry(o: Json, what: string): [string, Json] {
  if (!o || typeof o !== 'object' || Array.isArray(o) || Object.keys(o).length !== 1)
    throw new Error(`${what} must be an object with exactly one key`);
  return Object.entries(o as Record<string, Json>)[0] as [string, Json];
}

function opOf(key: string): Op {
  if (!OPS.includes(key as Op)) throw new Error(`unknown comparison operator "${key}"`);
  return key as Op;
}

export function evaluateCompare(spec: Json, model: WatchContext, now = new Date()): boolean {
  const [path, cmp] = singleEntry(spec, 'compare');
  const [op, value] = singleEntry(cmp, `compare.${path}`);
  return applyOp(opOf(op), resolvePath(model, path), configuredValue(value, model, now), true);
}

export function evaluateArrayCompare(spec: Json, model: WatchContext, now = new Date()): boolean {
  const [arrayPath, cmp] = singleEntry(spec, 'array_compare');
  const c = cmp as Record<string, Json>;
  const elementPath = typeof c.path === 'string' ? c.path : '';
  const opKeys = Object.keys(c).filter((k) => k !== 'path');
  if (opKeys.length !== 1) throw new Error(`array_compare.${arrayPath} needs exactly one operator`);
  const op = opOf(opKeys[0] as string);
  const opSpec = c[op] as { value?: Json; quantifier?: string };
  const quantifier = opSpec.quantifier ?? 'some';
  if (quantifier !== 'some' && quantifier !== 'all') throw new Error(`unknown quantifier "${quantifier}"`);
  const resolved = resolvePath(model, arrayPath);
  const array = resolved === null ? [] : resolved;
  if (!Array.isArray(array)) throw new Error(`array path ${arrayPath} did not evaluate to an array`);
  const value = configuredValue(opSpec.value ?? null, model, now);
  const test = (el: Json) => applyOp(op, elementPath ? resolvePath(el, elementPath) : el, value, false);
  return quantifier === 'some' ? array.some(test) : array.every(test);
}

/** A watch's condition on a context: always, never, compare or array_compare. */
export function evaluateCondition(
  condition: Record<string, Json>,
  model: WatchContext,
  now = new Date(),
): boolean {
  const [kind, spec] = singleEntry(condition, 'condition');
  switch (kind) {
    case 'always':
      return true;
    case 'never':
      return false;
    case 'compare':
      return evaluateCompare(spec, model, now);
    case 'array_compare':
      return evaluateArrayCompare(spec, model, now);
    default:
      throw new Error(`condition "${kind}" is not evaluated here (script conditions need Painless)`);
  }
}
