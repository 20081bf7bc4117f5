import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  evaluateCondition,
  lenientCompare,
  resolveDateMath,
  resolvePath,
  type WatchContext,
} from '../helpers/watcher-condition.js';

const ctx = (payload: unknown, metadata: Record<string, unknown> = {}): WatchContext => ({
  ctx: { payload, metadata },
});

test('paths walk objects and arrays by index; a missing step or a dotted field name gives null', () => {
  const model = ctx({ hits: { total: 3, hits: [{ _source: { a: 1 } }] }, 'x.y': 5 });
  assert.equal(resolvePath(model, 'ctx.payload.hits.total'), 3);
  assert.equal(resolvePath(model, 'ctx.payload.hits.hits.0._source.a'), 1);
  assert.equal(resolvePath(model, 'ctx.payload.hits.hits.1._source.a'), null);
  assert.equal(resolvePath(model, 'ctx.payload.hits.hits.first'), null);
  // the documented caveat: a key containing a dot is out of reach
  assert.equal(resolvePath(model, 'ctx.payload.x.y'), null);
});

test('compare: the configured value picks numeric, string or date comparison; null never orders', () => {
  const model = ctx({ n: 5, s: '5', word: 'beta', none: null, t: '2026-01-01T00:00:00Z' }, { limit: 4 });
  const cmp = (path: string, op: string, value: unknown) =>
    evaluateCondition({ compare: { [path]: { [op]: value } } }, model, new Date('2026-01-01T00:03:00Z'));
  assert.equal(cmp('ctx.payload.n', 'gte', 5), true);
  assert.equal(cmp('ctx.payload.n', 'gt', 5), false);
  assert.equal(cmp('ctx.payload.n', 'lt', 6), true);
  assert.equal(cmp('ctx.payload.n', 'lte', 4), false);
  assert.equal(cmp('ctx.payload.n', 'eq', 5), true);
  assert.equal(cmp('ctx.payload.n', 'not_eq', 5), false);
  // a numeric string on the payload side is parsed when the configured value is a number
  assert.equal(cmp('ctx.payload.s', 'eq', 5), true);
  assert.equal(cmp('ctx.payload.word', 'gt', 1), false);
  assert.equal(cmp('ctx.payload.word', 'lt', 1), false);
  // strings compare as strings
  assert.equal(cmp('ctx.payload.word', 'gt', 'alpha'), true);
  // null: only not_eq holds
  assert.equal(cmp('ctx.payload.none', 'gte', 0), false);
  assert.equal(cmp('ctx.payload.none', 'lt', 0), false);
  assert.equal(cmp('ctx.payload.none', 'not_eq', 0), true);
  assert.equal(cmp('ctx.payload.missing', 'eq', null), true);
  // a value read from the context, and date math
  assert.equal(cmp('ctx.payload.n', 'gt', '{{ctx.metadata.limit}}'), true);
  assert.equal(cmp('ctx.payload.t', 'gte', '<{now-5m}>'), true);
  assert.equal(cmp('ctx.payload.t', 'gte', '<{now-1m}>'), false);
  // objects and arrays: equality only
  assert.equal(evaluateCondition({ compare: { 'ctx.payload.a': { eq: [1, 2] } } }, ctx({ a: [1, 2] })), true);
  assert.throws(() => evaluateCondition({ compare: { 'ctx.payload.a': { gt: [1] } } }, ctx({ a: [1] })));
  assert.throws(() => evaluateCondition({ compare: { 'ctx.payload.n': { above: 1 } } }, model), /operator/);
});

test('array_compare: some needs one element, all every element; empty arrays; a missing path is an empty list; non-arrays are errors', () => {
  const buckets = [{ c: { v: 3 } }, { c: { v: 30 } }, { c: {} }];
  const model = ctx({ b: buckets, empty: [], flat: [1, 2, 3] });
  const ac = (op: string, value: unknown, quantifier?: string, path = 'ctx.payload.b', elPath = 'c.v') =>
    evaluateCondition(
      {
        array_compare: {
          [path]: {
            ...(elPath ? { path: elPath } : {}),
            [op]: { value, ...(quantifier ? { quantifier } : {}) },
          },
        },
      },
      model,
    );
  assert.equal(ac('gte', 25), true); // some is the default
  assert.equal(ac('gte', 25, 'all'), false);
  assert.equal(ac('gte', 3, 'all'), false); // the element without a value never matches
  assert.equal(ac('lt', 1, 'some'), false);
  assert.equal(ac('gte', 0, 'all', 'ctx.payload.empty'), true);
  assert.equal(ac('gte', 0, 'some', 'ctx.payload.empty'), false);
  // no path: the elements themselves
  assert.equal(ac('gt', 2, 'some', 'ctx.payload.flat', ''), true);
  assert.equal(ac('gt', 0, 'all', 'ctx.payload.flat', ''), true);
  // x-pack/plugin/watcher/src/main/java/org/elasticsearch/xpack/watcher/condition/ArrayCompareCondition.java:
  // a missing or null path is an empty list (some: false, all: true), not an error
  assert.equal(ac('gt', 0, 'some', 'ctx.payload.missing'), false);
  assert.equal(ac('gt', 0, 'all', 'ctx.payload.missing'), true);
  assert.throws(() => ac('gt', 0, 'some', 'ctx.payload.b.0'), /did not evaluate to an array/);
  assert.throws(() => ac('gt', 0, 'most'), /quantifier/);
});

test('always, never; script conditions are refused (no Painless here)', () => {
  assert.equal(evaluateCondition({ always: {} }, ctx({})), true);
  assert.equal(evaluateCondition({ never: {} }, ctx({})), false);
  assert.throws(() => evaluateCondition({ script: { source: 'true' } }, ctx({})), /Painless/);
});

test('lenient comparison and date math details', () => {
  assert.equal(lenientCompare('1e2', 100), 0);
  assert.equal(lenientCompare(' 7 ', 7), 0);
  assert.equal(lenientCompare('', 0), null);
  assert.equal(lenientCompare(Number.NaN, 1), null);
  assert.equal(lenientCompare(true, 1), null);
  const now = new Date('2026-03-15T10:47:31.250Z');
  assert.equal(resolveDateMath('now', now).toISOString(), '2026-03-15T10:47:31.250Z');
  assert.equal(resolveDateMath('now-5m', now).toISOString(), '2026-03-15T10:42:31.250Z');
  assert.equal(resolveDateMath('now-1d/d', now).toISOString(), '2026-03-14T00:00:00.000Z');
  assert.equal(resolveDateMath('now+1h/h', now).toISOString(), '2026-03-15T11:00:00.000Z');
  assert.equal(resolveDateMath('now-1M/M', now).toISOString(), '2026-02-01T00:00:00.000Z');
  assert.throws(() => resolveDateMath('yesterday', now), /date math/);
});
