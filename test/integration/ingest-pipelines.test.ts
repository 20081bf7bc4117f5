/**
 * The ingest pipelines in a real ingest engine (the test cluster when it has ingest and Painless,
 * else the OpenSearch ingest engine): the Painless tokenizer against the TypeScript one, and the
 * derived fields of raw predictions against what the transport's own toDocument computes for the
 * same input, through the simulate API and real indexing; dead letters for bad documents.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { tokenize } from '../../src/contract/tokenizer.js';
import { comparableDocument } from '../../src/doctor/pipeline-check.js';
import type { RawRequest } from '../../src/es/raw-request.js';
import {
  newestBaselinePipeline,
  type PipelineAsset,
  painlessSource,
  pipelineAssets,
  predictionsPipelineId,
  vocabularyPipeline,
} from '../../src/setup/pipelines.js';
import { contextOf } from '../../src/transport/baseline-cache.js';
import { type PredictionDocument, toDocument } from '../../src/transport/document.js';
import { resolveTransportOptions } from '../../src/transport/options.js';
import type { PredictionLog } from '../../src/transport/prediction.js';
import { ingestEngine, uniqueName, uniqueNamespace } from '../helpers/cluster.js';
import { ingestTestBaseline } from '../helpers/ingest-baseline.js';

const sanitize = resolveTransportOptions({ spillDir: false }).sanitize;
const baseline = ingestTestBaseline('churn', '3');
const baselineContext = contextOf(baseline, sanitize);
const namespace = uniqueNamespace('ingest');
const target = `logs-mlmon.predictions-${namespace}`;
const prefix = uniqueName('mlmon-test');
const fallbackDeadLetters = `logs-mlmon.dead_letters-${uniqueNamespace('fallback')}`;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A raw prediction as Filebeat, Logstash or an HTTP client sends it (README section). */
type Raw = Record<string, Json>;
type Source = Record<string, unknown>;

let request: RawRequest;
let engineName: 'elasticsearch' | 'opensearch' = 'elasticsearch';
let installed: PipelineAsset[] = [];

before(async () => {
  const engine = await ingestEngine();
  request = engine.request;
  engineName = engine.capabilities.engine;
  const opts = { prefix, engine: engine.capabilities.engine, fallbackDeadLetterIndex: fallbackDeadLetters };
  installed = [
    ...pipelineAssets(opts),
    vocabularyPipeline(baseline, opts),
    newestBaselinePipeline(baseline, opts),
  ];
  for (const asset of installed) {
    const res = await request('PUT', `/_ingest/pipeline/${encodeURIComponent(asset.id)}`, asset.body);
    assert.equal(
      res.status,
      200,
      `PUT ${asset.id} on ${engine.url}: ${JSON.stringify(res.body).slice(0, 2000)}`,
    );
  }
});

after(async () => {
  for (const asset of installed) await request('DELETE', `/_ingest/pipeline/${encodeURIComponent(asset.id)}`);
});

/** What the transport stores for the same prediction, with the same baseline loaded. */
function transportDocument(input: Raw, id: string): PredictionDocument {
  // the same JSON the shipper sends (no -0, no undefined)
  const raw = JSON.parse(JSON.stringify(input)) as Raw;
  const timeKey = ['timestamp', 'time', '@timestamp'].find((k) => k in raw);
  const log: PredictionLog = {
    model: raw.model as string,
    version: raw.version as string,
    features: raw.features as Record<string, unknown>,
    prediction: raw.prediction,
    id: raw.id as string,
    context: { service: raw.service as string, traceId: raw.trace_id as string },
  };
  if ('latency_ms' in raw) log.latencyMs = raw.latency_ms as number;
  if (timeKey) log.timestamp = raw[timeKey] as string;
  return toDocument(log, {
    id,
    namespace,
    sanitize,
    defaults: {},
    sampleRate: typeof raw.sample_rate === 'number' ? raw.sample_rate : undefined,
    // the transport's resolution: model@version, else the model's newest baseline
    baseline: (model) => (model === 'churn' ? baselineContext : undefined),
  });
}

// the fields both produce (NA and flag lists as sets): the doctor's own comparison
const comparable = comparableDocument;

