import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError } from '../contract/errors.js';
import { MIN_WINDOW_EVERY_MS } from '../contract/limits.js';
import { BASELINES_INDEX, DEFAULT_NAMESPACE, streamPattern, validateNamespace } from '../contract/streams.js';
import type { Rules, Thresholds } from '../rules/rule-settings.js';
import { defaultRules } from '../rules/rule-table.js';
import { parseDuration } from './time.js';

/** `mlmon.yml` (README, "Configuration"). Flags win over the file. */
export interface MlmonConfig {
  /** the predictions data streams to read */
  index: string;
  baselineIndex: string;
  /** models to monitor; empty: every model with a baseline */
  models: { name: string; versions?: string[] }[];
  window: { everyMs: number; delayMs: number; maxCatchUp: number };
  rules: Rules;
  notify: { webhook?: { url: string; headers: Record<string, string> }; slack?: { url: string } };
  /** where metric and alert documents go: `metrics-mlmon.window-<ns>`, `logs-mlmon.alerts-<ns>` */
  namespace: string;
  /** late labels: windows this recent are computed again when their labels change (0: never) */
  labels: { lookbackMs: number };
}

export const defaultConfig: MlmonConfig = {
  index: streamPattern('predictions'),
  baselineIndex: BASELINES_INDEX,
  models: [],
  window: { everyMs: 5 * 60_000, delayMs: 60_000, maxCatchUp: 288 },
  rules: defaultRules,
  notify: {},
  namespace: DEFAULT_NAMESPACE,
  labels: { lookbackMs: 14 * 24 * 3_600_000 },
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function only(o: Obj, path: string, keys: string[]): void {
  for (const k of Object.keys(o))
    if (!keys.includes(k))
      throw new ConfigError(path ? `${path}.${k}` : k, 'unknown key', `known keys: ${keys.join(', ')}`);
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string' || !v) throw new ConfigError(path, 'must be a non-empty string');
  return v;
}

function number(v: unknown, path: string, min = 0, max = Number.POSITIVE_INFINITY): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
    throw new ConfigError(path, `must be a number from ${min} to ${max}`);
  return v;
}

/** A pair of thresholds; `below` for a rule where lower is worse (volume_drop: critical at most warn, both shares). */
function thresholds(v: unknown, path: string, base: Thresholds, below = false): Thresholds {
  if (!isObj(v)) throw new ConfigError(path, 'must be a mapping with warn and critical');
  only(v, path, ['warn', 'critical']);
  const t = {
    warn: v.warn === undefined ? base.warn : number(v.warn, `${path}.warn`, 0, below ? 1 : Infinity),
    critical:
      v.critical === undefined
        ? base.critical
        : number(v.critical, `${path}.critical`, 0, below ? 1 : Infinity),
  };
  if (below && t.critical > t.warn)
    throw new ConfigError(`${path}.critical`, 'must be at most warn (lower is worse)');
  if (!below && t.critical < t.warn) throw new ConfigError(`${path}.critical`, 'must be at least warn');
  return t;
}

const THRESHOLD_KEYS = ['naRateRise', 'unseenRate', 'oovRate', 'psi', 'jensenShannon'] as const;
const SNAKE: Record<string, string> = {
  min_samples: 'minSamples',
  false_alarm_budget: 'falseAlarmBudget',
  na_rate_rise: 'naRateRise',
  unseen_rate: 'unseenRate',
  oov_rate: 'oovRate',
  psi: 'psi',
  jensen_shannon: 'jensenShannon',
  unexpected_version: 'unexpectedVersion',
  min_volume: 'minVolume',
  volume_drop: 'volumeDrop',
};

function ruleValues(v: Obj, path: string, base: Omit<Rules, 'features'>): Partial<Omit<Rules, 'features'>> {
  const out: Partial<Omit<Rules, 'features'>> = {};
  for (const [key, value] of Object.entries(v)) {
    const p = `${path}.${key}`;
    const name = SNAKE[key];
    if (!name) throw new ConfigError(p, 'unknown rule', `known rules: ${Object.keys(SNAKE).join(', ')}`);
    if ((THRESHOLD_KEYS as readonly string[]).includes(name)) {
      (out as Record<string, Thresholds>)[name] = thresholds(
        value,
        p,
        base[name as (typeof THRESHOLD_KEYS)[number]],
      );
    } else if (name === 'volumeDrop') out.volumeDrop = thresholds(value, p, base.volumeDrop, true);
    else if (name === 'minSamples' || name === 'minVolume') out[name] = number(value, p, 0);
    else if (name === 'falseAlarmBudget') out.falseAlarmBudget = number(value, p, 0, 1);
    else if (name === 'unexpectedVersion') {
      if (typeof value !== 'boolean') throw new ConfigError(p, 'must be true or false');
      out.unexpectedVersion = value;
    }
  }
  return out;
}

/** `window.every` or `--every`: a duration of at least MIN_WINDOW_EVERY_MS (README, "mlmon.yml"). */
export function parseWindowEvery(v: unknown, path: string): number {
  const ms = parseDuration(v, path);
  if (ms < MIN_WINDOW_EVERY_MS)
    throw new ConfigError(
      path,
      `must be at least ${MIN_WINDOW_EVERY_MS / 1000}s, got ${String(v)}`,
      'windows shorter than that would search the cluster in a loop with too few documents to judge',
    );
  return ms;
}

