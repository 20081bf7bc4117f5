/**
 * What one raw value is, whatever the file format: CSV gives strings, JSON Lines and Parquet give
 * typed values. The same rules decide missing values at baseline time as at log time.
 */
export type ValueKind = 'na' | 'number' | 'boolean' | 'datetime' | 'string';

export interface ValueRules {
  emptyStringIsNa: boolean;
  /** extra strings that mean "missing" (schema `missing_values`) */
  missingValues: ReadonlySet<string>;
}

// plain decimal notation only: "0x10", "1_000" or " 12" are text
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

export function isNa(v: unknown, rules: ValueRules): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'number') return Number.isNaN(v);
  if (typeof v === 'string') {
    if (v === '') return rules.emptyStringIsNa;
    return v === 'NaN' || rules.missingValues.has(v);
  }
  return false;
}

export function kindOf(v: unknown, rules: ValueRules): ValueKind {
  if (isNa(v, rules)) return 'na';
  switch (typeof v) {
    case 'number':
    case 'bigint':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'string': {
      if (NUMBER.test(v)) return 'number';
      const lower = v.toLowerCase();
      if (lower === 'true' || lower === 'false') return 'boolean';
      if (DATETIME.test(v) && !Number.isNaN(Date.parse(v))) return 'datetime';
      return 'string';
    }
    default:
      return v instanceof Date ? 'datetime' : 'string';
  }
}

/** A finite number, or undefined when the value is not one. */
export function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && NUMBER.test(v)) {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  if (typeof v === 'boolean') return undefined;
  return undefined;
}

export function asBoolean(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const lower = v.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  return undefined;
}

export function asDate(v: unknown): Date | undefined {
  const d = v instanceof Date ? v : typeof v === 'string' || typeof v === 'number' ? new Date(v) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
}

/** The category of a value as production logs would carry it: a string. */
export function asCategory(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
