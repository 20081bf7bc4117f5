import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.js';
import { alertsStream, metricsStream } from '../job/writer.js';
import { type Rules, rulesFor, type Thresholds } from '../rules/rule-settings.js';
import { defaultRules } from '../rules/rule-table.js';
import { readJsonAsset } from './assets.js';
import { fillPlaceholders } from './placeholders.js';

/**
 * Watcher watches, one per rule family, rendered from the data files `kibana/watches/mlmon-<family>.json`
 * with the thresholds of the job's rules (defaults or mlmon.yml), so the watch and the job cannot
 * disagree. `mlmon setup` PUTs them (`PUT _watcher/watch/<id>`) where the license has Watcher.
 */

/** The subset of the Watch JSON the assets use (Elastic's Watcher docs: trigger, input, condition, actions). */
export interface WatchBody {
  metadata: Record<string, unknown>;
  trigger: { schedule: { interval: string } };
  input: {
    search: {
      request: {
        indices: string[];
        rest_total_hits_as_int: boolean;
        indices_options?: Record<string, unknown>;
        body: { query: { bool: { filter: unknown[]; must_not?: unknown[] } } } & Record<string, unknown>;
      };
    };
  };
  condition: Record<string, unknown>;
  throttle_period: string;
  actions: Record<string, Record<string, unknown>>;
}

export type WatchFamily =
  | 'na'
  | 'unseen'
  | 'oov'
  | 'drift-numeric'
  | 'drift-categorical'
  | 'volume'
  | 'version';

export interface RenderedWatch {
  id: string;
  family: WatchFamily;
  /** set on a watch for one feature whose rules differ from the defaults (mlmon.yml rules.features) */
  feature?: string;
  body: WatchBody;
}

export interface WatchOptions {
  /** metrics-mlmon.window-<ns> is searched; alerts go to logs-mlmon.alerts-<ns> */
  namespace: string;
  /** how often each watch runs */
  interval?: string;
  /**
   * How far back (on the window's end) a run looks. Must cover the job's window delay plus one watch
   * interval, or a window can be computed after the run that would have seen it.
   */
  lookback?: string;
  /** actions run at most once per this period per watch (Watcher's throttle_period) */
  throttlePeriod?: string;
  /** without it the watch has no webhook action */
  webhookUrl?: string;
  rules?: Rules;
}

type FeatureRules = Omit<Rules, 'features'>;

interface FamilyDef {
  family: WatchFamily;
  rule: string;
  /** the rule name for the model's prediction (the job names prediction drift apart) */
  predictionRule?: string;
  metric: string;
  /** where the compared value lives under the metric document's `mlmon` */
  path: string[];
  op: 'gte' | 'lt' | 'versions';
  /** the rule keys that matter: a feature whose own rules change one of them gets its own watch */
  keys: (keyof FeatureRules)[];
  thresholds?: (r: FeatureRules) => Thresholds;
  windowLevel: boolean;
  enabled: (r: Rules) => boolean;
}

const on = () => true;

/** The rule families, each as the job evaluates it (src/metrics/window.ts). */
export const WATCH_FAMILIES: readonly FamilyDef[] = [
  {
    family: 'na',
    rule: 'na_rate',
    metric: 'na_rate_rise',
    path: ['metric', 'na_rate_rise'],
    op: 'gte',
    keys: ['minSamples', 'naRateRise'],
    thresholds: (r) => r.naRateRise,
    windowLevel: false,
    enabled: on,
  },
  {
    family: 'unseen',
    rule: 'unseen_categories',
    metric: 'unseen_rate',
    path: ['metric', 'unseen_rate'],
    op: 'gte',
    keys: ['minSamples', 'unseenRate'],
    thresholds: (r) => r.unseenRate,
    windowLevel: false,
    enabled: on,
  },
  {
    family: 'oov',
    rule: 'oov_words',
    metric: 'oov_rate',
    path: ['metric', 'oov_rate'],
    op: 'gte',
    keys: ['minSamples', 'oovRate'],
    thresholds: (r) => r.oovRate,
    windowLevel: false,
    enabled: on,
  },
  {
    family: 'drift-numeric',
    rule: 'numeric_drift',
    predictionRule: 'prediction_drift',
    metric: 'psi',
    path: ['metric', 'psi'],
    op: 'gte',
    keys: ['minSamples', 'pValue', 'psi'],
    thresholds: (r) => r.psi,
    windowLevel: false,
    enabled: on,
  },
  {
    family: 'drift-categorical',
    rule: 'categorical_drift',
    predictionRule: 'prediction_drift',
    metric: 'js',
    path: ['metric', 'js'],
    op: 'gte',
    keys: ['minSamples', 'pValue', 'jensenShannon'],
    thresholds: (r) => r.jensenShannon,
    windowLevel: false,
    enabled: on,
  },
  {
    family: 'volume',
    rule: 'volume',
    metric: 'docs',
    path: ['window', 'docs'],
    op: 'lt',
    keys: [],
    // the job: fewer than min_volume documents is a warning, none at all is critical
    thresholds: (r) => ({ warn: r.minVolume, critical: 1 }),
    windowLevel: true,
    enabled: (r) => r.minVolume > 0,
  },
  {
    family: 'version',
    rule: 'unexpected_version',
    metric: 'version',
    path: ['window', 'unexpected_versions'],
    op: 'versions',
    keys: [],
    windowLevel: true,
    enabled: (r) => r.unexpectedVersion,
  },
];

