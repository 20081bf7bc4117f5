/**
 * `mlmon doctor`'s watch lines (src/doctor/watch-check.ts). The test node has no Watcher, so the execute
 * API is the stand-in of test/helpers/fake-watcher.ts, which follows RestExecuteWatchAction.java for
 * the request and the watch record, evaluates conditions by Watcher's documented semantics and runs
 * each action's Painless transform for real on the ingest engine. Every rendered watch must fire on
 * a metric document at its threshold and stay quiet on none; a hand-broken transform, a raised
 * threshold and an always-true condition each turn their line red with the fix.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { watchChecks } from '../../src/doctor/watch-check.js';
import { defaultRules } from '../../src/rules/rule-table.js';
import type { SetupPlan } from '../../src/setup/setup-plan.js';
import { renderWatches } from '../../src/setup/watches.js';
import { ingestEngine, uniqueNamespace } from '../helpers/cluster.js';
import { fakeWatcher } from '../helpers/fake-watcher.js';

const namespace = uniqueNamespace('dw');
type Body = Record<string, unknown>;

function planOf(watches: Map<string, Body>, watcher = true): SetupPlan {
  // the two parts of a plan the watch lines read: the capability and the installed watches
  return {
    capabilities: { watcher },
    entries: [...watches].map(([name, body]) => ({
      kind: 'watch',
      name,
      action: 'unchanged',
      asset: { kind: 'watch', name, version: 1, body },
    })),
  } as unknown as SetupPlan;
}

function rendered(): Map<string, Body> {
  const watches = renderWatches({
    namespace,
    rules: { ...defaultRules, minVolume: 100 },
    webhookUrl: 'http://127.0.0.1:9/hook',
  });
  return new Map(watches.map((w) => [w.id, structuredClone(w.body) as unknown as Body]));
}

test('every rendered watch fires on a metric document at its threshold, its transforms run, and it stays quiet on none', async () => {
  const { request: painless } = await ingestEngine();
  const watches = rendered();
  assert.ok(watches.size >= 7, `families: ${[...watches.keys()].join(', ')}`);
  const checks = await watchChecks(fakeWatcher(watches, painless), planOf(watches));
  assert.equal(checks.length, watches.size);
  for (const c of checks) {
    assert.equal(c.status, 'pass', `${c.name}: ${c.detail}`);
    assert.match(c.detail, /actions simulated: index_alerts, notify_webhook, log/);
  }
});

test('a broken transform, a raised threshold and an always-true condition each fail with the fix', async () => {
  const { request: painless } = await ingestEngine();
  const watches = rendered();
  const ids = [...watches.keys()];
  const [a, b, c] = ids as [string, string, string];
  // a: a hand edit that breaks the alert-docs script (a field that does not exist on the metric document)
  const script = (
    watches.get(a) as { actions: { index_alerts: { transform: { script: { source: string } } } } }
  ).actions.index_alerts.transform.script;
  script.source = script.source.replace('m.model.name', 'm.model.name.bogus()');
  // b: the condition's threshold raised by hand far past the critical value the alerts use
  const condB = JSON.stringify((watches.get(b) as Body).condition).replace(/"value":[\d.]+/, '"value":1e9');
  (watches.get(b) as Body).condition = JSON.parse(condB);
  // c: a condition that is always met
  (watches.get(c) as Body).condition = { always: {} };

  const checks = await watchChecks(fakeWatcher(watches, painless), planOf(watches));
  const by = new Map(checks.map((x) => [x.name, x]));
  const ca = by.get(`watch ${a}`);
  assert.equal(ca?.status, 'fail');
  assert.match(ca?.detail ?? '', /actions that did not run in simulation: index_alerts failure/);
  assert.match(ca?.fix ?? '', /mlmon setup/);
  assert.equal(by.get(`watch ${b}`)?.status, 'fail');
  assert.match(by.get(`watch ${b}`)?.detail ?? '', /did not meet the condition \(state execution_not_needed/);
  assert.equal(by.get(`watch ${c}`)?.status, 'fail');
  assert.match(by.get(`watch ${c}`)?.detail ?? '', /an empty payload met the condition/);
  // the others still pass
  assert.equal(checks.filter((x) => x.status === 'pass').length, watches.size - 3);
});

test('no Watcher, or no watch installed unchanged: one line, skipped with the reason', async () => {
  const { request: painless } = await ingestEngine();
  const watches = rendered();
  const none = await watchChecks(fakeWatcher(watches, painless), planOf(watches, false));
  assert.deepEqual(
    none.map((c) => [c.name, c.status]),
    [['watch execution', 'skip']],
  );
  assert.match(none[0]?.detail ?? '', /no Watcher/);
  const stale = planOf(watches);
  for (const e of stale.entries) e.action = 'update';
  const skipped = await watchChecks(fakeWatcher(watches, painless), stale);
  assert.equal(skipped[0]?.status, 'skip');
  assert.match(skipped[0]?.detail ?? '', /run `mlmon setup` first/);
});
