import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { LABEL_FIELDS } from '../../src/contract/document-fields.js';
import { labelsStream, predictionsStream } from '../../src/contract/streams.js';
import type { Performance } from '../../src/metrics/performance.js';
import { windowPerformance } from '../../src/metrics/window.js';
import { MlInputTransport } from '../../src/transport/ml-input-transport.js';
import { cleanup, testClient, uniqueNamespace } from '../helpers/cluster.js';
import { installLabelsTemplate, installPredictionTemplate } from '../helpers/templates.js';

/**
 * Known-truth late labels on the real node (test/fixtures/performance-golden.json, written by
 * scripts/golden/performance_golden.py from vega-datasets with scikit-learn): labels for a subset of
 * the window's predictions, out of order, some twice, some corrected, some logged before any
 * prediction, some for unknown ids, some for predictions of another window. Every metric equals
 * scikit-learn's to 1e-9; coverage and the unknown ids exactly.
 */
interface Scenario {
  model: string;
  kind: string;
  predictions: { id: string; at: number; prediction: unknown }[];
  events: { id: string; label: string | number; at: number; early: boolean }[];
  expected: Record<string, unknown>;
}
const golden = JSON.parse(
  readFileSync(new URL('../fixtures/performance-golden.json', import.meta.url), 'utf8'),
) as { window_ms: number; scenarios: Scenario[] };

const client = testClient();
const namespace = uniqueNamespace('lp');
const templates: string[] = [];
// a fixed past hour: the window the job would compute
const T0 = Date.UTC(2026, 0, 5, 10);
const from = new Date(T0);
const to = new Date(T0 + golden.window_ms);

const near = (actual: unknown, expected: number, what: string) => {
  assert.equal(typeof actual, 'number', `${what} is missing`);
  const a = actual as number;
  assert.ok(Math.abs(a - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${a} != ${expected}`);
};

before(async () => {
  templates.push(...(await installPredictionTemplate(client, namespace)));
  templates.push(await installLabelsTemplate(client, namespace));
  const transport = new MlInputTransport({ client, namespace, spillDir: false, checkTemplate: false });
  const label = (s: Scenario, e: Scenario['events'][number]) =>
    transport.logLabel({ id: e.id, label: e.label, model: s.model, timestamp: T0 + e.at });
  // labels that arrive before their prediction is logged, then the predictions, then the rest
  for (const s of golden.scenarios) for (const e of s.events) if (e.early) label(s, e);
  assert.equal(await transport.flush(60_000), true);
  for (const s of golden.scenarios)
    for (const p of s.predictions)
      transport.logPrediction({
        model: s.model,
        version: '1',
        id: p.id,
        timestamp: T0 + p.at,
        features: { x: 1 },
        prediction: p.prediction,
      });
  assert.equal(await transport.flush(60_000), true);
  for (const s of golden.scenarios) for (const e of s.events) if (!e.early) label(s, e);
  assert.equal(await transport.flush(60_000), true);
  const stats = transport.stats();
  assert.equal(
    stats.labels,
    golden.scenarios.reduce((n, s) => n + s.events.length, 0),
  );
  assert.equal(stats.failed, 0);
  assert.equal(stats.deadLettered, 0);
  await transport.shutdown({ timeoutMs: 10_000 });
  await client.indices.refresh({ index: [predictionsStream(namespace), labelsStream(namespace)] });
});

after(async () => {
  await cleanup(client, {
    dataStreams: [predictionsStream(namespace), labelsStream(namespace)],
    indexTemplates: templates,
  });
});

for (const s of golden.scenarios) {
  test(`${s.model} (${s.kind}): realized performance equals scikit-learn's`, async () => {
    const index = predictionsStream(namespace);
    const count = await client.count({
      index,
      query: {
        bool: {
          filter: [
            { term: { 'mlmon.model.name': s.model } },
            { range: { '@timestamp': { gte: from.toISOString(), lt: to.toISOString() } } },
          ],
        },
      },
    });
    const e = s.expected;
    assert.equal(count.count, e.predictions);
    const perf = (await windowPerformance(
      client,
      { model: s.model, from, to, index },
      count.count,
      undefined,
    )) as Performance;
    assert.ok(perf, 'no performance');
    assert.equal(perf.task, e.task);
    assert.equal(perf.labeled, e.labeled);
    assert.equal(perf.predictions, e.predictions);
    assert.equal(perf.coverage, e.coverage);
    assert.equal(perf.unknown_labels, e.unknown_labels);
    const delays = e.label_delay_ms as Record<string, number>;
    for (const q of ['p50', 'p90', 'p99'] as const)
      near(perf.label_delay_ms?.[q], delays[q] as number, `label_delay_ms.${q}`);
    const numbers = [
      'accuracy',
      'precision',
      'recall',
      'f1',
      'roc_auc',
      'log_loss',
      'mae',
      'rmse',
      'mape',
      'mean_error',
      'r2',
    ] as const;
    for (const k of numbers)
      if (e[k] !== undefined) near(perf[k], e[k] as number, k);
      else assert.equal(perf[k], undefined, `${k} should be absent`);
    if (e.task === 'classification') {
      assert.deepEqual(perf.confusion_matrix, e.confusion_matrix);
      const perClass = e.per_class as Record<string, Record<string, number>>;
      assert.deepEqual(Object.keys(perf.per_class ?? {}), Object.keys(perClass));
      for (const [c, m] of Object.entries(perClass))
        for (const k of ['precision', 'recall', 'f1', 'support'] as const)
          near(perf.per_class?.[c]?.[k], m[k] as number, `${c}.${k}`);
      assert.equal(perf.positive_class, e.positive_class);
    } else assert.equal(perf.mape_excluded, e.mape_excluded);
  });
}

test('a label sent twice is stored once; a resend at another time and a correction are kept beside it', async () => {
  for (const s of golden.scenarios) {
    const distinct = new Set(s.events.map((e) => `${e.id}\u0000${e.label}\u0000${e.at}`));
    const stored = await client.count({
      index: labelsStream(namespace),
      query: { term: { [LABEL_FIELDS.model]: s.model } },
    });
    assert.ok(distinct.size < s.events.length, 'the fixture sends some labels twice');
    assert.equal(stored.count, distinct.size);
  }
});