interface Simulated {
  _index: string;
  _id: string;
  _source: Source;
}

async function simulate(docs: { _index?: string; _id?: string; _source: unknown }[]): Promise<Simulated[]> {
  const res = await request('POST', `/_ingest/pipeline/${predictionsPipelineId({ prefix })}/_simulate`, {
    docs,
  });
  assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 2000));
  return (res.body as { docs: { doc?: Simulated; error?: unknown }[] }).docs.map((d, i) => {
    assert.ok(d.doc, `document ${i} failed in the pipeline: ${JSON.stringify(d.error)}`);
    return d.doc;
  });
}

async function assertSameAsTransport(raws: Raw[]): Promise<void> {
  const out = await simulate(raws.map((raw, i) => ({ _index: target, _id: `doc-${i}`, _source: raw })));
  raws.forEach((raw, i) => {
    const got = out[i] as Simulated;
    const expectedDoc = transportDocument(raw, `doc-${i}`);
    // without a valid time in the input both use their own clock: compared below, not here
    const timed =
      ['timestamp', 'time', '@timestamp'].some((k) => k in raw) &&
      !expectedDoc.mlmon.flags?.includes('invalid_timestamp');
    const expected = expectedDoc as unknown as Source;
    assert.deepEqual(
      comparable(got._source, timed),
      comparable(expected, timed),
      `input ${i}: ${JSON.stringify(raw).slice(0, 500)}`,
    );
    assert.equal(got._index, target);
    const event = got._source.event as Record<string, string>;
    assert.match(event.ingested as string, /^\d{4}-\d\d-\d\dT/);
    if (!timed) {
      // no time in the input: the ingest time, to the millisecond
      const gap = Date.parse(event.ingested as string) - Date.parse(got._source['@timestamp'] as string);
      assert.ok(
        gap >= 0 && gap < 1000,
        `@timestamp ${String(got._source['@timestamp'])} vs ${event.ingested}`,
      );
    }
    // consumed raw fields leave the root
    for (const key of ['features', 'model', 'version', 'prediction', 'latency_ms', 'timestamp', 'time', 'id'])
      assert.equal(key in got._source, false, `input ${i} kept ${key}`);
  });
}

// code points of blocks complete since Unicode 13 (the ingest engine's JDK 17) and in Node's ICU alike
const STABLE_RANGES: [number, number][] = [
  [0x20, 0x7e],
  [0xa0, 0x24f],
  [0x300, 0x36f],
  [0x370, 0x3ff],
  [0x400, 0x4ff],
  [0x5d0, 0x5ea],
  [0x620, 0x64a],
  [0x660, 0x669],
  [0x900, 0x97f],
  [0x1e00, 0x1eff],
  [0x2000, 0x206f],
  [0x2150, 0x2188],
  [0x3040, 0x309f],
  [0x4e00, 0x9fa5],
  [0xac00, 0xd7a3],
  [0xff01, 0xff5e],
  [0x1d400, 0x1d7ff],
  [0x1f300, 0x1f64f],
];
const stableChar = fc
  .oneof(...STABLE_RANGES.map(([lo, hi]) => fc.integer({ min: lo, max: hi })))
  .map((cp) => String.fromCodePoint(cp));
const stableText = fc.array(stableChar, { maxLength: 40 }).map((cs) => cs.join(''));

const TOKENIZER_CORPUS = [
  '',
  'The cat SAT on the mat.',
  "Don't stop!",
  'ÉCOLE Straße ΟΔΟΣ Σίσυφος ΣΑΣ',
  'İstanbul ıi IJ ǅ ǈ Ǆ',
  'café café', // precomposed and combining acute
  '東京タワー 서울 مرحبا بالعالم नमस्ते',
  'x²+y³ ½ ⅷ Ⅻ ٣٤ ５６ 𝐀𝐁𝐂 𝟘',
  'emoji 😀👍🏽 between words 🇫🇷 flags',
  'tabs\tand\nnewlines\r\nand\u00a0nbsp\u2028sep',
  'a_b-c.d,e;f:g!h?i"j\'k(l)m[n]o{p}q@r#s$t%u^v&w*x+y=z~|\\/<>`',
  '1,000.50 3.14 -7 +8 1e10 0x1F',
  'ẞ ß ﬁ ﬀ Ωhm K',
  'ΑΣ. ΑΣΑ ὈΔΥΣΣΕΎΣ',
  '\u0345 \u0307 a\u0301\u0302',
];

