import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/mlmon-config.js';
import { ConfigError } from '../../src/contract/errors.js';
import { MetricsExporter } from '../../src/job/exporter.js';
import { labelsIndexFor } from '../../src/metrics/label-join.js';
import {
  type LabeledPrediction,
  percentileSorted,
  performanceOf,
  rocAuc,
} from '../../src/metrics/performance.js';
import type { WindowMetrics } from '../../src/metrics/window.js';
import { labelDocumentId, toLabelDocument } from '../../src/transport/label.js';
import { decodeSpillLine, encodeSpillLine } from '../../src/transport/spill-line.js';

const opts = { namespace: 'prod', defaults: { model: 'churn', version: '3' }, now: Date.UTC(2026, 0, 2) };

test('a label document: typed value, the defaults, the time; refusals named, never thrown', () => {
  const doc = toLabelDocument({ id: 'p1', label: 1, timestamp: '2026-01-01T00:00:00Z' }, opts);
  assert.ok(typeof doc === 'object');
  assert.equal(doc['@timestamp'], '2026-01-01T00:00:00.000Z');
  assert.deepEqual(doc.mlmon.label, { num: 1, cat: '1', logged_at: '2026-01-02T00:00:00.000Z' });
  assert.deepEqual(doc.mlmon.model, { name: 'churn', version: '3' });
  assert.equal(doc.data_stream.dataset, 'mlmon.labels');
  const bool = toLabelDocument({ id: 'p1', label: true, model: 'fraud' }, opts);
  assert.ok(typeof bool === 'object');
  assert.deepEqual(bool.mlmon.label, { bool: true, cat: 'true', logged_at: '2026-01-02T00:00:00.000Z' });
  assert.equal(bool['@timestamp'], '2026-01-02T00:00:00.000Z', 'default: when it was logged');
  assert.equal(toLabelDocument({ label: 1 }, opts), 'missing_id');
  assert.equal(toLabelDocument({ id: '', label: 1 }, opts), 'missing_id');
  assert.equal(toLabelDocument({ id: 'p', label: Number.NaN }, opts), 'unsupported_label');
  assert.equal(toLabelDocument({ id: 'p', label: { a: 1 } }, opts), 'unsupported_label');
  assert.equal(toLabelDocument({ id: 'p', label: 'x', timestamp: 'soon' }, opts), 'invalid_timestamp');
  for (const junk of [null, undefined, 42, 'x', [], Symbol('s')])
    assert.equal(typeof toLabelDocument(junk, opts), 'string');
});

test('the label _id: one per model, prediction, value and time (a resend counts once, a correction is another)', () => {
  const at = '2026-01-01T00:00:00Z';
  const id = (l: object, now = opts.now) => {
    const doc = toLabelDocument(l, { ...opts, now });
    assert.ok(typeof doc === 'object');
    return labelDocumentId(doc);
  };
  const base = id({ id: 'p1', label: 'yes', timestamp: at });
  assert.match(base, /^[0-9a-f]{64}$/);
  assert.equal(id({ id: 'p1', label: 'yes', timestamp: at }, opts.now + 5000), base, 'logged again later');
  assert.notEqual(id({ id: 'p1', label: 'no', timestamp: at }), base);
  assert.notEqual(id({ id: 'p1', label: 'yes', timestamp: '2026-01-01T00:00:01Z' }), base);
  assert.notEqual(id({ id: 'p2', label: 'yes', timestamp: at }), base);
  assert.notEqual(id({ id: 'p1', label: 'yes', timestamp: at, model: 'other' }), base);
  // the number 1 and the text "1" (a CSV cell) are the same label; "1.50" is another class of the same number
  assert.equal(id({ id: 'p1', label: 1, timestamp: at }), id({ id: 'p1', label: '1', timestamp: at }));
  assert.notEqual(
    id({ id: 'p1', label: 1.5, timestamp: at }),
    id({ id: 'p1', label: '1.50', timestamp: at }),
  );
  const text = toLabelDocument({ id: 'p', label: '1.50' }, opts);
  assert.ok(typeof text === 'object');
  assert.equal(text.mlmon.label.num, 1.5);
  assert.equal(text.mlmon.label.cat, '1.50');
  const word = toLabelDocument({ id: 'p', label: '1.5 kg' }, opts);
  assert.ok(typeof word === 'object');
  assert.equal(word.mlmon.label.num, undefined);
});

test('a label survives the disk buffer as its own record kind', () => {
  const line = encodeSpillLine('l', 'a'.repeat(64), '{"x":1}');
  assert.deepEqual(decodeSpillLine(line.slice(0, -1)), {
    ok: true,
    kind: 'l',
    id: 'a'.repeat(64),
    json: '{"x":1}',
  });
});

test('labels are read from the predictions index namespace', () => {
  assert.equal(labelsIndexFor('logs-mlmon.predictions-prod'), 'logs-mlmon.labels-prod');
  assert.equal(labelsIndexFor('logs-mlmon.predictions-*'), 'logs-mlmon.labels-*');
  assert.equal(
    labelsIndexFor('logs-mlmon.predictions-a,logs-mlmon.predictions-b'),
    'logs-mlmon.labels-a,logs-mlmon.labels-b',
  );
});

const cls = (t: string, p: string, score?: number): LabeledPrediction => ({
  truth: { cat: t },
  predicted: score === undefined ? { cat: p } : { cat: p, num: score },
  delayMs: 0,
});

