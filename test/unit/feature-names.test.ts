import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { estypes } from '@elastic/elasticsearch';
import type { Baseline } from '../../src/contract/baseline-document.js';
import type { FeatureStatistics } from '../../src/contract/window-metrics.js';
import { featureNames, nearestName } from '../../src/metrics/feature-names.js';

test('the nearest baseline name, when it is a likely typo', () => {
  const names = ['age', 'income', 'signup_date', 'plan'];
  assert.equal(nearestName('agee', names), 'age');
  assert.equal(nearestName('incme', names), 'income');
  assert.equal(nearestName('signupdate', names), 'signup_date');
  // nothing near: no suggestion
  assert.equal(nearestName('latitude', names), undefined);
  assert.equal(nearestName('x', []), undefined);
});

test('names in the documents the baseline lacks, and baseline features without a value', () => {
  const b = { features: { age: {}, plan: {} } } as unknown as Baseline;
  const res = {
    hits: {
      hits: [
        { _source: { mlmon: { features: { num: { agee: 3 }, cat: { plan: 'a' } } } } },
        { _source: { mlmon: { features: { text: { comment: 'hi' } } } } },
      ],
    },
  } as unknown as estypes.SearchResponse;
  const stats = {
    age: { count: 0 } as FeatureStatistics,
    plan: { count: 2 } as FeatureStatistics,
  };
  assert.deepEqual(featureNames(b, res, 2, stats), {
    unknown: [{ feature: 'agee', closest: 'age' }, { feature: 'comment' }],
    never_seen: ['age'],
  });
  // an empty window tells nothing about what production sends
  assert.deepEqual(featureNames(b, { hits: { hits: [] } } as unknown as estypes.SearchResponse, 0, stats), {
    unknown: [],
    never_seen: [],
  });
});
