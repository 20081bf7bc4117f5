import { ASSET_PATHS } from '../assets/layout.js';
import { readJsonAsset } from '../assets/package-files.js';
import { fillPlaceholders } from '../assets/placeholders.js';
import { ConfigError } from '../contract/errors.js';
import { alertsStream, validateNamespace } from '../contract/streams.js';
import type { AlertStatus, Severity } from '../rules/rule-settings.js';

/**
 * The Basic-license alternative to the watches: Kibana Elasticsearch-query rules (`.es-query`) over
 * the alerts data stream the job writes, rendered from `assets/kibana/rules/*.json`. `mlmon setup` POSTs them
 * to `/api/alerting/rule/<id>` (header `kbn-xsrf`) where Watcher is not licensed. On Basic only the
 * Index and Server log connectors work, so the optional action is a Server log one.
 */

/** Kibana's create-rule body for an Elasticsearch query rule in query-DSL mode. */
export interface KibanaRuleBody {
  name: string;
  rule_type_id: '.es-query';
  consumer: string;
  tags: string[];
  enabled: boolean;
  schedule: { interval: string };
  params: {
    searchType: 'esQuery';
    index: string[];
    timeField: string;
    /** a JSON string: Kibana uses its `query` (and `fields`, `_source`, `runtime_mappings`) only */
    esQuery: string;
    size: number;
    threshold: number[];
    thresholdComparator: '>' | '>=' | '<' | '<=' | 'between' | 'notBetween';
    timeWindowSize: number;
    timeWindowUnit: 's' | 'm' | 'h' | 'd';
    excludeHitsFromPreviousRun: boolean;
    aggType: 'count';
    groupBy: 'all';
  };
  actions: {
    group: string;
    id: string;
    params: Record<string, unknown>;
    frequency: { summary: boolean; notify_when: string; throttle: string | null };
  }[];
}

export interface KibanaRuleOptions {
  namespace: string;
  /** how often Kibana runs each rule */
  interval?: string;
  /** how far back each run counts alert events; longer than the interval, so none falls in a gap */
  timeWindow?: string;
  /** a Server log connector (`.server-log`) to notify through */
  serverLogConnectorId?: string;
}

export const KIBANA_RULES = ['mlmon-alerts-firing', 'mlmon-alerts-critical'] as const;
// the rule type's group that runs actions when the threshold is met
const QUERY_MATCHED = 'query matched';
const DURATION = /^(\d+)(s|m|h|d)$/;

export function renderKibanaRules(opts: KibanaRuleOptions): { id: string; body: KibanaRuleBody }[] {
  const interval = opts.interval ?? '5m';
  const timeWindow = opts.timeWindow ?? '10m';
  validateNamespace(opts.namespace);
  const fix = 'write it as 30s, 5m, 1h or 1d';
  if (!DURATION.test(interval)) throw new ConfigError('interval', `"${interval}" is not a duration`, fix);
  const window = DURATION.exec(timeWindow);
  if (!window) throw new ConfigError('timeWindow', `"${timeWindow}" is not a duration`, fix);
  const params = {
    namespace: opts.namespace,
    alerts_index: alertsStream(opts.namespace),
    interval,
    time_window_size: Number(window[1]),
    time_window_unit: window[2],
    // the alert events' vocabulary, as the job writes it (job/state.ts, the rule table's severities)
    firing: 'firing' satisfies AlertStatus,
    critical: 'critical' satisfies Severity,
  };
  return KIBANA_RULES.map((name) => {
    const body = fillPlaceholders(readJsonAsset(ASSET_PATHS.kibanaRule(name)), params) as KibanaRuleBody;
    if (opts.serverLogConnectorId) {
      body.actions.push({
        group: QUERY_MATCHED,
        id: opts.serverLogConnectorId,
        params: { level: 'warn', message: '{{rule.name}}: {{context.message}}' },
        frequency: { summary: false, notify_when: 'onActionGroupChange', throttle: null },
      });
    }
    return { id: `${name}-${opts.namespace}`, body };
  });
}
