import { createHash } from 'node:crypto';
import { ASSET_PATHS } from '../assets/layout.js';
import { readJsonAsset, readTextAsset } from '../assets/package-files.js';
import { fillPlaceholders } from '../assets/placeholders.js';
import { ConfigError } from '../contract/errors.js';
import { alertsStream, metricsStream, validateNamespace } from '../contract/streams.js';
import { type FeatureRules, type Rules, rulesFor, type Thresholds } from '../rules/rule-settings.js';
import {
  checkPaths,
  type DocPath,
  defaultRules,
  FEATURE_CHECKS,
  type FeatureCheck,
  type RuleMetric,
  type RuleName,
  ruleOf,
  settingsOf,
  WINDOW_RULES,
  type WindowRuleRow,
} from '../rules/rule-table.js';

/**
 * Watcher watches, one per rule family, rendered from the data files `assets/elasticsearch/watches/mlmon-<family>.json`
 * (the Watcher presentation: metadata, schedule, search options, actions) and from the rule table
 * (src/rules/rule-table.ts: the filters that gate, the sort, the condition) with the thresholds of the
 * job's rules (defaults or mlmon.yml), so the watch and the job cannot disagree. `mlmon setup` PUTs them
 * (`PUT _watcher/watch/<id>`) where the license has Watcher.
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
  actions: Record<string, Record<string, unknown>>;
}

/**
 * Watcher's presentation of the rule table: one family (a watch, and its data file
 * `assets/elasticsearch/watches/mlmon-<family>.json`) per compared quantity, since a condition holds one path and one
 * threshold, in the order `mlmon setup` installs them. Every quantity a rule compares has one.
 */
const FAMILY_OF = {
  na_rate_rise: 'na',
  unseen_rate_rise: 'unseen',
  oov_rate_rise: 'oov',
  psi: 'drift-numeric',
  js: 'drift-categorical',
  docs: 'volume',
  docs_ratio: 'volume-drop',
  version: 'version',
} as const satisfies Record<RuleMetric, string>;

export type WatchFamily = (typeof FAMILY_OF)[RuleMetric];

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
  /**
   * The notifying actions (webhook, log) run at most once per this period (their own
   * `throttle_period`). The alert-indexing action has none: Watcher throttles an action from its last
   * run whatever the payload (PeriodThrottler.java in x-pack/plugin/core),
   * so a watch-level throttle longer than the lookback would drop another feature's breach; its
   * documents carry ids from their keys instead, so a repeat is refused (409).
   */
  throttlePeriod?: string;
  /** without it the watch has no webhook action */
  webhookUrl?: string;
  rules?: Rules;
}

/** A family as the rule table has it, with what its watch searches and compares. */
export interface FamilyDef {
  family: WatchFamily;
  rule: RuleName;
  /** the rule name for the model's prediction (the job names prediction drift apart) */
  predictionRule: RuleName;
  metric: RuleMetric;
  /** where the compared value lives under the metric document's `mlmon` */
  path: DocPath;
  op: 'gte' | 'lt' | 'versions';
  /** the rule keys that matter: a feature whose own rules change one of them gets its own watch */
  keys: (keyof FeatureRules)[];
  thresholds?: (r: FeatureRules) => Thresholds;
  windowLevel: boolean;
  enabled: (r: Rules) => boolean;
  /** the search's filters after the lookback: the rule's gates, and the compared value's presence */
  gates: (r: FeatureRules) => unknown[];
}

const field = (path: DocPath) => `mlmon.${path.join('.')}`;
const on = () => true;

