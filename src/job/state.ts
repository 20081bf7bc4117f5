import { createHash } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import { indexBody } from '../assets/catalog.js';
import { ensureIndex } from '../assets/ensure.js';
import { JOB_STATE_INDEX } from '../contract/streams.js';
import type { AlertStatus, Severity } from '../rules/rule-settings.js';

export type { AlertStatus };

import type { RuleMetric, RuleName } from '../rules/rule-table.js';

/** Checkpoints and alert states live in JOB_STATE_INDEX: one document per model / per alert key, replaced in place. */

/** An alert's life: it fires once, and resolves when a window no longer breaks the rule. */

export interface AlertState {
  key: string;
  model: string;
  /** the version monitored on its own, or null for all versions together */
  version: string | null;
  rule: RuleName;
  feature: string;
  metric: RuleMetric;
  status: AlertStatus;
  severity: Severity;
  value: number | string;
  threshold: number | string;
  first_seen: string;
  last_seen: string;
  /**
   * Transitions saved but not yet notified (an outbox): a job killed between saving a window's alert
   * states and notifying sends them on its next run, and a window computed again sends nothing.
   */
  pending?: AlertStatus[];
}

/** The dedup key: one alert per model (and monitored version), feature, rule and metric. */
export function alertKey(
  model: string,
  version: string | null,
  feature: string,
  rule: RuleName,
  metric: RuleMetric,
): string {
  return createHash('sha1')
    .update([model, version ?? '*', feature, rule, metric].join('\u0000'))
    .digest('hex')
    .slice(0, 20);
}

export class JobState {
  constructor(
    private readonly client: Client,
    private readonly index = JOB_STATE_INDEX,
  ) {}

  ensure(): Promise<void> {
    return ensureIndex(this.client, this.index, indexBody('job-state'));
  }

  async checkpoint(model: string): Promise<number | undefined> {
    const res = await this.client.get<{ last_window_end: string }>(
      { index: this.index, id: `checkpoint:${model}` },
      { ignore: [404] },
    );
    return res.found && res._source ? Date.parse(res._source.last_window_end) : undefined;
  }

  async saveCheckpoint(model: string, windowEnd: Date): Promise<void> {
    await this.client.index({
      index: this.index,
      id: `checkpoint:${model}`,
      document: {
        kind: 'checkpoint',
        model,
        last_window_end: windowEnd.toISOString(),
        updated_at: new Date().toISOString(),
      },
      refresh: 'wait_for',
    });
  }

  async firing(model?: string): Promise<AlertState[]> {
    if (!(await this.client.indices.exists({ index: this.index }))) return [];
    const res = await this.client.search<{ alert: AlertState }>({
      index: this.index,
      size: 10_000,
      query: {
        bool: {
          filter: [
            { term: { kind: 'alert' } },
            { term: { 'alert.status': 'firing' satisfies AlertStatus } },
            ...(model ? [{ term: { model } }] : []),
          ],
        },
      },
    });
    return res.hits.hits.map((h) => h._source?.alert as AlertState);
  }

  /** Every alert state of a model (firing and resolved), by key. */
  async alerts(model: string): Promise<Map<string, AlertState>> {
    if (!(await this.client.indices.exists({ index: this.index }))) return new Map();
    const res = await this.client.search<{ alert: AlertState }>({
      index: this.index,
      size: 10_000,
      query: { bool: { filter: [{ term: { kind: 'alert' } }, { term: { model } }] } },
    });
    const out = new Map<string, AlertState>();
    for (const h of res.hits.hits) if (h._source?.alert) out.set(h._source.alert.key, h._source.alert);
    return out;
  }

  /** The alert states with transitions not yet notified (a run that stopped before notifying). */
  async pending(): Promise<AlertState[]> {
    if (!(await this.client.indices.exists({ index: this.index }))) return [];
    const res = await this.client.search<{ alert: AlertState }>({
      index: this.index,
      size: 10_000,
      query: { bool: { filter: [{ term: { kind: 'alert' } }, { exists: { field: 'alert.pending' } }] } },
    });
    return res.hits.hits.map((h) => h._source?.alert as AlertState);
  }

  async saveAlert(a: AlertState): Promise<void> {
    await this.client.index({
      index: this.index,
      id: `alert:${a.key}`,
      document: { kind: 'alert', model: a.model, alert: a, updated_at: new Date().toISOString() },
      // the next window searches the states: make this one visible now (a small index, few writes)
      refresh: true,
    });
  }
}
