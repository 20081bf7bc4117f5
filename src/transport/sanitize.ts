import { createHmac } from 'node:crypto';
import type { FeatureKind } from '../contract/features.js';
import type { FieldBudget } from './field-budget.js';

/**
 * Turns whatever the application passes as features into values Elasticsearch indexes without
 * rejection, and records every change as a flag on the document (README, "Bad input").
 * Runs on the request path: plain loops, no allocation beyond the output.
 */

export interface SanitizeOptions {
  /** longest string kept (characters); longer ones are cut and flagged */
  maxStringLength: number;
  /** longest categorical value: the keyword field's `ignore_above`; a longer one would not be indexed */
  maxCategoryLength: number;
  /** the stream's field limit, shared by every document of one transport (none: not tracked) */
  fields?: FieldBudget;
  /** most features kept per prediction; the rest are dropped and flagged */
  maxFeatures: number;
  /** longest array kept */
  maxArrayLength: number;
  /** deepest nesting flattened into dotted names */
  maxDepth: number;
  /** a feature whose kind is declared (baseline or option) is stored as that kind */
  kinds: ReadonlyMap<string, FeatureKind>;
  redact: ReadonlySet<string>;
  hash: ReadonlySet<string>;
  /** the keyed hash of `hash` features: a closure, so the secret sits in no object that can be printed */
  hmac: ((value: string) => string) | undefined;
  /** treat "" as missing in the NA list */
  emptyStringIsNa: boolean;
}

/** HMAC-SHA256 with `secret`; the secret stays inside the returned function. */
export function keyedHash(secret: string): (value: string) => string {
  return (value) => createHmac('sha256', secret).update(value).digest('hex');
}

export interface TypedFeatures {
  num?: Record<string, number | number[] | null>;
  cat?: Record<string, string | string[]>;
  text?: Record<string, string>;
  bool?: Record<string, boolean | boolean[]>;
  date?: Record<string, string>;
}

export interface SanitizedFeatures {
  features: TypedFeatures;
  /** features that are null, undefined, NaN/Infinity, an invalid date or (by option) "" */
  na: string[];
  flags: string[];
}

const MAX_NAME_LENGTH = 256;
const MIN_DATE_MS = -62_167_219_200_000; // 0000-01-01T00:00:00Z
const MAX_DATE_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Field names Elasticsearch accepts inside a `subobjects: false` object: no empty segments, no edge dots. */
export function safeFeatureName(name: string): string {
  let out = name.length > MAX_NAME_LENGTH ? name.slice(0, MAX_NAME_LENGTH) : name;
  if (out.includes('.')) {
    out = out
      .split('.')
      .filter((s) => s.length > 0)
      .join('.');
  }
  if (out.trim().length === 0) return '_';
  return out;
}

class Builder {
  readonly features: TypedFeatures = {};
  readonly na: string[] = [];
  readonly flags: string[] = [];
  count = 0;
  truncatedFeatures = 0;
  private readonly seen = new WeakSet<object>();

  constructor(private readonly opts: SanitizeOptions) {}

  /** the payload itself, so a feature that points back to it counts as circular */
  markSeen(o: object): void {
    this.seen.add(o);
  }

  private put<K extends keyof TypedFeatures>(
    kind: K,
    name: string,
    value: NonNullable<TypedFeatures[K]>[string],
  ): void {
    if (this.count >= this.opts.maxFeatures) {
      this.truncatedFeatures++;
      return;
    }
    this.count++;
    if (this.opts.fields && !this.opts.fields.admit(kind, name)) this.flags.push(`field_limit:${name}`);
    let bucket = this.features[kind] as Record<string, unknown> | undefined;
    if (!bucket) {
      bucket = {};
      (this.features as Record<string, unknown>)[kind] = bucket;
    }
    // an assignment to "__proto__" would set the prototype (or do nothing) and the feature would vanish
    if (name === '__proto__')
      Object.defineProperty(bucket, name, { value, enumerable: true, writable: true, configurable: true });
    else bucket[name] = value;
  }

  private string(name: string, value: string, declared: FeatureKind | undefined): void {
    if (this.opts.redact.has(name)) {
      this.flags.push(`redacted:${name}`);
      return;
    }
    let v = value;
    if (this.opts.hash.has(name)) {
      // the secret is checked when options are built
      v = (this.opts.hmac as (value: string) => string)(v);
    } else if (v.length > this.opts.maxStringLength) {
      v = v.slice(0, this.opts.maxStringLength);
      this.flags.push(`truncated:${name}`);
    }
    if (v === '' && this.opts.emptyStringIsNa) this.na.push(name);
    if (declared === 'text') this.put('text', name, v);
    else if (declared === 'numeric') {
      const n = v.trim() === '' ? Number.NaN : Number(v);
      if (Number.isFinite(n)) this.put('num', name, n);
      else {
        this.flags.push(`invalid_number:${name}`);
        if (!this.na.includes(name)) this.na.push(name);
      }
    } else if (declared === 'datetime') this.date(name, new Date(v));
    else this.put('cat', name, this.keyword(name, v));
  }

  /** A categorical value longer than the keyword's `ignore_above` would be stored but not searchable. */
  private keyword(name: string, v: string): string {
    if (v.length <= this.opts.maxCategoryLength) return v;
    this.flags.push(`truncated_keyword:${name}`);
    return v.slice(0, this.opts.maxCategoryLength);
  }

  private number(name: string, value: number, declared: FeatureKind | undefined): void {
    if (this.opts.redact.has(name)) {
      this.flags.push(`redacted:${name}`);
      return;
    }
    if (!Number.isFinite(value)) {
      this.flags.push(`non_finite:${name}`);
      this.na.push(name);
      return;
    }
    if (
      declared === 'categorical' ||
      declared === 'identifier' ||
      declared === 'text' ||
      this.opts.hash.has(name)
    ) {
      this.string(name, String(value), declared);
      return;
    }
    this.put('num', name, value);
  }