test('the Painless tokenizer splits exactly like the TypeScript one (fixed corpus and 400 generated strings)', async () => {
  const generated = fc.sample(stableText, { numRuns: 400, seed: 20261127 });
  const inputs = [...TOKENIZER_CORPUS, ...generated];
  const res = await request('POST', '/_ingest/pipeline/_simulate', {
    pipeline: {
      processors: [
        {
          script: {
            source: `${painlessSource('tokenizer')}
List out = new ArrayList();
for (def s : ctx.inputs) { out.add(mlmonTokenize(s)); }
ctx.tokens = out;`,
          },
        },
      ],
    },
    docs: [{ _source: { inputs } }],
  });
  assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 2000));
  const tokens = (res.body as { docs: { doc: { _source: { tokens: string[][] } } }[] }).docs[0]?.doc._source
    .tokens as string[][];
  assert.equal(tokens.length, inputs.length);
  let nonEmpty = 0;
  inputs.forEach((s, i) => {
    assert.deepEqual(tokens[i], tokenize(s), `input ${i}: ${JSON.stringify(s)}`);
    if ((tokens[i] as string[]).length > 0) nonEmpty++;
  });
  // the corpus exercises real splitting, not only empty outputs
  assert.ok(nonEmpty > inputs.length / 2, `only ${nonEmpty} inputs gave tokens`);
  assert.deepEqual(tokens[2], ['don', 't', 'stop']);
});

const T0 = '2026-11-20T10:15:30.250Z';

