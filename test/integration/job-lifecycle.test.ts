import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@elastic/elasticsearch';
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
 * The alert lifecycle on the real node, with a local webhook receiver counting notifications exactly:
 * an empty window after a firing one keeps the alert (no resolve, no rate stored), a backfill run twice
 * notifies nothing twice and never moves last_seen backwards, and a run stopped in the middle (after a
 * window's alert states were saved, before its notifications went out) notifies once on restart.
 *
 * Six one-minute windows per model: clean, drifted, empty, empty, drifted, clean.
 */

const client = testClient();
const ns = uniqueNamespace('life');
const baselineIndex = uniqueName('mlmon-baselines-life');
const models = { empty: uniqueNamespace('lifee'), restart: uniqueNamespace('lifer') };
const T0 = Date.parse('2026-03-01T08:00:00Z');
const MIN = 60_000;
const WINDOWS = ['clean', 'drifted', 'empty', 'empty', 'drifted', 'clean'] as const;
let templates: string[] = [];
let hook: WebhookReceiver<Notification>;
const metricsNs: Record<keyof typeof models, string> = {
  empty: uniqueNamespace('lme'),
  restart: uniqueNamespace('lmr'),
};

let seed = 7;
const random = () => {
  seed = (Math.imul(seed ^ (seed >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
  return seed / 2 ** 32;
};
const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const CATS = ['a', 'b', 'c'];

function configOf(which: keyof typeof models): MlmonConfig {
  return {
    ...structuredClone(defaultConfig),
    index: dataStreamName(ns),
    baselineIndex,
    namespace: metricsNs[which],
    models: [{ name: models[which] }],
    window: { everyMs: MIN, delayMs: 0, maxCatchUp: 100 },
    notify: { webhook: { url: hook.url(`/${which}`), headers: {} } },
  };
}

const hooks = (which: keyof typeof models) =>
  hook.received.filter((r) => r.path === `/${which}`).map((r) => `${r.body.action} ${r.body.alert.feature}`);

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-life-'));
  const lines = ['x,c,score'];
  for (let i = 0; i < 3000; i++) lines.push(`${normal()},${CATS[i % 3]},${random()}`);
  writeFileSync(join(dir, 'train.csv'), `${lines.join('\n')}\n`);
  for (const model of Object.values(models))
    await saveBaseline(
      client,
      await profileFile({ file: join(dir, 'train.csv'), model, version: '1', predictionColumn: 'score' }),
      baselineIndex,
    );
  templates = await installPredictionTemplate(client, ns);
  hook = await startWebhookReceiver<Notification>();
  for (const model of Object.values(models)) {
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
    WINDOWS.forEach((kind, w) => {
      if (kind === 'empty') return;
      for (let i = 0; i < 300; i++)
        tr.logPrediction({
          features: { x: normal() + (kind === 'drifted' ? 2 : 0), c: CATS[i % 3] },
          prediction: random(),
          timestamp: T0 + w * MIN + i * 100,
        });
    });
    assert.equal(await tr.flush(60_000), true);
    await tr.shutdown();
  }
  await client.indices.refresh({ index: dataStreamName(ns) });
});

after(async () => {
  await hook.close();
  await cleanup(client, {
    indices: [baselineIndex],
    dataStreams: [
      dataStreamName(ns),
      ...Object.values(metricsNs).flatMap((m) => [metricsStream(m), alertsStream(m)]),
    ],
    indexTemplates: templates,
  });
  for (const model of Object.values(models)) await removeJobState(client, model);
  await client.close();
});

const range = (from: number, to: number) => ({ backfill: { from: T0 + from * MIN, to: T0 + to * MIN } });
const iso = (w: number) => new Date(T0 + w * MIN).toISOString();

async function xAlert(model: string) {
  return [...(await new JobState(client).alerts(model)).values()].find(
    (a) => a.feature === 'x' && a.rule === 'numeric_drift',
  );
}

test('an empty window after a firing one keeps the alert; a backfill run twice notifies nothing twice', async () => {
  const config = configOf('empty');
  const model = models.empty;
  await runOnce(client, config, range(0, 2));
  assert.deepEqual(hooks('empty'), ['firing x']);
  assert.equal((await xAlert(model))?.last_seen, iso(2));

  // two windows without documents: no data, the alert stays firing, nothing notified, no NA rate stored
  const empty = await runOnce(client, config, range(2, 4));
  assert.deepEqual(
    empty.windows.map((w) => w.docs),
    [0, 0],
  );
  for (const m of empty.metrics)
    for (const f of Object.values(m.features)) {
      assert.equal(f.status, 'no_data');
      assert.equal(f.na_rate, undefined);
    }
  assert.deepEqual(hooks('empty'), ['firing x']);
  const kept = await xAlert(model);
  assert.equal(kept?.status, 'firing');
  assert.equal(kept?.last_seen, iso(2));
  await client.indices.refresh({ index: metricsStream(metricsNs.empty) });
  const stored = await client.search<{ mlmon: { metric: Record<string, number> } }>({
    index: metricsStream(metricsNs.empty),
    size: 100,
    query: { term: { 'mlmon.window.docs': 0 } },
  });
  assert.ok(stored.hits.hits.length > 0);
  for (const h of stored.hits.hits) assert.equal(h._source?.mlmon.metric.na_rate, undefined);

  // drifted again (continuing: nothing new), then clean with evidence: resolved once
  await runOnce(client, config, range(4, 6));
  assert.deepEqual(hooks('empty'), ['firing x', 'resolved x']);
  const done = await xAlert(model);
  assert.equal(done?.status, 'resolved');
  assert.equal(done?.first_seen, iso(2));
  assert.equal(done?.last_seen, iso(6));

  // the whole range again, twice: every window was counted already, nothing notified or moved
  for (let i = 0; i < 2; i++) {
    const again = await runOnce(client, config, range(0, 6));
    assert.equal(again.windows.length, 6);
    assert.deepEqual(again.notifications, []);
  }
  assert.deepEqual(hooks('empty'), ['firing x', 'resolved x']);
  const same = await xAlert(model);
  assert.equal(same?.first_seen, iso(2));
  assert.equal(same?.last_seen, iso(6));
  await client.indices.refresh({ index: alertsStream(metricsNs.empty) });
  const events = await client.count({ index: alertsStream(metricsNs.empty) });
  assert.equal(events.count, 2);
});

/** The client, except that computing window `w` fails: the run stops there, as a killed job would. */
function stoppingAt(w: number): Client {
  const from = iso(w);
  return new Proxy(client, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop !== 'search') return typeof v === 'function' ? v.bind(target) : v;
      return (params: unknown, ...rest: unknown[]) => {
        if (JSON.stringify(params).includes(`"gte":"${from}"`)) throw new Error('stopped');
        return (v as (...a: unknown[]) => unknown).call(target, params, ...rest);
      };
    },
  });
}