  private date(name: string, value: Date): void {
    const t = value.getTime();
    // Elasticsearch's default date format takes four-digit years
    if (Number.isNaN(t) || t < MIN_DATE_MS || t > MAX_DATE_MS) {
      this.flags.push(`invalid_date:${name}`);
      this.na.push(name);
      return;
    }
    this.put('date', name, value.toISOString());
  }

  private array(name: string, value: readonly unknown[], declared: FeatureKind | undefined): void {
    const items = value.length > this.opts.maxArrayLength ? value.slice(0, this.opts.maxArrayLength) : value;
    if (items.length < value.length) this.flags.push(`truncated_array:${name}`);
    if (items.length === 0) {
      this.na.push(name);
      return;
    }
    const first = typeof items[0];
    const homogeneous = items.every((x) => typeof x === first);
    if (homogeneous && first === 'number' && declared !== 'categorical') {
      const nums = (items as number[]).filter((n) => Number.isFinite(n));
      if (nums.length < items.length) this.flags.push(`non_finite:${name}`);
      if (nums.length) this.put('num', name, nums);
      else this.na.push(name);
    } else if (homogeneous && first === 'boolean') this.put('bool', name, items as boolean[]);
    else if (homogeneous && first === 'string' && declared !== 'text') {
      const max = this.opts.maxStringLength;
      const cut = (items as string[]).map((s) => (s.length > max ? s.slice(0, max) : s));
      if (cut.some((s, i) => s !== items[i])) this.flags.push(`truncated:${name}`);
      const kmax = this.opts.maxCategoryLength;
      const strs = cut.map((s) => (s.length > kmax ? s.slice(0, kmax) : s));
      if (strs.some((s, i) => s !== cut[i])) this.flags.push(`truncated_keyword:${name}`);
      this.put('cat', name, strs);
    } else {
      this.flags.push(`unsupported_array:${name}`);
    }
  }

  value(rawName: string, value: unknown, depth: number): void {
    const name = safeFeatureName(rawName);
    if (name !== rawName) this.flags.push(`renamed:${name}`);
    const declared = this.opts.kinds.get(name);
    switch (typeof value) {
      case 'number':
        this.number(name, value, declared);
        return;
      case 'string':
        this.string(name, value, declared);
        return;
      case 'boolean':
        if (declared === 'categorical' || declared === 'identifier')
          this.string(name, String(value), declared);
        else this.put('bool', name, value);
        return;
      case 'bigint': {
        const n = Number(value);
        if (!Number.isSafeInteger(n)) this.flags.push(`bigint_precision:${name}`);
        this.number(name, n, declared);
        return;
      }
      case 'undefined':
        this.na.push(name);
        return;
      case 'function':
      case 'symbol':
        this.flags.push(`unsupported_type:${name}`);
        return;
    }
    // objects
    if (value === null) {
      this.na.push(name);
      return;
    }
    if (value instanceof Date) {
      this.date(name, value);
      return;
    }
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
      this.flags.push(`unsupported_binary:${name}`);
      return;
    }
    if (this.seen.has(value as object)) {
      this.flags.push(`circular:${name}`);
      return;
    }
    if (Array.isArray(value)) {
      this.array(name, value, declared);
      return;
    }
    if (depth >= this.opts.maxDepth) {
      this.flags.push(`too_deep:${name}`);
      return;
    }
    this.seen.add(value as object);
    // nested objects become dotted names: { address: { city } } -> "address.city"
    for (const key of Object.keys(value as object)) {
      this.value(`${name}.${key}`, (value as Record<string, unknown>)[key], depth + 1);
    }
  }
}

export function sanitizeFeatures(input: unknown, opts: SanitizeOptions): SanitizedFeatures {
  const b = new Builder(opts);
  if (typeof input !== 'object' || input === null || Array.isArray(input) || input instanceof Date) {
    // a non-object payload is wrapped so it is still stored and visible
    b.flags.push('wrapped_payload');
    b.value('value', input, 0);
  } else {
    const obj = input as Record<string, unknown>;
    b.markSeen(obj);
    for (const key of Object.keys(obj)) b.value(key, obj[key], 0);
  }
  if (b.truncatedFeatures > 0) b.flags.push(`too_many_features:${b.truncatedFeatures}`);
  return { features: b.features, na: b.na, flags: b.flags };
}

/** The model's output: a score, a class label, a boolean, or `{ label, score }`. */
export interface SanitizedPrediction {
  num?: number;
  cat?: string;
  bool?: boolean;
}

export function sanitizePrediction(
  p: unknown,
  maxStringLength: number,
  flags: string[],
): SanitizedPrediction | undefined {
  if (p === undefined || p === null) return undefined;
  if (typeof p === 'number') {
    if (Number.isFinite(p)) return { num: p };
    flags.push('non_finite:prediction');
    return undefined;
  }
  if (typeof p === 'bigint') return { num: Number(p) };
  if (typeof p === 'string') return { cat: p.length > maxStringLength ? p.slice(0, maxStringLength) : p };
  if (typeof p === 'boolean') return { bool: p };
  if (typeof p === 'object' && !Array.isArray(p)) {
    const { label, score } = p as { label?: unknown; score?: unknown };
    const out: SanitizedPrediction = {};
    if (typeof label === 'string' || typeof label === 'number')
      out.cat = String(label).slice(0, maxStringLength);
    if (typeof score === 'number' && Number.isFinite(score)) out.num = score;
    if (out.cat !== undefined || out.num !== undefined) return out;
  }
  flags.push('unsupported_prediction');
  return undefined;
}