const DEFAULTS = { interval: '5m', lookback: '15m', throttlePeriod: '30m' };
// units both Watcher's durations and Elasticsearch's date math (the lookback) accept
const DURATION = /^\d+(s|m|h|d|w)$/;

let alertDocsScript: string | undefined;
function alertDocsSource(): string {
  alertDocsScript ??= readFileSync(
    fileURLToPath(new URL('../../kibana/watches/alert-docs.painless', import.meta.url)),
    'utf8',
  );
  return alertDocsScript;
}

/** Features whose own rules change a key this family uses: they get a watch of their own. */
function overriddenFeatures(def: FamilyDef, rules: Rules): string[] {
  return Object.keys(rules.features ?? {}).filter((name) => {
    const own = rulesFor(rules, name);
    return def.keys.some((k) => JSON.stringify(own[k]) !== JSON.stringify(rules[k]));
  });
}

/** A watch id segment for a feature name: readable, and unique through a short hash. */
function featureSlug(name: string): string {
  const readable = name
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return `${readable || 'feature'}-${createHash('sha1').update(name).digest('hex').slice(0, 6)}`;
}

function renderOne(
  def: FamilyDef,
  opts: Required<Omit<WatchOptions, 'webhookUrl' | 'rules'>> & { webhookUrl?: string },
  r: FeatureRules,
  scope: { feature: string } | { exclude: string[] },
): RenderedWatch {
  const t = def.thresholds?.(r);
  const id = `mlmon-${def.family}-${opts.namespace}${'feature' in scope ? `-${featureSlug(scope.feature)}` : ''}`;
  const params: Record<string, unknown> = {
    namespace: opts.namespace,
    metrics_index: metricsStream(opts.namespace),
    alerts_index: alertsStream(opts.namespace),
    interval: opts.interval,
    lookback: opts.lookback,
    throttle_period: opts.throttlePeriod,
    webhook_url: opts.webhookUrl ?? '',
    rule: def.rule,
    warn: t?.warn ?? null,
    critical: t?.critical ?? null,
    min_samples: r.minSamples,
    p_value: r.pValue,
    alert_docs_script: alertDocsSource(),
    alert_docs_params: {
      rule: def.rule,
      prediction_rule: def.predictionRule ?? def.rule,
      metric: def.metric,
      path: def.path,
      op: def.op,
      warn: t?.warn ?? 'a version with a baseline',
      critical: t?.critical ?? null,
      window_level: def.windowLevel,
      namespace: opts.namespace,
    },
  };
  const body = fillPlaceholders(
    readJsonAsset(`kibana/watches/mlmon-${def.family}.json`),
    params,
  ) as WatchBody;
  const bool = body.input.search.request.body.query.bool;
  if ('feature' in scope) {
    bool.filter.push({ term: { 'mlmon.feature.name': scope.feature } });
    body.metadata.feature = scope.feature;
  } else if (scope.exclude.length) {
    bool.must_not = [{ terms: { 'mlmon.feature.name': scope.exclude } }];
    body.metadata.features_with_own_watch = scope.exclude;
  }
  if (!opts.webhookUrl) delete body.actions.notify_webhook;
  return { id, family: def.family, ...('feature' in scope ? { feature: scope.feature } : {}), body };
}

/**
 * The watches for one namespace: one per enabled rule family (volume only with `min_volume`, the
 * version watch only with `unexpected_version`), plus one per feature whose mlmon.yml rules change
 * that family's thresholds, since a compare condition holds one threshold.
 */
export function renderWatches(opts: WatchOptions): RenderedWatch[] {
  const o = {
    namespace: opts.namespace,
    interval: opts.interval ?? DEFAULTS.interval,
    lookback: opts.lookback ?? DEFAULTS.lookback,
    throttlePeriod: opts.throttlePeriod ?? DEFAULTS.throttlePeriod,
    ...(opts.webhookUrl ? { webhookUrl: opts.webhookUrl } : {}),
  };
  if (!/^[a-z0-9_]+$/.test(o.namespace))
    throw new ConfigError(
      'namespace',
      `"${o.namespace}" is not a data stream namespace`,
      'use a-z, 0-9 and _',
    );
  for (const [k, v] of [
    ['interval', o.interval],
    ['lookback', o.lookback],
    ['throttlePeriod', o.throttlePeriod],
  ] as const)
    if (!DURATION.test(v))
      throw new ConfigError(k, `"${v}" is not a duration`, 'write it as 30s, 5m, 1h or 1d');
  const webhook = o.webhookUrl;
  if (webhook && !(URL.canParse(webhook) && /^https?:$/.test(new URL(webhook).protocol)))
    throw new ConfigError('webhookUrl', `"${o.webhookUrl}" is not an http or https URL`);
  const rules = opts.rules ?? defaultRules;
  const out: RenderedWatch[] = [];
  for (const def of WATCH_FAMILIES) {
    if (!def.enabled(rules)) continue;
    const own = def.windowLevel ? [] : overriddenFeatures(def, rules);
    out.push(renderOne(def, o, rules, { exclude: own }));
    for (const feature of own) out.push(renderOne(def, o, rulesFor(rules, feature), { feature }));
  }
  return out;
}