const CORPUS: Raw[] = [
  {
    model: 'churn',
    version: '3',
    timestamp: '2026-11-20T11:15:30.250+01:00',
    id: 'p-1',
    service: 'scoring-api',
    trace_id: 'trace-1',
    features: {
      age: 42,
      income: 52000.5,
      plan: 'gold',
      city: null,
      comment: 'The cat SAT on the mat, again and AGAIN!',
      title: 'Hello brave new world',
      active: true,
      signup: '2025-03-04T05:06:07.891Z',
    },
    prediction: { label: 'churn', score: 0.91 },
    latency_ms: 12.5,
  },
  // strings typed by the baseline: numbers from text, numbers and booleans as categories and text
  {
    model: 'churn',
    version: '3',
    time: 1_763_633_730_250,
    features: {
      age: '  42 ',
      income: '1e3',
      zip: 90210,
      plan: true,
      city: 1.5,
      comment: 42,
      title: '',
      signup: '2025-03-04',
    },
    prediction: 0.25,
  },
  {
    model: 'churn',
    version: '3',
    '@timestamp': T0,
    features: {
      age: '0x1F',
      income: '-.5',
      zip: 12345678.5,
      city: 0.000001,
      plan: 1e21,
      signup: '2025-03-04T05:06',
    },
    prediction: 'yes',
  },
  // invalid values
  {
    model: 'churn',
    version: '3',
    timestamp: 'yesterday',
    features: { age: 'forty', income: '', signup: 'not a date', comment: '', zip: '12,5', active: 'maybe' },
    prediction: [1, 2],
    latency_ms: 'slow',
  },
  {
    model: 'churn',
    version: '3',
    timestamp: T0,
    features: { age: 'Infinity', income: '1e400', signup: '12025-01-01T00:00:00Z', plan: '0b102' },
    prediction: { score: 'high' },
    latency_ms: null,
  },
  // arrays
  {
    model: 'churn',
    version: '3',
    timestamp: T0,
    features: {
      tags: ['a', 'b'],
      scores: [1, 2.5],
      switches: [true, false],
      mixed: [1, 'a'],
      empty: [],
      comment: ['the', 'cat'],
      city: [1, 2],
      nulls: [null, null],
      nested: [{ a: 1 }],
    },
    prediction: true,
  },
  // nested objects and odd names
  {
    model: 'churn',
    version: '3',
    timestamp: T0,
    features: {
      address: { city: 'Paris', geo: { lat: 48.85, lon: 2.35 } },
      deep: { l1: { l2: { l3: { l4: { l5: { l6: 1 } } } } } },
      'a..b': 1,
      'x.': 'y',
      '': 'empty name',
      '   ': 'blank name',
      ['n'.repeat(300)]: 1,
    },
    prediction: { label: 3 },
  },
  // long strings are cut before tokenizing
  {
    model: 'churn',
    version: '3',
    timestamp: T0,
    features: { plan: 'x'.repeat(5000), comment: 'the cat '.repeat(600), tags: ['y'.repeat(4100)] },
  },
  // Unicode text and OOV words
  {
    model: 'churn',
    version: '3',
    timestamp: T0,
    features: {
      comment: `Ünïcödé STRASSE Straße ΟΔΟΣ İstanbul 東京 café ½ ٣ don't!! ${'w'.repeat(3)}`,
      title: 'hello hello unknown1 unknown2 unknown1',
    },
    prediction: { label: 1.5, score: 0 },
  },
  // a text feature with more than 50 distinct OOV words
  {
    model: 'churn',
    version: '3',
    timestamp: T0,
    features: { comment: Array.from({ length: 70 }, (_, i) => `word${i % 60}`).join(' ') },
  },
  // non-object payloads are wrapped
  { model: 'churn', version: '3', timestamp: T0, features: 7 },
  { model: 'churn', version: '3', timestamp: T0, features: 'plain string' },
  { model: 'churn', version: '3', timestamp: T0, features: null },
  { model: 'churn', version: '3', timestamp: T0, features: [1, 2] },
  // a version without its own baseline uses the model's newest; a model without one gets none
  { model: 'churn', version: '9', timestamp: T0, features: { comment: 'the dog', age: '7' } },
  { model: 'nobase', version: '1', timestamp: T0, features: { comment: 'hello world', age: '5', n: 1 } },
  { model: 42, timestamp: 0, features: { a: 1 }, sample_rate: 0.5 },
  { model: 'a@b', version: '3', timestamp: T0, features: { comment: 'x' } },
  // no time at all: the ingest time
  { model: 'churn', version: '3', features: { age: 1 } },
  // categories past the keyword's ignore_above (1024), alone and in an array, and prototype names
  {
    model: 'churn',
    version: '3',
    timestamp: T0,
    features: {
      plan: 'p'.repeat(1500),
      tags: ['short', 't'.repeat(1025)],
      comment: 'c'.repeat(1500),
      ...JSON.parse('{"__proto__": 3, "constructor": "c"}'),
    },
  },
];

test('raw predictions get the same document and derived fields as the transport computes', async () => {
  await assertSameAsTransport(CORPUS);
  // spot checks that the comparison is not vacuous
  const [first, , , , , , , , unicode] = await simulate(
    CORPUS.map((raw, i) => ({ _index: target, _id: `doc-${i}`, _source: raw })),
  );
  const m = first?._source.mlmon as Record<string, Record<string, unknown>>;
  assert.equal(m.baseline_id, 'churn@3');
  assert.deepEqual(m.derived, {
    tokens: { comment: 9, title: 4 },
    oov: { comment: 1, title: 2 },
    oov_words: { comment: ['and'], title: ['brave', 'new'] },
  });
  assert.deepEqual(first?._source['@timestamp'], '2026-11-20T10:15:30.250Z');
  assert.deepEqual(first?._source.data_stream, { type: 'logs', dataset: 'mlmon.predictions', namespace });
  const u = unicode?._source.mlmon as { derived: { oov_words: Record<string, string[]> } };
  assert.deepEqual(u.derived.oov_words.comment, ['ünïcödé', 'strasse', 'i̇stanbul', '½', '٣', 'www']);
});