test('classification by hand: a class never predicted has precision 0, not NaN; one true class has no AUC', () => {
  const rows = [cls('a', 'a'), cls('a', 'b'), cls('b', 'b'), cls('c', 'b')];
  const p = performanceOf(rows, { predictions: 8, unknownLabels: 2 });
  assert.equal(p.task, 'classification');
  assert.equal(p.coverage, 0.5);
  assert.equal(p.accuracy, 0.5);
  assert.deepEqual(p.confusion_matrix, {
    labels: ['a', 'b', 'c'],
    matrix: [
      [1, 1, 0],
      [0, 1, 0],
      [0, 1, 0],
    ],
  });
  assert.deepEqual(p.per_class?.c, { precision: 0, recall: 0, f1: 0, support: 1 });
  assert.equal(p.per_class?.b?.precision, 1 / 3);
  assert.equal(p.precision, (1 + 1 / 3 + 0) / 3);
  assert.equal(p.roc_auc, undefined, 'three classes');
  const one = performanceOf([cls('a', 'a', 0.9), cls('a', 'b', 0.2)], { predictions: 2, unknownLabels: 0 });
  assert.equal(one.roc_auc, undefined);
  assert.equal(one.log_loss, undefined);
});

test('ROC AUC: ties at their mean rank; perfect and reversed rankings', () => {
  assert.equal(rocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 0.75);
  assert.equal(rocAuc([0.5, 0.5], [false, true]), 0.5);
  assert.equal(rocAuc([0.1, 0.9], [false, true]), 1);
  assert.equal(rocAuc([0.9, 0.1], [false, true]), 0);
  assert.equal(rocAuc([0.9, 0.1], [true, true]), undefined);
  // a score of 0 or 1 is clipped in the log loss (scikit-learn's eps), never infinite
  const p = performanceOf([cls('no', 'no', 1), cls('yes', 'yes', 1)], { predictions: 2, unknownLabels: 0 });
  assert.ok(Number.isFinite(p.log_loss as number) && (p.log_loss as number) > 10);
});

test('regression: MAPE leaves out a zero truth and says so; a constant truth has no R²', () => {
  const reg = (y: number, yhat: number): LabeledPrediction => ({
    truth: { num: y },
    predicted: { num: yhat },
    delayMs: y,
  });
  const p = performanceOf([reg(0, 1), reg(2, 3), reg(4, 2)], { predictions: 3, unknownLabels: 0 });
  assert.equal(p.task, 'regression');
  assert.equal(p.mape, (1 / 2 + 2 / 4) / 2);
  assert.equal(p.mape_excluded, 1);
  assert.equal(p.mae, 4 / 3);
  assert.equal(p.mean_error, 0);
  assert.equal(p.rmse, Math.sqrt(6 / 3));
  assert.equal(p.r2, 1 - 6 / 8);
  const constant = performanceOf([reg(2, 3), reg(2, 1)], {
    predictions: 4,
    unknownLabels: 0,
    task: 'regression',
  });
  assert.equal(constant.r2, undefined);
  assert.equal(constant.coverage, 0.5);
});

test('numpy percentiles (linear); no labels, no delays', () => {
  assert.equal(percentileSorted([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(percentileSorted([10], 0.99), 10);
  assert.equal(percentileSorted([0, 10], 0.9), 9);
  const none = performanceOf([], { predictions: 0, unknownLabels: 3 });
  assert.equal(none.coverage, undefined);
  assert.equal(none.label_delay_ms, undefined);
  assert.equal(none.unknown_labels, 3);
});

test('mlmon.yml labels.lookback: 14 days by default, a duration, 0 for never, nothing else', () => {
  assert.equal(parseConfig('').labels.lookbackMs, 14 * 24 * 3_600_000);
  assert.equal(parseConfig('labels: { lookback: 7d }').labels.lookbackMs, 7 * 24 * 3_600_000);
  assert.equal(parseConfig('labels: { lookback: 0 }').labels.lookbackMs, 0);
  assert.throws(
    () => parseConfig('labels: { lookbak: 7d }'),
    (e: unknown) => e instanceof ConfigError && e.option === 'labels.lookbak',
  );
  assert.throws(() => parseConfig('labels: { lookback: soon }'), ConfigError);
});

test('Prometheus: the performance numbers as mlmon_feature_metric{feature="(performance)"}', async () => {
  const exporter = new MetricsExporter();
  const performance = performanceOf([cls('a', 'a'), cls('b', 'a')], { predictions: 4, unknownLabels: 1 });
  const m = {
    model: 'churn',
    version: null,
    baseline: 'churn@1',
    window: { from: '2026-01-01T00:00:00.000Z', to: '2026-01-01T00:05:00.000Z' },
    docs: 4,
    features: {},
    versions: [],
    latency_ms: { p50: null, p95: null, p99: null },
    ignored_fields: [],
    alerts: [],
    level: 0.01,
    cleared: [],
    performance,
  } satisfies WindowMetrics;
  exporter.update(m, new Map());
  const text = await exporter.registry.metrics();
  assert.match(
    text,
    /mlmon_feature_metric\{model="churn",version="all",feature="\(performance\)",metric="accuracy"\} 0\.5/,
  );
  assert.match(text, /metric="coverage"\} 0\.5/);
  assert.match(text, /metric="unknown_labels"\} 1/);
  assert.match(text, /metric="label_delay_ms_p99"\} 0/);
});
