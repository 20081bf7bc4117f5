import assert from 'node:assert/strict';
import { test } from 'node:test';
import { autoInterval, dashboardContext, resolveDataUrl } from '../../src/dashboard/kibana-query.js';

const from = new Date('2026-01-01T00:00:00Z');
const to = new Date('2026-01-01T06:00:00Z');

test('%context% + %timefield%: the dashboard filters, with the time range pushed into must', () => {
  const req = resolveDataUrl(
    { '%context%': true, '%timefield%': '@timestamp', index: 'metrics-mlmon.window-*', body: { size: 0 } },
    { from, to, selections: { model: 'churn', feature: 'age', namespace: 'prod' } },
    { model: 'mlmon.model.name', feature: 'mlmon.feature.name' },
  );
  assert.equal(req.index, 'metrics-mlmon.window-*');
  assert.deepEqual(req.body, {
    size: 0,
    query: {
      bool: {
        must: [
          {
            range: {
              '@timestamp': {
                gte: '2026-01-01T00:00:00.000Z',
                lte: '2026-01-01T06:00:00.000Z',
                format: 'strict_date_optional_time',
              },
            },
          },
        ],
        // namespace has no field in this chart, so it does not narrow it
        filter: [{ term: { 'mlmon.model.name': 'churn' } }, { term: { 'mlmon.feature.name': 'age' } }],
        should: [],
        must_not: [],
      },
    },
  });
});

test('%timefield% alone is a plain range query; neither leaves the body as it is', () => {
  const timeOnly = resolveDataUrl({ '%timefield%': 't', index: 'x', body: {} }, { from, to });
  assert.deepEqual(Object.keys((timeOnly.body.query as { range: object }).range), ['t']);
  const none = resolveDataUrl({ index: 'x', body: { size: 3 } }, { from, to });
  assert.deepEqual(none.body, { size: 3 });
});

test('clause placeholders splice the context in; %timefilter% true, min and max with shift', () => {
  const req = resolveDataUrl(
    {
      index: 'x',
      body: {
        query: {
          bool: {
            must: [
              '%dashboard_context-must_clause%',
              { range: { t: { '%timefilter%': true, shift: -1, unit: 'h' } } },
            ],
            filter: ['%dashboard_context-filter_clause%'],
            must_not: ['%dashboard_context-must_not_clause%'],
          },
        },
        aggs: {
          h: {
            date_histogram: {
              field: 't',
              interval: { '%autointerval%': 12 },
              extended_bounds: {
                min: { '%timefilter%': 'min' },
                max: { '%timefilter%': 'max', shift: 1, unit: 'm' },
              },
            },
          },
        },
      },
    },
    { from, to, selections: { model: 'm' } },
    { model: 'mlmon.model.name' },
  );
  const body = req.body as {
    query: { bool: { must: unknown[]; filter: unknown[]; must_not: unknown[] } };
    aggs: { h: { date_histogram: Record<string, unknown> } };
  };
  assert.deepEqual(body.query.bool.must, [
    {
      range: {
        t: {
          gte: '2025-12-31T23:00:00.000Z',
          lte: '2026-01-01T05:00:00.000Z',
          format: 'strict_date_optional_time',
        },
      },
    },
  ]);
  assert.deepEqual(body.query.bool.filter, [{ term: { 'mlmon.model.name': 'm' } }]);
  assert.deepEqual(body.query.bool.must_not, []);
  assert.deepEqual(body.aggs.h.date_histogram, {
    field: 't',
    // 6 h over 12 buckets: 30 min
    fixed_interval: '30m',
    extended_bounds: { min: from.getTime(), max: to.getTime() + 60_000 },
  });
});

test("intervals: Kibana's rounding of range / 50 and its calendar or fixed choice (es_query_parser.ts, parse_es_interval.ts)", () => {
  const over = (ms: number) => autoInterval(from, new Date(from.getTime() + ms));
  const H = 3_600_000;
  const D = 24 * H;
  // the fixed thresholds, not the nearest round value: 6 h / 50 = 7.2 min is at or under 9 min, so 5m
  assert.equal(autoInterval(from, to), '5m');
  assert.equal(over(H), '1m'); // 72 s
  assert.equal(over(24 * H), '30m'); // 28.8 min
  assert.equal(over(7 * D), '3h'); // 3.36 h
  assert.equal(over(30 * D), '12h'); // 14.4 h
  assert.equal(over(90 * D), '24h'); // 43.2 h
  assert.equal(over(200 * D), '24h'); // 4 days
  assert.equal(over(1000 * D), '1w'); // 20 days
  assert.equal(over(2000 * D), '30d'); // 40 days
  assert.equal(over(3000 * D), '1y'); // 60 days
  assert.equal(over(50 * 500), '100ms'); // at the bound: the smaller interval
  assert.equal(over(50 * 501), '1s');
  const agg = (interval?: string) =>
    (
      resolveDataUrl(
        {
          index: 'x',
          body: { aggs: { h: { date_histogram: { field: 't', interval: { '%autointerval%': true } } } } },
        },
        interval ? { from, to, interval } : { from, to },
      ).body as { aggs: { h: { date_histogram: Record<string, unknown> } } }
    ).aggs.h.date_histogram;
  assert.deepEqual(agg(), { field: 't', fixed_interval: '5m' });
  // one minute, hour or day is a calendar interval in Kibana; a multiple is fixed
  assert.deepEqual(agg('1m'), { field: 't', calendar_interval: '1m' });
  assert.deepEqual(agg('1h'), { field: 't', calendar_interval: '1h' });
  assert.deepEqual(agg('1d'), { field: 't', calendar_interval: '1d' });
  assert.deepEqual(agg('24h'), { field: 't', fixed_interval: '24h' });
  assert.deepEqual(agg('30s'), { field: 't', fixed_interval: '30s' });
  assert.deepEqual(agg('1w'), { field: 't', calendar_interval: '1w' });
  assert.throws(() => agg('2w'), /value must be 1/);
});

test('what Kibana refuses is refused: body.query together with %context%, an unknown %timefilter%', () => {
  assert.throws(
    () => resolveDataUrl({ '%context%': true, index: 'x', body: { query: { match_all: {} } } }, { from, to }),
    /must not be used when body.query is set/,
  );
  assert.throws(
    () =>
      resolveDataUrl(
        { index: 'x', body: { query: { range: { t: { '%timefilter%': 'soon' } } } } },
        { from, to },
      ),
    /%timefilter%/,
  );
  assert.throws(() => resolveDataUrl({ body: {} }, { from, to }), /index/);
});

test('a selection without a value or a field adds no filter', () => {
  assert.deepEqual(dashboardContext({ model: '', feature: 'f' }, { model: 'a' }).bool.filter, []);
});