// JSON-shaped features: baseline names and free names, every JSON type, nesting and arrays
const featureName = fc.oneof(
  fc.constantFrom('age', 'income', 'plan', 'city', 'zip', 'comment', 'title', 'active', 'signup'),
  fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/),
);
const scalar: fc.Arbitrary<Json> = fc.oneof(
  stableText,
  fc.constantFrom('', ' 12 ', '3.5', '1e3', '0x10', '2025-01-02', '2025-01-02T03:04:05Z', 'true'),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((d) => Math.round(d * 1000) / 1000),
  fc.boolean(),
  fc.constant(null),
);
const jsonValue: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(scalar, { maxLength: 4 }),
    fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), tie('value'), { maxKeys: 3 }),
  ),
})).value;
const rawPrediction = fc.record({
  model: fc.constantFrom('churn', 'nobase'),
  version: fc.constantFrom('3', '4'),
  timestamp: fc.constant(T0),
  features: fc.dictionary(featureName, jsonValue, { maxKeys: 8 }),
  prediction: scalar,
});

test('300 generated JSON predictions get the same derived fields as the transport', async () => {
  const raws = fc.sample(rawPrediction, { numRuns: 300, seed: 424242 }) as Raw[];
  await assertSameAsTransport(raws);
});

test('Filebeat lines (JSON in message) and Logstash events get the same fields; shipper fields stay', async () => {
  const raw = CORPUS[0] as Raw;
  const [rootShape, filebeat, logstash] = await simulate([
    { _index: target, _id: 'r', _source: raw },
    {
      _index: target,
      _id: 'r',
      _source: {
        '@timestamp': '2026-11-27T00:00:00.000Z',
        message: JSON.stringify(raw),
        agent: { type: 'filebeat', version: '9.2.8' },
        log: { file: { path: '/var/log/app/predictions.ndjson' }, offset: 1234 },
        input: { type: 'filestream' },
      },
    },
    {
      _index: target,
      _id: 'r',
      _source: {
        ...raw,
        '@version': '1',
        '@timestamp': '2026-11-27T00:00:00.000Z',
        host: { name: 'scoring-1' },
        event: { original: JSON.stringify(raw) },
      },
    },
  ]);
  const view = (s: Simulated | undefined) => comparable(s?._source ?? {}, true);
  assert.deepEqual(view(filebeat), view(rootShape));
  assert.deepEqual(view(logstash), view(rootShape));
  assert.deepEqual(filebeat?._source.agent, { type: 'filebeat', version: '9.2.8' });
  assert.deepEqual(filebeat?._source.log, {
    file: { path: '/var/log/app/predictions.ndjson' },
    offset: 1234,
    level: 'info',
  });
  assert.equal(filebeat?._source.message, 'prediction churn@3');
  assert.equal(
    ((logstash as Simulated)._source.event as Record<string, unknown>).original,
    JSON.stringify(raw),
  );
  assert.deepEqual(logstash?._source.host, { name: 'scoring-1' });
  // the input's own timestamp wins over the shipper's @timestamp
  assert.equal(logstash?._source['@timestamp'], '2026-11-20T10:15:30.250Z');
});

test("the transport's documents pass unchanged but for event.ingested", async () => {
  const derived = transportDocument(CORPUS[0] as Raw, 'transport-1');
  const plain = toDocument(
    { model: 'm', version: '1', features: { a: 'x', b: 2 } },
    { id: 'transport-2', namespace, sanitize, defaults: {} },
  );
  assert.equal(derived.mlmon.baseline_id, 'churn@3');
  const docs = [derived, plain].map((d) => JSON.parse(JSON.stringify(d)) as Source);
  const out = await simulate(docs.map((d, i) => ({ _index: target, _id: `t-${i}`, _source: d })));
  out.forEach((got, i) => {
    const { event, ...rest } = got._source as { event: Record<string, unknown> };
    const { event: originalEvent, ...originalRest } = docs[i] as { event: Record<string, unknown> };
    assert.deepEqual(rest, originalRest);
    const { ingested, ...eventRest } = event;
    assert.deepEqual(eventRest, originalEvent);
    assert.match(String(ingested), /^\d{4}-\d\d-\d\dT/);
  });
});

