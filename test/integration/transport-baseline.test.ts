import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { saveBaseline } from '../../src/baseline/baseline-writer.js';
import { profileFile } from '../../src/baseline/profiler.js';
import { loadSchema } from '../../src/baseline/schema.js';
import { tokenize } from '../../src/contract/tokenizer.js';
import { computeWindow } from '../../src/metrics/window.js';
import { defaultRules } from '../../src/rules/rule-table.js';
import { dataStreamName, type PredictionDocument } from '../../src/transport/document.js';
import { MlInputTransport } from '../../src/transport/ml-input-transport.js';
import { cleanup, testClient, uniqueName, uniqueNamespace } from '../helpers/cluster.js';
import { installPredictionTemplate } from '../helpers/templates.js';

const client = testClient();
const fixtures = new URL('../fixtures/baseline/', import.meta.url).pathname;
after(() => client.close());

test('with a stored baseline, documents carry absent features, token and OOV counts, and the baseline id', async (t) => {
  const index = uniqueName('mlmon-baselines-tr');
  const namespace = uniqueNamespace();
  const templates = await installPredictionTemplate(client, namespace);
  t.after(() =>
    cleanup(client, {
      indices: [index],
      dataStreams: [dataStreamName(namespace)],
      indexTemplates: templates,
    }),
  );
  const baseline = await profileFile({
    file: `${fixtures}train.csv`,
    model: 'churn',
    version: '1',
    schema: loadSchema(`${fixtures}schema.yml`),
  });
  await saveBaseline(client, baseline, index);
  const vocabulary = new Set(Object.keys(baseline.features.comment?.text?.vocabulary ?? {}));

  const tr = new MlInputTransport({
    client,
    namespace,
    model: 'churn',
    version: '1',
    baselineIndex: index,
    spillDir: false,
  });
  assert.equal(await tr.baselineReady(), 'churn@1');
  const comment = 'The service was GREAT, but the zebra-quantum app crashed again!';
  tr.logPrediction({
    id: 'p1',
    features: { age: 30, plan: 'gold', comment, active: true, income: 'lots' },
    prediction: 0.4,
  });
  // version 7 has no baseline of its own: the model's newest is used; a document logged before its
  // lookup settled is held until it does, and derived as the baseline says
  tr.logPrediction({ id: 'p0', version: '7', features: { age: 1 } });
  assert.equal(await tr.baselineReady('churn', '7'), 'churn@1');
  tr.logPrediction({ id: 'p2', version: '7', features: { age: 50, comment: 'café über alles' } });
  assert.equal(await tr.flush(30_000), true);
  await client.indices.refresh({ index: dataStreamName(namespace) });
  const res = await client.search<PredictionDocument>({
    index: dataStreamName(namespace),
    sort: [{ 'mlmon.prediction_id': 'asc' }],
  });
  const [p0, p1, p2] = res.hits.hits.map((h) => h._source?.mlmon);
  assert.equal(p0?.baseline_id, 'churn@1');
  assert.ok(p0?.na?.includes('comment'));

  const tokens = tokenize(comment);
  const oov = tokens.filter((w) => !vocabulary.has(w));
  assert.deepEqual(oov, ['but', 'zebra', 'quantum'], 'the fixture vocabulary lacks these');
  assert.equal(p1?.baseline_id, 'churn@1');
  assert.deepEqual(p1?.features.text, { comment }, 'the baseline says comment is text');
  assert.deepEqual(p1?.derived, {
    tokens: { comment: tokens.length },
    oov: { comment: 3 },
    oov_words: { comment: ['but', 'zebra', 'quantum'] },
  });
  // absent features (city, signup) and the invalid number (income) are missing
  assert.deepEqual([...(p1?.na ?? [])].sort(), ['city', 'income', 'signup']);
  assert.ok(p1?.flags?.includes('invalid_number:income'));
  assert.equal(p2?.baseline_id, 'churn@1');
  assert.deepEqual(p2?.derived?.oov, { comment: 1 }); // "alles"
  await tr.shutdown();
});

test('without a baseline nothing is derived, and no error is raised', async (t) => {
  const namespace = uniqueNamespace();
  const templates = await installPredictionTemplate(client, namespace);
  t.after(() => cleanup(client, { dataStreams: [dataStreamName(namespace)], indexTemplates: templates }));
  const tr = new MlInputTransport({
    client,
    namespace,
    model: 'nobody',
    version: '1',
    baselineIndex: uniqueName('none'),
    spillDir: false,
  });
  const problems: unknown[] = [];
  tr.on('warn', (p) => problems.push(p));
  assert.equal(await tr.baselineReady(), undefined);
  tr.logPrediction({ id: 'x', features: { comment: 'some words here' } });
  assert.equal(await tr.flush(30_000), true);
  await client.indices.refresh({ index: dataStreamName(namespace) });
  const doc = (await client.search<PredictionDocument>({ index: dataStreamName(namespace) })).hits.hits[0]
    ?._source?.mlmon;
  assert.equal(doc?.baseline_id, undefined);
  assert.equal(doc?.derived, undefined);
  assert.deepEqual(doc?.features.cat, { comment: 'some words here' });
  assert.deepEqual(problems, []);
  await tr.shutdown();
});

test('text features logged in the first milliseconds, before the baseline loaded, are typed and derived as it says, and the job measures them', async (t) => {
  const index = uniqueName('mlmon-baselines-race');
  const namespace = uniqueNamespace();
  const templates = await installPredictionTemplate(client, namespace);
  t.after(() =>
    cleanup(client, {
      indices: [index],
      dataStreams: [dataStreamName(namespace)],
      indexTemplates: templates,
    }),
  );
  const baseline = await profileFile({
    file: `${fixtures}train.csv`,
    model: 'race',
    version: '1',
    schema: loadSchema(`${fixtures}schema.yml`),
  });
  await saveBaseline(client, baseline, index);
  const vocabulary = new Set(Object.keys(baseline.features.comment?.text?.vocabulary ?? {}));
  const comments = ['great service and fast delivery', 'the zebra quantum app crashed again', 'slow support'];
  const T = Date.parse('2026-04-01T10:00:00Z');
  // constructed and logged in the same tick: the baseline lookup has not even been sent yet
  const tr = new MlInputTransport({
    client,
    namespace,
    model: 'race',
    version: '1',
    baselineIndex: index,
    spillDir: false,
  });
  for (let i = 0; i < 30; i++)
    tr.logPrediction({ features: { comment: comments[i % 3] }, prediction: 0.5, timestamp: T + i });
  assert.equal(await tr.flush(30_000), true);
  await tr.shutdown();
  await client.indices.refresh({ index: dataStreamName(namespace) });
  const res = await client.search<PredictionDocument>({ index: dataStreamName(namespace), size: 100 });
  assert.equal(res.hits.hits.length, 30);
  for (const h of res.hits.hits) {
    assert.equal(h._source?.mlmon.baseline_id, 'race@1');
    assert.ok(h._source?.mlmon.features.text?.comment, 'stored as text, not as a category');
  }
  const m = await computeWindow(
    client,
    { model: 'race', from: new Date(T), to: new Date(T + 60_000), index: dataStreamName(namespace) },
    baseline,
    defaultRules,
  );
  const tokens = comments.flatMap((c) => tokenize(c));
  const oov = tokens.filter((w) => !vocabulary.has(w)).length;
  assert.equal(m.features.comment?.na_rate, 0);
  assert.ok(oov > 0);
  assert.equal(m.features.comment?.oov_rate, oov / tokens.length);
});