function featureFamily(check: FeatureCheck): FamilyDef {
  const rule = ruleOf(check, 'feature') ?? ruleOf(check, 'prediction');
  if (!rule) throw new Error(`the rule table has a check of ${check.metric} without a rule`);
  const paths = checkPaths(check);
  return {
    family: FAMILY_OF[check.metric],
    rule: rule.name,
    predictionRule: (ruleOf(check, 'prediction') ?? rule).name,
    metric: check.metric,
    path: paths.value,
    op: check.compare,
    keys: settingsOf(check),
    thresholds: (r) => r[check.thresholds],
    windowLevel: false,
    enabled: on,
    // the job's verdict on the evidence (a test at the window's size), or the count a min_samples gate counts
    gates: (r) => [
      ...(paths.evidence ? [{ term: { [field(paths.evidence)]: true } }] : []),
      ...(paths.samples ? [{ range: { [field(paths.samples)]: { gte: r.minSamples } } }] : []),
      { exists: { field: field(paths.value) } },
    ],
  };
}

function windowFamily(row: WindowRuleRow): FamilyDef {
  return {
    family: FAMILY_OF[row.metric],
    rule: row.name,
    predictionRule: row.name,
    metric: row.metric,
    path: row.path,
    op: row.compare,
    keys: [],
    ...(row.compare === 'lt' ? { thresholds: row.thresholds } : {}),
    windowLevel: true,
    enabled: row.enabled,
    gates: () => [{ exists: { field: field(row.path) } }],
  };
}

/** The families, rendered from the rule table (src/rules/rule-table.ts), in install order. */
export const WATCH_FAMILIES: readonly FamilyDef[] = (() => {
  const defs = [...FEATURE_CHECKS.map(featureFamily), ...WINDOW_RULES.map(windowFamily)];
  return (Object.values(FAMILY_OF) as WatchFamily[]).map((family) => {
    const def = defs.find((d) => d.family === family);
    if (!def) throw new Error(`watch family ${family} compares nothing the rule table has`);
    return def;
  });
})();

/** The search's sort: the value the condition compares, the one that decides `some` first. */
function sortOf(def: FamilyDef): unknown[] {
  // (the compared rates and distances are doubles, the document count a long)
  if (def.op === 'gte') return [{ [field(def.path)]: { order: 'desc', unmapped_type: 'double' } }];
  if (def.op === 'lt')
    return [
      { [field(def.path)]: { order: 'asc', unmapped_type: def.metric === 'docs' ? 'long' : 'double' } },
    ];
  return [{ 'mlmon.window.to': { order: 'desc', unmapped_type: 'date' } }];
}

/** The condition: some hit at or past warn, or (versions) any hit at all. */
function conditionOf(def: FamilyDef, t: Thresholds | undefined): Record<string, unknown> {
  if (def.op === 'versions') return { compare: { 'ctx.payload.hits.total': { gte: 1 } } };
  return {
    array_compare: {
      'ctx.payload.hits.hits': {
        path: `_source.${field(def.path)}`,
        [def.op]: { value: t?.warn ?? null, quantifier: 'some' },
      },
    },
  };
}

const DEFAULTS = { interval: '5m', lookback: '15m', throttlePeriod: '30m' };
// units both Watcher's durations and Elasticsearch's date math (the lookback) accept
const DURATION = /^\d+(s|m|h|d|w)$/;

let alertDocsScript: string | undefined;
function alertDocsSource(): string {
  alertDocsScript ??= readTextAsset(ASSET_PATHS.watchScript('alert-docs'));
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
    filters: [{ range: { 'mlmon.window.to': { gte: `now-${opts.lookback}` } } }, ...def.gates(r)],
    sort: sortOf(def),
    condition: conditionOf(def, t),
    warn: t?.warn ?? null,
    critical: t?.critical ?? null,
    min_samples: r.minSamples,
    false_alarm_budget: r.falseAlarmBudget,
    alert_docs_script: alertDocsSource(),
    alert_docs_params: {
      rule: def.rule,
      prediction_rule: def.predictionRule,
      metric: def.metric,
      path: def.path,
      op: def.op,
      warn: t?.warn ?? 'a version with a baseline',
      critical: t?.critical ?? null,
      window_level: def.windowLevel,
      namespace: opts.namespace,
    },
  };
  const body = fillPlaceholders(readJsonAsset(ASSET_PATHS.watch(def.family)), params) as WatchBody;
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
  validateNamespace(o.namespace);
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