test('more than 1000 features: the first 1000 are kept and the rest counted, as the transport does', async () => {
  const features = Object.fromEntries(Array.from({ length: 1003 }, (_, i) => [`f${i}`, i]));
  const [got] = await simulate([{ _index: target, _id: 'many', _source: { model: 'm', features } }]);
  const m = got?._source.mlmon as { features: { num: Record<string, number> }; flags: string[] };
  const expected = transportDocument({ model: 'm', features }, 'many');
  assert.equal(Object.keys(m.features.num).length, 1000);
  assert.deepEqual(m.flags, ['too_many_features:3']);
  assert.deepEqual(m.flags, expected.mlmon.flags);
});

test('a baseline with a 50,000-word vocabulary installs as one pipeline and derives the same counts', async (t) => {
  const big = ingestTestBaseline('bigvocab', '1');
  const vocabulary = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`w${i.toString(36)}`, 1]));
  const comment = big.features.comment as NonNullable<(typeof big.features)[string]>;
  big.features.comment = {
    ...comment,
    text: { ...(comment.text as NonNullable<typeof comment.text>), vocabulary },
  };
  const asset = vocabularyPipeline(big, { prefix, engine: engineName });
  t.after(async () => {
    await request('DELETE', `/_ingest/pipeline/${encodeURIComponent(asset.id)}`);
  });
  const started = performance.now();
  const put = await request('PUT', `/_ingest/pipeline/${encodeURIComponent(asset.id)}`, asset.body);
  const putMs = performance.now() - started;
  assert.equal(put.status, 200, JSON.stringify(put.body).slice(0, 1000));

  const bigContext = contextOf(big, sanitize);
  const raws = Array.from({ length: 200 }, (_, d) => ({
    model: 'bigvocab',
    version: '1',
    timestamp: T0,
    // 100 tokens, about one in five outside the vocabulary
    features: {
      comment: Array.from(
        { length: 100 },
        (_, i) => `w${((d * 7919 + i * 104_729) % 62_500).toString(36)}`,
      ).join(' '),
    },
  }));
  const simulated = performance.now();
  const out = await simulate(raws.map((raw, i) => ({ _index: target, _id: `big-${i}`, _source: raw })));
  const simulateMs = performance.now() - simulated;
  let oovTotal = 0;
  out.forEach((got, i) => {
    const expected = toDocument(raws[i] as PredictionLog, {
      id: `big-${i}`,
      namespace,
      sanitize,
      defaults: {},
      baseline: () => bigContext,
    });
    assert.deepEqual((got._source.mlmon as Source).derived, expected.mlmon.derived, `document ${i}`);
    oovTotal += expected.mlmon.derived?.oov?.comment ?? 0;
  });
  // the generated words do fall on both sides of the vocabulary
  assert.ok(oovTotal > 2_000 && oovTotal < 18_000, `OOV tokens ${oovTotal}`);
  t.diagnostic(
    `pipeline body ${Buffer.byteLength(JSON.stringify(asset.body))} bytes, PUT ${putMs.toFixed(0)} ms; ` +
      `simulate of 200 documents x 100 tokens ${simulateMs.toFixed(0)} ms`,
  );
});

interface DeadLetter {
  '@timestamp': string;
  message: string;
  event: { kind: string; dataset: string };
  data_stream: { type: string; dataset: string; namespace: string };
  error: { type: string; message: string };
  mlmon: {
    dead_letter: { target: string; document_id?: string; original: string; processor: { tag: string } };
  };
}