export function parseConfig(text: string, file = 'mlmon.yml'): MlmonConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ConfigError(file, `not valid YAML: ${(err as Error).message}`);
  }
  const c: MlmonConfig = structuredClone(defaultConfig);
  if (doc === null || doc === undefined) return c;
  if (!isObj(doc)) throw new ConfigError(file, 'must be a mapping');
  only(doc, '', ['index', 'baseline_index', 'models', 'window', 'rules', 'notify', 'namespace', 'labels']);
  if (doc.index !== undefined) c.index = str(doc.index, 'index');
  if (doc.baseline_index !== undefined) c.baselineIndex = str(doc.baseline_index, 'baseline_index');
  if (doc.namespace !== undefined) {
    c.namespace = validateNamespace(str(doc.namespace, 'namespace'));
  }
  if (doc.models !== undefined) {
    if (!Array.isArray(doc.models)) throw new ConfigError('models', 'must be a list');
    c.models = doc.models.map((m: unknown, i: number) => {
      const p = `models[${i}]`;
      if (typeof m === 'string') return { name: m };
      if (!isObj(m)) throw new ConfigError(p, 'must be a model name or a mapping with name');
      only(m, p, ['name', 'versions']);
      const out: { name: string; versions?: string[] } = { name: str(m.name, `${p}.name`) };
      if (m.versions !== undefined) {
        if (!Array.isArray(m.versions)) throw new ConfigError(`${p}.versions`, 'must be a list');
        out.versions = m.versions.map((v: unknown, j: number) =>
          String(typeof v === 'number' ? v : str(v, `${p}.versions[${j}]`)),
        );
      }
      return out;
    });
  }
  if (doc.window !== undefined) {
    if (!isObj(doc.window)) throw new ConfigError('window', 'must be a mapping');
    only(doc.window, 'window', ['every', 'delay', 'max_catch_up']);
    if (doc.window.every !== undefined) c.window.everyMs = parseWindowEvery(doc.window.every, 'window.every');
    if (doc.window.delay !== undefined) c.window.delayMs = parseDuration(doc.window.delay, 'window.delay');
    if (doc.window.max_catch_up !== undefined)
      c.window.maxCatchUp = number(doc.window.max_catch_up, 'window.max_catch_up', 1);
  }
  if (doc.labels !== undefined) {
    if (!isObj(doc.labels)) throw new ConfigError('labels', 'must be a mapping');
    only(doc.labels, 'labels', ['lookback']);
    if (doc.labels.lookback !== undefined)
      c.labels.lookbackMs =
        doc.labels.lookback === 0 ? 0 : parseDuration(doc.labels.lookback, 'labels.lookback');
  }
  if (doc.rules !== undefined) {
    if (!isObj(doc.rules)) throw new ConfigError('rules', 'must be a mapping');
    const { features, ...rest } = doc.rules;
    Object.assign(c.rules, ruleValues(rest, 'rules', c.rules));
    if (features !== undefined) {
      if (!isObj(features)) throw new ConfigError('rules.features', 'must be a mapping of feature names');
      c.rules.features = {};
      for (const [name, v] of Object.entries(features)) {
        if (!isObj(v)) throw new ConfigError(`rules.features.${name}`, 'must be a mapping');
        c.rules.features[name] = ruleValues(v, `rules.features.${name}`, c.rules);
      }
    }
  }
  if (doc.notify !== undefined) {
    if (!isObj(doc.notify)) throw new ConfigError('notify', 'must be a mapping');
    only(doc.notify, 'notify', ['webhook', 'slack']);
    const { webhook, slack } = doc.notify;
    if (webhook !== undefined) {
      if (!isObj(webhook)) throw new ConfigError('notify.webhook', 'must be a mapping with url');
      only(webhook, 'notify.webhook', ['url', 'headers']);
      const headers: Record<string, string> = {};
      if (webhook.headers !== undefined) {
        if (!isObj(webhook.headers)) throw new ConfigError('notify.webhook.headers', 'must be a mapping');
        for (const [k, v] of Object.entries(webhook.headers))
          headers[k] = str(v, `notify.webhook.headers.${k}`);
      }
      c.notify.webhook = { url: url(webhook.url, 'notify.webhook.url'), headers };
    }
    if (slack !== undefined) {
      if (!isObj(slack)) throw new ConfigError('notify.slack', 'must be a mapping with url');
      only(slack, 'notify.slack', ['url']);
      c.notify.slack = { url: url(slack.url, 'notify.slack.url') };
    }
  }
  return c;
}

function url(v: unknown, path: string): string {
  const s = str(v, path);
  try {
    const u = new URL(s);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new ConfigError(path, `"${s}" is not an http(s) URL`);
  }
  return s;
}

/** `--config`, else ./mlmon.yml when it exists, else the defaults. */
export function loadConfig(path?: string): MlmonConfig {
  const file = path ?? 'mlmon.yml';
  if (!existsSync(file)) {
    if (path) throw new ConfigError('--config', `${path} does not exist`);
    return structuredClone(defaultConfig);
  }
  return parseConfig(readFileSync(file, 'utf8'), file);
}
