/**
 * Real data for the chart tests: a baseline, six one-minute windows of predictions logged through the
 * transport (a numeric drift, NA, unseen categories, out-of-vocabulary text, a second model version),
 * the monitoring job's metric and alert documents for them, and dead letters. Everything lives in
 * unique namespaces, under a unique model name.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { saveBaseline } from '../../src/baseline/baseline-writer.js';
import { profileFile } from '../../src/baseline/profiler.js';
import { defaultConfig, type MlmonConfig } from '../../src/config/mlmon-config.js';
import { alertsStream, JOB_STATE_INDEX, metricsStream } from '../../src/contract/streams.js';
import { type RunReport, runOnce } from '../../src/job/runner.js';
import { dataStreamName } from '../../src/transport/document.js';
import { MlInputTransport } from '../../src/transport/ml-input-transport.js';
import { cleanup, uniqueName, uniqueNamespace } from './cluster.js';
import { installPredictionTemplate } from './templates.js';

export const MIN = 60_000;
export const WINDOWS = 6;
export const PER_WINDOW = 200;

export interface DashboardData {
  model: string;
  /** predictions */
  ns: string;
  /** metric and alert documents */
  metricsNs: string;
  /** dead letters */
  deadLetterNs: string;
  deadLetters: number;
  /** the first window's start; windows are [T0 + k min, T0 + (k + 1) min) */
  t0: number;
  /** predictions per window and version */
  versions: Record<string, number>[];
  /** the numeric prediction of each document, per window */
  scores: number[][];
  report: RunReport;
  config: MlmonConfig;
  dispose(): Promise<void>;
}

const ENGLISH = ['the', 'order', 'arrived', 'late', 'box', 'was', 'damaged', 'great', 'service', 'thanks'];
const GERMAN = ['die', 'bestellung', 'kam', 'spät', 'karton', 'war', 'beschädigt', 'danke'];

export async function createDashboardData(client: Client, t0: number): Promise<DashboardData> {
  let seed = 4242;
  const random = () => {
    seed = (Math.imul(seed ^ (seed >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
    return seed / 2 ** 32;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const words = (from: string[]) =>
    Array.from({ length: 5 + Math.floor(random() * 4) }, () => from[Math.floor(random() * from.length)]).join(
      ' ',
    );
  const CATS = ['a', 'b', 'c'];

  const model = uniqueName('dash').replaceAll('-', '_');
  const baselineIndex = uniqueName('mlmon-baselines-dash');
  const ns = uniqueNamespace('dash');
  const metricsNs = uniqueNamespace('dashm');
  const deadLetterNs = uniqueNamespace('dashdl');

  const dir = mkdtempSync(join(tmpdir(), 'mlmon-dash-'));
  const lines = ['x,c,t,score'];
  for (let i = 0; i < 3000; i++) lines.push(`${normal()},${CATS[i % 3]},${words(ENGLISH)},${random()}`);
  writeFileSync(join(dir, 'train.csv'), `${lines.join('\n')}\n`);
  const baseline = await profileFile({
    file: join(dir, 'train.csv'),
    model,
    version: '1',
    predictionColumn: 'score',
  });
  assert.equal(baseline.features.t?.type, 'text');
  await saveBaseline(client, baseline, baselineIndex);
  const templates = await installPredictionTemplate(client, ns);

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
  const versions: Record<string, number>[] = [];
  const scores: number[][] = [];
  for (let w = 0; w < WINDOWS; w++) {
    const mix: Record<string, number> = {};
    scores.push([]);
    for (let i = 0; i < PER_WINDOW; i++) {
      // window 1: x missing in every fourth; windows 2-3: x shifted; window 4: unseen categories;
      // window 5: German text; windows 3-5: every other prediction from version 2
      const x = w === 1 && i % 4 === 0 ? null : normal() + (w === 2 || w === 3 ? 2 : 0);
      const c = w === 4 && i % 5 === 0 ? `new${i % 3}` : CATS[i % 3];
      const t = words(w === 5 ? GERMAN : ENGLISH);
      const version = w >= 3 && i % 2 === 1 ? '2' : '1';
      mix[version] = (mix[version] ?? 0) + 1;
      const score = random();
      scores[w]?.push(score);
      tr.logPrediction({
        version,
        features: { x, c, t },
        prediction: { label: score > 0.5 ? 'yes' : 'no', score },
        latencyMs: 10 + (i % 10) + w * 5,
        timestamp: t0 + w * MIN + i * 250,
      });
    }
    versions.push(mix);
  }
  assert.equal(await tr.flush(60_000), true);
  await tr.shutdown();
  await client.indices.refresh({ index: dataStreamName(ns) });

  const config: MlmonConfig = {
    ...structuredClone(defaultConfig),
    index: dataStreamName(ns),
    baselineIndex,
    namespace: metricsNs,
    models: [{ name: model }],
    window: { everyMs: MIN, delayMs: 0, maxCatchUp: 100 },
  };
  const report = await runOnce(client, config, {
    now: t0 + WINDOWS * MIN,
    backfill: { from: t0, to: t0 + WINDOWS * MIN },
  });
  await client.indices.refresh({ index: [metricsStream(metricsNs), alertsStream(metricsNs)] });

  // dead letters: a user's mapping says `code` is a number; the model sends text
  const dlTemplates = await installPredictionTemplate(client, deadLetterNs, {
    mlmon: {
      properties: {
        features: {
          properties: { cat: { type: 'object', subobjects: false, properties: { code: { type: 'long' } } } },
        },
      },
    },
  });
  const bad = new MlInputTransport({
    client,
    namespace: deadLetterNs,
    // another model name, so that its one stored prediction never counts in the charts' model filter
    model: `${model}_dl`,
    spillDir: false,
    checkTemplate: false,
  });
  const deadLetters = 3;
  for (let i = 0; i < deadLetters; i++) bad.logPrediction({ features: { code: `X-${i}` } });
  bad.logPrediction({ features: { code: '7' } });
  assert.equal(await bad.flush(60_000), true);
  await bad.shutdown();
  assert.equal(bad.stats().deadLettered, deadLetters);
  await client.indices.refresh({ index: `logs-mlmon.dead_letters-${deadLetterNs}` });

  return {
    model,
    ns,
    metricsNs,
    deadLetterNs,
    deadLetters,
    t0,
    versions,
    scores,
    report,
    config,
    async dispose() {
      await cleanup(client, {
        indices: [baselineIndex],
        dataStreams: [
          dataStreamName(ns),
          dataStreamName(deadLetterNs),
          `logs-mlmon.dead_letters-${deadLetterNs}`,
          metricsStream(metricsNs),
          alertsStream(metricsNs),
        ],
        indexTemplates: [...templates, ...dlTemplates],
      });
      const states = await client.search(
        { index: JOB_STATE_INDEX, size: 1000, query: { term: { model } } },
        { ignore: [404] },
      );
      for (const h of states.hits?.hits ?? [])
        await client.delete({ index: JOB_STATE_INDEX, id: h._id as string });
    },
  };
}