test('a document that is not a prediction, or a broken JSON line, becomes a dead letter with the reason', async () => {
  const notAPrediction = { message: 'user logged in', user: { id: 7 } };
  const broken = { message: '{"model": "churn", "features": {', agent: { type: 'filebeat' } };
  const out = await simulate([
    { _index: target, _id: 'bad-1', _source: notAPrediction },
    { _index: target, _id: 'bad-2', _source: broken },
    { _index: 'some-other-index', _id: 'bad-3', _source: notAPrediction },
  ]);
  const [first, second, third] = out.map((d) => d._source as unknown as DeadLetter);
  assert.equal(out[0]?._index, `logs-mlmon.dead_letters-${namespace}`);
  assert.equal(first?.event.kind, 'pipeline_error');
  assert.deepEqual(first?.data_stream, { type: 'logs', dataset: 'mlmon.dead_letters', namespace });
  assert.match(first?.error.message ?? '', /not a prediction: no "features" field/);
  assert.equal(first?.mlmon.dead_letter.target, target);
  assert.equal(first?.mlmon.dead_letter.document_id, 'bad-1');
  assert.equal(first?.mlmon.dead_letter.processor.tag, 'not_a_prediction');
  assert.deepEqual(JSON.parse(first?.mlmon.dead_letter.original ?? ''), notAPrediction);
  assert.ok(Math.abs(Date.parse(first?.['@timestamp'] ?? '') - Date.now()) < 60_000);

  assert.equal(second?.mlmon.dead_letter.processor.tag, 'message_json');
  assert.match(second?.error.message ?? '', /Unexpected end-of-input|end-of-input|EOF/i);
  assert.deepEqual(JSON.parse(second?.mlmon.dead_letter.original ?? ''), broken);

  // a target that is no predictions stream: the configured fallback
  assert.equal(out[2]?._index, fallbackDeadLetters);
  assert.equal(third?.mlmon.dead_letter.target, 'some-other-index');
});

test('the dead letter keeps the received document as JSON: quotes, control characters, Unicode, numbers', async () => {
  const odd = {
    message: 'no features here',
    text: 'quote " backslash \\ newline \n tab \t bell \u0007 é 😀',
    n: [1, -2.5, 1e-7, 12345678901234, true, null],
    nested: { a: { b: [] }, e: {} },
  };
  const [got] = await simulate([{ _index: target, _id: 'odd', _source: odd }]);
  const dl = got?._source as unknown as DeadLetter;
  assert.deepEqual(JSON.parse(dl.mlmon.dead_letter.original), odd);
});

/** `create` one by one: the raw request helper sends JSON bodies, not NDJSON. */
async function createAll(docs: [index: string, id: string, source: unknown][]): Promise<void> {
  for (const [index, id, source] of docs) {
    const res = await request('PUT', `/${index}/_create/${encodeURIComponent(id)}?refresh=true`, source);
    assert.equal(res.status, 201, `${index}/${id}: ${JSON.stringify(res.body).slice(0, 2000)}`);
  }
}

async function sources(index: string): Promise<Map<string, Source>> {
  const res = await request('POST', `/${index}/_search`, { size: 100, sort: [{ '@timestamp': 'asc' }] });
  assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 2000));
  const hits = (res.body as { hits: { hits: { _id: string; _source: Source }[] } }).hits.hits;
  return new Map(hits.map((h) => [h._id, h._source]));
}