test('a run stopped after a window fired but before it notified: the restart notifies once, and goes on', async () => {
  const config = configOf('restart');
  const model = models.restart;
  // the job starts at T0 (a checkpoint there), and stops while computing window 2
  await new JobState(client).saveCheckpoint(model, new Date(T0));
  await assert.rejects(runOnce(stoppingAt(2), config, { now: T0 + 6 * MIN }), /stopped/);
  assert.deepEqual(hooks('restart'), []);
  const pending = await xAlert(model);
  assert.deepEqual(pending?.pending, ['firing']);

  // restarted: the outbox goes out once, the windows from the checkpoint on are computed
  const r = await runOnce(client, config, { now: T0 + 6 * MIN });
  assert.deepEqual(
    r.windows.map((w) => w.from),
    [2, 3, 4, 5].map(iso),
  );
  assert.deepEqual(hooks('restart'), ['firing x', 'resolved x']);
  const done = await xAlert(model);
  assert.equal(done?.pending, undefined);
  assert.equal(done?.first_seen, iso(2));
  assert.equal(done?.last_seen, iso(6));

  // and once more at the same time: nothing to do, nothing sent
  await runOnce(client, config, { now: T0 + 6 * MIN });
  assert.deepEqual(hooks('restart'), ['firing x', 'resolved x']);
});
