import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { saveBaseline } from '../../src/baseline/baseline-writer.js';
import { profileFile } from '../../src/baseline/profiler.js';
import { defaultConfig, type MlmonConfig } from '../../src/config/mlmon-config.js';
import { alertsStream, metricsStream } from '../../src/contract/streams.js';
import type { Notification } from '../../src/job/notify.js';
import { runOnce } from '../../src/job/runner.js';
import { JobState } from '../../src/job/state.js';
import { dataStreamName } from '../../src/transport/document.js';
import { MlInputTransport } from '../../src/transport/ml-input-transport.js';
import { cleanup, testClient, uniqueName, uniqueNamespace } from '../helpers/cluster.js';
import { removeJobState, startWebhookReceiver, type WebhookReceiver } from '../helpers/job-fixtures.js';
import { installPredictionTemplate } from '../helpers/templates.js';

/**
 * The volume_drop rule on the real node, with a local webhook receiver counting notifications: traffic
 * of 200 predictions a minute stops (two empty windows), comes back at a tenth, then in full. The job
 * reads the recent windows' counts from its own metric documents (a second run starts from them), so
 * the stop fires once (critical), the collapse continues it without a notification, traffic back
 * resolves it once, and computing every window again sends nothing.
 */

const client = testClient();
const ns = uniqueNamespace('vol');
const metricsNs = uniqueNamespace('volm');
const baselineIndex = uniqueName('mlmon-baselines-vol');
const model = uniqueNamespace('volmodel');
const T0 = Date.parse('2026-04-01T08:00:00Z');
const MIN = 60_000;
/** predictions per one-minute window */
const TRAFFIC = [200, 200, 200, 200, 200, 0, 0, 20, 200, 200];
let templates: string[] = [];
let hook: WebhookReceiver<Notification>;
const received = () => hook.received.map((r) => r.body);

let seed = 11;
const random = () => {
  seed = (Math.imul(seed ^ (seed >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
  return seed / 2 ** 32;
};
const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const CATS = ['a', 'b', 'c'];
let config: MlmonConfig;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-vol-'));
  const lines = ['x,c'];
  for (let i = 0; i < 3000; i++) lines.push(`${normal()},${CATS[i % 3]}`);
  writeFileSync(join(dir, 'train.csv'), `${lines.join('\n')}\n`);
  await saveBaseline(
    client,
    await profileFile({ file: join(dir, 'train.csv'), model, version: '1' }),
    baselineIndex,
  );
  templates = await installPredictionTemplate(client, ns);
  hook = await startWebhookReceiver<Notification>();
  config = {
    ...structuredClone(defaultConfig),
    index: dataStreamName(ns),
    baselineIndex,
    namespace: metricsNs,
    models: [{ name: model }],
    window: { everyMs: MIN, delayMs: 0, maxCatchUp: 100 },
    notify: { webhook: { url: hook.url('/hook'), headers: {} } },
  };
  const tr = new MlInputTransport({
    client,
    namespace: ns,
    model,
    version: '1',
    baselineIndex,
    spillDir: false,
    checkTemplate: false,
  });
  await tr.baselineReady();
  TRAFFIC.forEach((n, w) => {
    for (let i = 0; i < n; i++)
      tr.logPrediction({ features: { x: normal(), c: CATS[i % 3] }, timestamp: T0 + w * MIN + i * 250 });
  });
  assert.equal(await tr.flush(60_000), true);
  await tr.shutdown();
  await client.indices.refresh({ index: dataStreamName(ns) });
});

after(async () => {
  await hook.close();
  await cleanup(client, {
    indices: [baselineIndex],
    dataStreams: [dataStreamName(ns), metricsStream(metricsNs), alertsStream(metricsNs)],
    indexTemplates: templates,
  });
  await removeJobState(client, model);
  await client.close();
});

const range = (from: number, to: number) => ({ backfill: { from: T0 + from * MIN, to: T0 + to * MIN } });
const iso = (w: number) => new Date(T0 + w * MIN).toISOString();
const hooks = () =>
  received().map((n) => `${n.action} ${n.alert.rule} ${n.alert.feature} ${n.alert.severity}`);

test('traffic that stops fires volume_drop once, a collapse continues it, traffic back resolves it once', async () => {
  // the first six windows in one run: the history is the windows computed before (in the run)
  const first = await runOnce(client, config, range(0, 6));
  assert.deepEqual(
    first.windows.map((w) => w.docs),
    TRAFFIC.slice(0, 6),
  );
  // no history yet (fewer than 4 windows) for the first four; the fifth judges against four of 200
  assert.deepEqual(
    first.metrics.map((m) => m.volume?.ratio),
    [undefined, undefined, undefined, undefined, 1, 0],
  );
  assert.deepEqual(hooks(), ['firing volume_drop (all) critical']);
  const states = await new JobState(client).alerts(model);
  const stopped = [...states.values()].find((a) => a.rule === 'volume_drop');
  assert.equal(stopped?.status, 'firing');
  assert.equal(stopped?.metric, 'docs_ratio');
  assert.equal(stopped?.value, 0);
  assert.equal(stopped?.threshold, 0.2);
  assert.equal(stopped?.first_seen, iso(6));

  // what the watch reads: the share and the median in the empty window's metric documents
  await client.indices.refresh({ index: metricsStream(metricsNs) });
  const stored = await client.search<{
    mlmon: { window: { docs_ratio?: number; recent_docs_median?: number } };
  }>({
    index: metricsStream(metricsNs),
    size: 10,
    query: { term: { 'mlmon.window.from': iso(5) } },
  });
  assert.ok(stored.hits.hits.length > 0);
  for (const h of stored.hits.hits) {
    assert.equal(h._source?.mlmon.window.docs_ratio, 0);
    assert.equal(h._source?.mlmon.window.recent_docs_median, 200);
  }

  // a second run: its history comes from the stored metric documents (200 x5 and the empty window)
  const second = await runOnce(client, config, range(6, 10));
  assert.deepEqual(
    second.metrics.map((m) => [m.docs, m.volume?.recent_median, m.volume?.ratio]),
    [
      [0, 200, 0],
      [20, 200, 0.1],
      [200, 200, 1],
      [200, 200, 1],
    ],
  );
  // still empty, then a tenth of the traffic (a warning now, not news), then back: resolved once
  assert.deepEqual(hooks(), ['firing volume_drop (all) critical', 'resolved volume_drop (all) warn']);
  const resolved = [...(await new JobState(client).alerts(model)).values()].find(
    (a) => a.rule === 'volume_drop',
  );
  assert.equal(resolved?.status, 'resolved');
  assert.equal(resolved?.first_seen, iso(6));
  assert.equal(resolved?.last_seen, iso(9));

  // every window again: counted already, nothing sent
  const again = await runOnce(client, config, range(0, 10));
  assert.deepEqual(again.notifications, []);
  assert.equal(received().length, 2);
});
