import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/mlmon-config.js';
import { parseDuration, parseTime } from '../../src/config/time.js';
import { ConfigError } from '../../src/contract/errors.js';
import { slackPayload } from '../../src/job/notify.js';
import { alertKey } from '../../src/job/state.js';
import { backfillWindows, windowsToRun } from '../../src/job/windows.js';

const MIN = 60_000;
const iso = (t: number) => new Date(t).toISOString();

test('windows: aligned to the clock, ready after the delay, from the checkpoint, capped', () => {
  const now = Date.parse('2026-01-01T10:07:30Z');
  // no checkpoint: the last ready window only (10:05-10:10 ends after now - delay)
  const first = windowsToRun(undefined, now, 5 * MIN, MIN, 100);
  assert.deepEqual(
    first.windows.map((w) => [iso(w.from.getTime()), iso(w.to.getTime())]),
    [['2026-01-01T10:00:00.000Z', '2026-01-01T10:05:00.000Z']],
  );
  // from a checkpoint: everything since, in order
  const since = windowsToRun(Date.parse('2026-01-01T09:45:00Z'), now, 5 * MIN, MIN, 100);
  assert.deepEqual(
    since.windows.map((w) => iso(w.from.getTime())),
    [
      '2026-01-01T09:45:00.000Z',
      '2026-01-01T09:50:00.000Z',
      '2026-01-01T09:55:00.000Z',
      '2026-01-01T10:00:00.000Z',
    ],
  );
  // a late document delay keeps the newest window back
  assert.equal(
    windowsToRun(Date.parse('2026-01-01T10:00:00Z'), Date.parse('2026-01-01T10:05:30Z'), 5 * MIN, MIN, 100)
      .windows.length,
    0,
  );
  // a long outage: at most maxCatchUp windows, the newest ones, and the rest reported
  const capped = windowsToRun(Date.parse('2026-01-01T00:00:00Z'), now, 5 * MIN, MIN, 3);
  assert.equal(capped.windows.length, 3);
  assert.equal(capped.skipped, 121 - 3); // 00:00 to 10:05 holds 121 windows
  assert.equal(iso(capped.windows[2]?.to.getTime() ?? 0), '2026-01-01T10:05:00.000Z');
  assert.deepEqual(
    backfillWindows(Date.parse('2026-01-01T10:02:00Z'), Date.parse('2026-01-01T10:11:00Z'), 5 * MIN).map(
      (w) => iso(w.from.getTime()),
    ),
    ['2026-01-01T10:00:00.000Z', '2026-01-01T10:05:00.000Z', '2026-01-01T10:10:00.000Z'],
  );
});

function bad(yaml: string, option: string): void {
  assert.throws(
    () => parseConfig(yaml),
    (e: unknown) => e instanceof ConfigError && e.option === option,
    `expected an error at ${option}`,
  );
}

test('mlmon.yml: defaults, overrides per feature, and the path of every bad key', () => {
  const c = parseConfig(`
models: [churn, { name: fraud, versions: [3, "4"] }]
window: { every: 10m, delay: 2m }
rules:
  psi: { warn: 0.15, critical: 0.3 }
  min_samples: 50
  features:
    age: { psi: { warn: 0.5, critical: 0.9 } }
notify:
  slack: { url: "https://hooks.example.test/x" }
`);
  assert.deepEqual(c.models, [{ name: 'churn' }, { name: 'fraud', versions: ['3', '4'] }]);
  assert.equal(c.window.everyMs, 10 * MIN);
  assert.equal(c.window.delayMs, 2 * MIN);
  assert.deepEqual(c.rules.psi, { warn: 0.15, critical: 0.3 });
  assert.equal(c.rules.minSamples, 50);
  assert.deepEqual(c.rules.features?.age?.psi, { warn: 0.5, critical: 0.9 });
  assert.deepEqual(c.rules.jensenShannon, { warn: 0.1, critical: 0.2 });
  bad('rules:\n  psi:\n    warn: high\n', 'rules.psi.warn');
  bad('rules:\n  psi: { warn: 0.3, critical: 0.2 }\n', 'rules.psi.critical');
  bad('rules:\n  psy: 1\n', 'rules.psy');
  // volume_drop: lower is worse, so critical is at most warn, and both are shares of the recent median
  assert.deepEqual(c.rules.volumeDrop, { warn: 0.2, critical: 0.05 });
  assert.deepEqual(parseConfig('rules: { volume_drop: { warn: 0.5 } }').rules.volumeDrop, {
    warn: 0.5,
    critical: 0.05,
  });
  assert.deepEqual(parseConfig('rules: { volume_drop: { warn: 0, critical: 0 } }').rules.volumeDrop, {
    warn: 0,
    critical: 0,
  });
  bad('rules:\n  volume_drop: { warn: 0.1, critical: 0.2 }\n', 'rules.volume_drop.critical');
  bad('rules:\n  volume_drop: { warn: 2 }\n', 'rules.volume_drop.warn');
  bad('rules:\n  features:\n    age:\n      p_value: 2\n', 'rules.features.age.p_value');
  bad('window:\n  every: soon\n', 'window.every');
  // below the documented minimum (10s): a runaway job
  bad('window:\n  every: 1ms\n', 'window.every');
  bad('window:\n  every: 9s\n', 'window.every');
  assert.equal(parseConfig('window: { every: 10s }').window.everyMs, 10_000);
  bad('models: [{ nam: x }]\n', 'models[0].nam');
  bad('notify:\n  webhook: { url: "ftp://x" }\n', 'notify.webhook.url');
  bad('colour: blue\n', 'colour');
  bad('namespace: Bad-NS\n', 'namespace');
  assert.throws(() => parseDuration('5 minutes', 'x'), ConfigError);
});

test('times for --from and --to', () => {
  const now = Date.parse('2026-01-01T10:00:00Z');
  assert.equal(parseTime('now', '--to', now), now);
  assert.equal(parseTime('now-15m', '--from', now), now - 15 * MIN);
  assert.equal(parseTime('2026-01-01T09:00:00Z', '--from', now), now - 60 * MIN);
  assert.equal(parseTime(String(now), '--from', now), now);
  assert.throws(() => parseTime('yesterday', '--from', now), /not a time/);
});

test('alert dedup keys and the Slack payload', () => {
  assert.equal(
    alertKey('m', null, 'x', 'numeric_drift', 'psi'),
    alertKey('m', null, 'x', 'numeric_drift', 'psi'),
  );
  assert.notEqual(
    alertKey('m', null, 'x', 'numeric_drift', 'psi'),
    alertKey('m', '2', 'x', 'numeric_drift', 'psi'),
  );
  const p = slackPayload({
    action: 'firing',
    alert: {
      key: 'k',
      model: 'churn',
      version: null,
      rule: 'numeric_drift',
      feature: 'age',
      metric: 'psi',
      status: 'firing',
      severity: 'critical',
      value: 0.31,
      threshold: 0.2,
      first_seen: 'a',
      last_seen: 'b',
    },
  });
  assert.equal(
    p.text,
    ':red_circle: [FIRING] churn · age · numeric_drift: psi = 0.31 (threshold 0.2, critical)',
  );
  assert.equal(p.blocks.length, 2);
});
