import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { INDEX_LIMITS } from '../../src/contract/limits.js';
import { resolveTransportOptions, type TransportOptions } from '../../src/transport/options.js';
import { safeFeatureName, sanitizeFeatures, sanitizePrediction } from '../../src/transport/sanitize.js';

function sanitize(features: unknown, opts: TransportOptions = {}, env: NodeJS.ProcessEnv = {}) {
  return sanitizeFeatures(features, resolveTransportOptions({ spillDir: false, ...opts }, env).sanitize);
}

const circular: Record<string, unknown> = { a: 1 };
circular.self = circular;

// input -> expected typed features, NA list and flags
const table: [string, unknown, ReturnType<typeof sanitize>, TransportOptions?][] = [
  [
    'NaN and Infinity become missing with a flag',
    { a: Number.NaN, b: Number.POSITIVE_INFINITY, c: -Infinity },
    {
      features: {},
      na: ['a', 'b', 'c'],
      flags: ['non_finite:a', 'non_finite:b', 'non_finite:c'],
    },
  ],
  [
    'undefined is absent and missing',
    { a: undefined, b: 1 },
    { features: { num: { b: 1 } }, na: ['a'], flags: [] },
  ],
  ['null is missing', { a: null }, { features: {}, na: ['a'], flags: [] }],
  [
    'empty string is a category and missing',
    { a: '' },
    { features: { cat: { a: '' } }, na: ['a'], flags: [] },
  ],
  [
    'empty string is not missing when configured',
    { a: '' },
    { features: { cat: { a: '' } }, na: [], flags: [] },
    { emptyStringIsNa: false },
  ],
  [
    'a circular reference is cut with a flag',
    circular,
    { features: { num: { a: 1 } }, na: [], flags: ['circular:self'] },
  ],
  [
    'BigInt becomes a number',
    { a: 10n, b: 2n ** 64n },
    {
      features: { num: { a: 10, b: 18446744073709552000 } },
      na: [],
      flags: ['bigint_precision:b'],
    },
  ],
  [
    'a Date becomes a datetime; an invalid one is missing',
    { a: new Date(0), b: new Date('x') },
    {
      features: { date: { a: '1970-01-01T00:00:00.000Z' } },
      na: ['b'],
      flags: ['invalid_date:b'],
    },
  ],
  [
    'Buffers and typed arrays are left out with a flag',
    { a: Buffer.from('x'), b: new Float32Array(2), c: new ArrayBuffer(1) },
    {
      features: {},
      na: [],
      flags: ['unsupported_binary:a', 'unsupported_binary:b', 'unsupported_binary:c'],
    },
  ],
  [
    'functions and symbols are left out with a flag',
    { a: () => 1, b: Symbol('s') },
    {
      features: {},
      na: [],
      flags: ['unsupported_type:a', 'unsupported_type:b'],
    },
  ],
  [
    'over-long strings are cut with a flag',
    { a: 'x'.repeat(10) },
    { features: { cat: { a: 'xxxx' } }, na: [], flags: ['truncated:a'] },
    { maxStringLength: 4 },
  ],
  [
    'too many features: the first are kept, the rest counted',
    { a: 1, b: 2, c: 3, d: 4 },
    {
      features: { num: { a: 1, b: 2 } },
      na: [],
      flags: ['too_many_features:2'],
    },
    { maxFeatures: 2 },
  ],
  [
    'a non-object payload is wrapped',
    42,
    { features: { num: { value: 42 } }, na: [], flags: ['wrapped_payload'] },
  ],
  ['null payload is wrapped and missing', null, { features: {}, na: ['value'], flags: ['wrapped_payload'] }],
  [
    'nested objects become dotted names',
    { address: { city: 'Oslo', zip: 150 } },
    {
      features: { num: { 'address.zip': 150 }, cat: { 'address.city': 'Oslo' } },
      na: [],
      flags: [],
    },
  ],
  [
    'homogeneous arrays are kept, mixed ones flagged',
    { tags: ['a', 'b'], xs: [1, 2], mixed: [1, 'a'], empty: [] },
    {
      features: { cat: { tags: ['a', 'b'] }, num: { xs: [1, 2] } },
      na: ['empty'],
      flags: ['unsupported_array:mixed'],
    },
  ],
  [
    'odd names become valid field names',
    { '': 1, '.a..b.': 2, '...': 3 },
    {
      features: { num: { _: 3, 'a.b': 2 } },
      na: [],
      flags: ['renamed:_', 'renamed:a.b', 'renamed:_'],
    },
  ],
  [
    'declared types win over JavaScript types',
    { zip: 1234, age: '42', note: 'Hello world' },
    {
      features: { cat: { zip: '1234' }, num: { age: 42 }, text: { note: 'Hello world' } },
      na: [],
      flags: [],
    },
    { featureTypes: { zip: 'categorical', age: 'numeric', note: 'text' } },
  ],
  [
    'a numeric feature with a text value is missing and flagged',
    { age: 'n/a' },
    { features: {}, na: ['age'], flags: ['invalid_number:age'] },
    {
      featureTypes: { age: 'numeric' },
    },
  ],
  [
    'redacted features are left out with a flag',
    { email: 'a@b.c', x: 1 },
    { features: { num: { x: 1 } }, na: [], flags: ['redacted:email'] },
    {
      redact: ['email'],
    },
  ],
];

