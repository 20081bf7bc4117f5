import type { AlertState } from './state.js';

export interface Notification {
  action: 'firing' | 'resolved';
  alert: AlertState;
}

export interface NotifyConfig {
  webhook?: { url: string; headers: Record<string, string> };
  slack?: { url: string };
}

/** A Slack-compatible message (incoming webhooks take `text`, and `blocks` for richer clients). */
export function slackPayload(n: Notification): { text: string; blocks: unknown[] } {
  const a = n.alert;
  const icon =
    n.action === 'resolved' ? ':white_check_mark:' : a.severity === 'critical' ? ':red_circle:' : ':warning:';
  const text = `${icon} [${n.action.toUpperCase()}] ${a.model} · ${a.feature} · ${a.rule}: ${a.metric} = ${a.value} (threshold ${a.threshold}, ${a.severity})`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `first seen ${a.first_seen} · last seen ${a.last_seen}` }],
      },
    ],
  };
}

async function post(
  url: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<string | undefined> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    return res.ok ? undefined : `HTTP ${res.status}`;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Sends each transition; returns the failures (a notifier being down never stops the job). */
export async function notify(config: NotifyConfig, notifications: Notification[]): Promise<string[]> {
  const failures: string[] = [];
  for (const n of notifications) {
    if (config.webhook) {
      const err = await post(
        config.webhook.url,
        { source: 'ml-input-monitor', ...n },
        config.webhook.headers,
      );
      if (err) failures.push(`webhook: ${err}`);
    }
    if (config.slack) {
      const err = await post(config.slack.url, slackPayload(n), {});
      if (err) failures.push(`slack: ${err}`);
    }
  }
  return failures;
}
