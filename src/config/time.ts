import { ConfigError, MlmonError } from '../contract/errors.js';

/** Durations and times as mlmon.yml and the command line write them. */
const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30s`, `5m`, `1h`, `1d` (or `ms`) in milliseconds; `path` names the setting in the error. */
export function parseDuration(v: unknown, path: string): number {
  const m = typeof v === 'string' ? DURATION.exec(v.trim()) : undefined;
  if (!m) throw new ConfigError(path, `"${String(v)}" is not a duration`, 'write it as 30s, 5m, 1h or 1d');
  const ms = Number(m[1]) * (UNIT[m[2] as string] as number);
  if (ms <= 0) throw new ConfigError(path, 'must be longer than zero');
  return ms;
}

/** ISO 8601, epoch milliseconds, `now`, or `now-15m` style. */
export function parseTime(v: string, flag: string, now = Date.now()): number {
  const rel = /^now(?:-(\d+)(ms|s|m|h|d))?$/.exec(v.trim());
  if (rel) return rel[1] ? now - parseDuration(`${rel[1]}${rel[2]}`, flag) : now;
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (Number.isNaN(t))
    throw new MlmonError(`${flag}: "${v}" is not a time`, {
      exit: 'usage',
      fix: 'use ISO 8601 (2026-01-01T10:00:00Z), epoch milliseconds, now or now-15m',
    });
  return t;
}