test('real indexing: a predictions data stream with the pipeline as default, dead letters in their own stream', async (t) => {
  const streamTemplate = uniqueName('mlmon-test-stream');
  const deadLetterTemplate = uniqueName('mlmon-test-dead-letters');
  const deadLetters = `logs-mlmon.dead_letters-${namespace}`;
  const plainIndex = uniqueName('mlmon-test-plain');
  t.after(async () => {
    for (const stream of [target, deadLetters, fallbackDeadLetters])
      await request('DELETE', `/_data_stream/${stream}`);
    await request('DELETE', `/${plainIndex}`);
    await request('DELETE', `/${fallbackDeadLetters}`);
    for (const name of [streamTemplate, deadLetterTemplate])
      await request('DELETE', `/_index_template/${name}`);
  });
  // the engine may not take the product's predictions template (subobjects: false): a minimal one
  // with the same default pipeline; dead letters use the product's own template
  const streamRes = await request('PUT', `/_index_template/${streamTemplate}`, {
    index_patterns: [target],
    data_stream: {},
    priority: 400,
    template: {
      settings: { 'index.default_pipeline': predictionsPipelineId({ prefix }), number_of_replicas: 0 },
      mappings: {
        dynamic: false,
        properties: {
          '@timestamp': { type: 'date' },
          event: { properties: { ingested: { type: 'date' } } },
          mlmon: {
            properties: {
              model: { properties: { name: { type: 'keyword' }, version: { type: 'keyword' } } },
              baseline_id: { type: 'keyword' },
              na: { type: 'keyword' },
            },
          },
        },
      },
    },
  });
  assert.equal(streamRes.status, 200, JSON.stringify(streamRes.body));
  const { readJsonAsset } = await import('../../src/assets/package-files.js');
  const { ASSET_PATHS } = await import('../../src/assets/layout.js');
  // the product's dead-letter mappings (its component template), inlined: one template for the engine
  const product = readJsonAsset<{ template: Record<string, unknown> }>(
    ASSET_PATHS.componentTemplate('dead-letters'),
  );
  const dlRes = await request('PUT', `/_index_template/${deadLetterTemplate}`, {
    data_stream: {},
    index_patterns: [deadLetters, fallbackDeadLetters],
    priority: 400,
    template: { ...product.template, settings: { number_of_replicas: 0 } },
  });
  assert.equal(dlRes.status, 200, JSON.stringify(dlRes.body));
  const plainRes = await request('PUT', `/${plainIndex}`, {
    settings: { 'index.default_pipeline': predictionsPipelineId({ prefix }), number_of_replicas: 0 },
  });
  assert.equal(plainRes.status, 200, JSON.stringify(plainRes.body));

  const transportDoc = JSON.parse(
    JSON.stringify(transportDocument(CORPUS[0] as Raw, 'from-transport')),
  ) as Source;
  const raw = CORPUS[8] as Raw;
  await createAll([
    [target, 'raw-1', raw],
    [
      target,
      'filebeat-1',
      { '@timestamp': '2026-11-27T00:00:00.000Z', message: JSON.stringify(raw), agent: { type: 'filebeat' } },
    ],
    [target, 'transport-1', transportDoc],
    [target, 'bad-1', { message: 'not a prediction' }],
    [plainIndex, 'plain-1', raw],
    [plainIndex, 'plain-bad', { message: '{"broken' }],
  ]);

  const stored = await sources(target);
  assert.deepEqual([...stored.keys()].sort(), ['filebeat-1', 'raw-1', 'transport-1']);
  const expected = comparable(transportDocument(raw, 'raw-1') as unknown as Source, true);
  assert.deepEqual(comparable(stored.get('raw-1') as Source, true), expected);
  const filebeat = comparable(stored.get('filebeat-1') as Source, true);
  assert.deepEqual(filebeat, {
    ...expected,
    mlmon: { ...(expected.mlmon as Source), prediction_id: 'filebeat-1' },
  });
  const { event, ...transportRest } = stored.get('transport-1') as { event: Source };
  const { event: sentEvent, ...sentRest } = transportDoc as { event: Source };
  assert.deepEqual(transportRest, sentRest);
  assert.deepEqual({ ...event, ingested: undefined }, { ...sentEvent, ingested: undefined });

  // indexed, not only stored: the derived keyword fields answer queries
  const byBaseline = await request('POST', `/${target}/_count`, {
    query: { term: { 'mlmon.baseline_id': 'churn@3' } },
  });
  assert.equal((byBaseline.body as { count: number }).count, 3);

  const dead = await sources(deadLetters);
  assert.deepEqual([...dead.keys()], ['bad-1']);
  const letter = dead.get('bad-1') as unknown as DeadLetter;
  assert.equal(letter.error.type, 'ingest_pipeline_failure');
  assert.match(letter.error.message, /not a prediction/);
  assert.deepEqual(JSON.parse(letter.mlmon.dead_letter.original), { message: 'not a prediction' });
  const byKind = await request('POST', `/${deadLetters}/_count`, {
    query: { term: { 'event.kind': 'pipeline_error' } },
  });
  assert.equal((byKind.body as { count: number }).count, 1);

  const plain = await sources(plainIndex);
  assert.deepEqual([...plain.keys()], ['plain-1']);
  assert.equal(((plain.get('plain-1') as Source).mlmon as Source).baseline_id, 'churn@3');
  const fallback = await sources(fallbackDeadLetters);
  assert.deepEqual([...fallback.keys()], ['plain-bad']);
  assert.equal((fallback.get('plain-bad') as unknown as DeadLetter).mlmon.dead_letter.target, plainIndex);
});
