import assert from 'node:assert/strict';
import { test } from 'node:test';
import { valueRules } from '../../src/baseline/schema.js';
import { columnType, inferType } from '../../src/baseline/type-inference.js';
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
  assert.equal(columnType({ type: 'categorical' }, ['1', '2'], rules), 'categorical');
  assert.equal(columnType({ missing_values: ['-1'] }, ['1', '2'], rules), 'numeric');
  assert.equal(columnType(undefined, ['true'], rules), 'boolean');
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