for (const [name, input, expected, opts] of table) {
  test(`sanitize: ${name}`, () => {
    const out = sanitize(input, opts);
    // last write wins for renamed duplicates ('' and '...' both become '_')
    assert.deepEqual(out, expected);
  });
}

test('hashed features carry the HMAC-SHA256 of the value under the secret', () => {
  const out = sanitize({ email: 'a@b.c' }, { hash: ['email'] }, { MLMON_HASH_SECRET: 's3cret' });
  assert.deepEqual(out.features.cat, { email: createHmac('sha256', 's3cret').update('a@b.c').digest('hex') });
});

test('predictions: score, label, boolean, { label, score }, and unsupported shapes', () => {
  const flags: string[] = [];
  assert.deepEqual(sanitizePrediction(0.5, 100, flags), { num: 0.5 });
  assert.deepEqual(sanitizePrediction('yes', 100, flags), { cat: 'yes' });
  assert.deepEqual(sanitizePrediction(true, 100, flags), { bool: true });
  assert.deepEqual(sanitizePrediction({ label: 'churn', score: 0.9 }, 100, flags), {
    cat: 'churn',
    num: 0.9,
  });
  assert.equal(sanitizePrediction(undefined, 100, flags), undefined);
  assert.deepEqual(flags, []);
  assert.equal(sanitizePrediction(Number.NaN, 100, flags), undefined);
  assert.equal(sanitizePrediction([1, 2], 100, flags), undefined);
  assert.deepEqual(flags, ['non_finite:prediction', 'unsupported_prediction']);
});

test('safe feature names: no empty segments, no edge dots, bounded length', () => {
  assert.equal(safeFeatureName('a.b'), 'a.b');
  assert.equal(safeFeatureName('a..b'), 'a.b');
  assert.equal(safeFeatureName(' '), '_');
  assert.equal(safeFeatureName('x'.repeat(300)).length, 256);
});

test('a categorical value longer than the keyword ignore_above is cut to it and flagged, so it stays searchable', () => {
  const max = resolveTransportOptions({ spillDir: false }).sanitize.maxCategoryLength;
  const long = 'x'.repeat(max + 1);
  const r = sanitize({ c: long, arr: ['ok', long], t: long }, { featureTypes: { t: 'text' } });
  assert.equal(r.features.cat?.c, 'x'.repeat(max));
  assert.deepEqual(r.features.cat?.arr, ['ok', 'x'.repeat(max)]);
  // text fields have no ignore_above: kept whole up to maxStringLength
  assert.equal(r.features.text?.t, long);
  assert.deepEqual(r.flags, ['truncated_keyword:c', 'truncated_keyword:arr']);
  // exactly at the limit: untouched
  assert.deepEqual(sanitize({ c: 'y'.repeat(max) }).flags, []);
});

test('__proto__, constructor and prototype are features like any other, not lost', () => {
  const input = JSON.parse(
    '{"__proto__": 5, "constructor": "c", "prototype": true, "a": {"__proto__": "n"}}',
  );
  const r = sanitize(input);
  assert.deepEqual(Object.keys(r.features.num ?? {}), ['__proto__']);
  assert.equal(Object.getOwnPropertyDescriptor(r.features.num, '__proto__')?.value, 5);
  assert.equal(Object.getPrototypeOf(r.features.num), Object.prototype);
  assert.deepEqual(Object.keys(r.features.cat ?? {}), ['constructor', 'a.__proto__']);
  assert.equal(r.features.bool?.prototype, true);
  assert.deepEqual(r.flags, []);
  // and they survive serialization
  assert.deepEqual(JSON.parse(JSON.stringify(r.features)).num, JSON.parse('{"__proto__": 5}'));
});

test("past the stream's field budget a new feature field is flagged field_limit; known ones are not", () => {
  const opts = resolveTransportOptions({ spillDir: false }).sanitize;
  const budget = opts.fields?.budget ?? 0;
  assert.equal(budget, INDEX_LIMITS.totalFields - INDEX_LIMITS.reservedFields);
  // one transport's documents, 500 new numeric features each, until the budget is spent
  let flagged = 0;
  for (let d = 0; d * 500 < budget + 1000; d++) {
    const features: Record<string, number> = {};
    for (let i = 0; i < 500; i++) features[`f${d * 500 + i}`] = i;
    flagged += sanitizeFeatures(features, opts).flags.filter((f) => f.startsWith('field_limit:')).length;
  }
  assert.equal(flagged, Math.ceil((budget + 1000) / 500) * 500 - budget);
  assert.deepEqual(sanitizeFeatures({ f0: 1, f1: 2 }, opts).flags, []);
  assert.deepEqual(sanitizeFeatures({ brand_new: 1 }, opts).flags, ['field_limit:brand_new']);
  // the value is still sent: Elasticsearch keeps it in _source and lists it in _ignored
  assert.equal(sanitizeFeatures({ brand_new: 1 }, opts).features.num?.brand_new, 1);
});
