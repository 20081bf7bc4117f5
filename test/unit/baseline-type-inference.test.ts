import assert from 'node:assert/strict';
import { test } from 'node:test';
import { valueRules } from '../../src/baseline/schema.js';
import { columnType, inferColumn, inferType } from '../../src/baseline/type-inference.js';
import type { ValueRules } from '../../src/baseline/values.js';

const rules: ValueRules = { emptyStringIsNa: true, missingValues: new Set(['NA']) };

test('all booleans, strings or typed, are boolean', () => {
  assert.equal(inferType(['true', 'False', 'TRUE'], rules), 'boolean');
  assert.equal(inferType([true, false, 'false'], rules), 'boolean');
});

test('numbers are numeric from 95% of the present values on', () => {
  const mostly = [...Array.from({ length: 19 }, (_, i) => String(i)), 'oops'];
  assert.equal(inferType(mostly, rules), 'numeric', '19 of 20 is 95%');
  assert.equal(inferType([...mostly.slice(0, 18), 'oops', 'again'], rules), 'categorical', '18 of 20');
  assert.equal(inferType([1, 2.5, '3e2', -4], rules), 'numeric');
  assert.equal(inferType(['0x10', '1_000', ' 12'], rules), 'categorical', 'plain decimals only');
});

test('missing values do not count: NA, empty strings, null, NaN', () => {
  assert.equal(inferType(['1', 'NA', '', null, Number.NaN, undefined, '2'], rules), 'numeric');
  assert.equal(inferType(['NA', '', null], rules), 'categorical', 'nothing present');
  assert.equal(inferType([], rules), 'categorical');
  const keepEmpty: ValueRules = { emptyStringIsNa: false, missingValues: new Set() };
  assert.equal(inferType(['1', '2', ''], keepEmpty), 'categorical', '"" is a value: 2 of 3 numbers');
});

test('all ISO dates are datetime; one that is not makes the column categorical', () => {
  assert.equal(inferType(['2024-01-02', '2024-01-02T03:04:05Z', new Date(0)], rules), 'datetime');
  assert.equal(inferType(['2024-01-02', '2024-13-45'], rules), 'categorical');
  assert.equal(inferType(['2024-01-02', 'yesterday'], rules), 'categorical');
});

test('strings averaging four words or more are text, fewer are categories', () => {
  assert.equal(inferType(['one two three four', 'a b c d'], rules), 'text');
  assert.equal(inferType(['one two three four five', 'a b'], rules), 'categorical', '3.5 words on average');
  assert.equal(inferType(['  spaced   out  words  here '], rules), 'text', 'runs of blanks split once');
  assert.equal(inferType(['gold', 'silver'], rules), 'categorical');
});

test("the schema's type overrides the inferred one", () => {
  assert.deepEqual(columnType({ type: 'categorical' }, ['1', '2'], rules), {
    type: 'categorical',
    reason: 'set by the schema',
  });
  assert.equal(columnType({ missing_values: ['-1'] }, ['1', '2'], rules).type, 'numeric');
  assert.equal(columnType(undefined, ['true'], rules).type, 'boolean');
  const names = Array.from({ length: 50 }, (_, i) => `Name${i}`);
  assert.equal(columnType({ type: 'categorical' }, names, rules).type, 'categorical', 'the schema wins');
});

test('mostly distinct short strings are identifiers; mostly distinct phrases are text', () => {
  const names = Array.from({ length: 60 }, (_, i) => `Person ${String.fromCharCode(65 + (i % 26))}${i}`);
  const id = inferColumn(names, rules);
  assert.equal(id.type, 'identifier');
  assert.match(id.reason, /100\.0% of 60 sampled strings are distinct/);
  const uuids = Array.from(
    { length: 40 },
    (_, i) => `${i.toString(16).padStart(8, '0')}-aaaa-4bbb-8ccc-dddddddddddd`,
  );
  assert.equal(inferType(uuids, rules), 'identifier');
  const emails = Array.from({ length: 40 }, (_, i) => `user${i}@example.com`);
  assert.equal(inferType(emails, rules), 'identifier');
  const titles = Array.from({ length: 40 }, (_, i) => `The Return of ${i}`);
  const t = inferColumn(titles, rules);
  assert.equal(t.type, 'text', 'four words each is text already');
  const threeWords = Array.from({ length: 40 }, (_, i) => (i % 4 ? `Night of ${i}` : `Film${i}`));
  assert.equal(inferType(threeWords, rules), 'text', '75% have three words or more');
  assert.match(inferColumn(threeWords, rules).reason, /three words or more/);
  // a real category with many rows repeats: 5 distinct of 60
  const cats = Array.from(
    { length: 60 },
    (_, i) => ['red', 'green', 'blue', 'cyan', 'pink'][i % 5] as string,
  );
  const c = inferColumn(cats, rules);
  assert.equal(c.type, 'categorical');
  assert.match(c.reason, /8% distinct/);
  // too few values to judge: ten distinct names stay categorical
  assert.equal(inferType(names.slice(0, 10), rules), 'categorical');
});

test('a numeric row number or a zip-code-like column stays numeric, with a warning', () => {
  const rowNumbers = Array.from({ length: 100 }, (_, i) => String(i + 1));
  const r = inferColumn(rowNumbers, rules);
  assert.equal(r.type, 'numeric');
  assert.match(r.warning ?? '', /distinct consecutive integers/);
  const zips = Array.from({ length: 100 }, (_, i) => String(10000 + ((i * 7919) % 89999)));
  assert.match(inferColumn(zips, rules).warning ?? '', /one width/);
  const prices = Array.from({ length: 100 }, (_, i) => String((i * 37) % 50));
  assert.equal(inferColumn(prices, rules).warning, undefined, 'repeated small integers are no id');
});

test("a column's missing values are the schema's global ones plus its own", () => {
  const schema = { missing_values: ['NA', '?'], features: { age: { missing_values: ['-1'] } } };
  const age = valueRules(schema, 'age', true);
  assert.deepEqual([...age.missingValues].sort(), ['-1', '?', 'NA']);
  assert.equal(age.emptyStringIsNa, true);
  assert.deepEqual([...valueRules(schema, 'city', false).missingValues].sort(), ['?', 'NA']);
  assert.equal(valueRules({}, 'city', false).missingValues.size, 0);
  assert.equal(inferType(['-1', '?', 'NA'], age), 'categorical', 'all missing');
});
