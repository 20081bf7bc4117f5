import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  classifyItem,
  classifyRequestFailure,
  type ItemAttempt,
  isRetryableStatus,
} from '../../src/transport/item-outcome.js';

const first: ItemAttempt = { attempts: 0, maxItemRetries: 5, isDeadLetter: false };
const deadLetter: ItemAttempt = { ...first, isDeadLetter: true };

describe('classifyItem: one item of a bulk answer', () => {
  test('2xx is stored; a stored dead letter counts as dead-lettered', () => {
    for (const status of [200, 201, 299]) {
      assert.deepEqual(classifyItem({ status }, first), { kind: 'stored', counter: 'indexed' });
      assert.deepEqual(classifyItem({ status }, deadLetter), { kind: 'stored', counter: 'deadLettered' });
    }
  });

  test('2xx into the failure store counts as dead-lettered, whatever the document', () => {
    assert.deepEqual(classifyItem({ status: 201, failureStore: 'used' }, first), { kind: 'failure_store' });
    assert.deepEqual(classifyItem({ status: 201, failureStore: 'used' }, deadLetter), {
      kind: 'failure_store',
    });
    // only "used" means the failure store took it
    assert.deepEqual(classifyItem({ status: 201, failureStore: 'not_applicable_or_unknown' }, first), {
      kind: 'stored',
      counter: 'indexed',
    });
  });

  test('409 (create with our id) means it arrived in an earlier attempt: counted as stored', () => {
    assert.deepEqual(classifyItem({ status: 409 }, first), { kind: 'conflict', counter: 'indexed' });
    assert.deepEqual(classifyItem({ status: 409 }, deadLetter), {
      kind: 'conflict',
      counter: 'deadLettered',
    });
    // whatever the attempt count: idempotent, never a retry
    assert.equal(classifyItem({ status: 409 }, { ...first, attempts: 99 }).kind, 'conflict');
  });

  test('429 is retried with backoff, without counting an attempt', () => {
    const out = { kind: 'retry', throttle: true, countsAttempt: false };
    assert.deepEqual(classifyItem({ status: 429 }, first), out);
    // no attempt limit for throttling
    assert.deepEqual(classifyItem({ status: 429 }, { ...first, attempts: 1000 }), out);
  });

  test('502, 503 and 504 are outages: retried without limit and without throttling', () => {
    for (const status of [502, 503, 504]) {
      const out = { kind: 'retry', throttle: false, countsAttempt: false };
      assert.deepEqual(classifyItem({ status }, first), out);
      assert.deepEqual(classifyItem({ status }, { ...first, attempts: 1000 }), out);
      assert.deepEqual(classifyItem({ status }, deadLetter), out);
    }
  });

  test('500 is retried up to maxItemRetries (5) attempts, then dead-lettered', () => {
    const retry = { kind: 'retry', throttle: false, countsAttempt: true };
    for (let attempts = 0; attempts < 5; attempts++)
      assert.deepEqual(classifyItem({ status: 500 }, { ...first, attempts }), retry, `attempt ${attempts}`);
    assert.deepEqual(classifyItem({ status: 500 }, { ...first, attempts: 5 }), { kind: 'dead_letter' });
    assert.deepEqual(classifyItem({ status: 500 }, { ...deadLetter, attempts: 5 }), { kind: 'failed' });
    // the limit is the option's
    assert.equal(
      classifyItem({ status: 500 }, { ...first, attempts: 1, maxItemRetries: 1 }).kind,
      'dead_letter',
    );
    // other 5xx the same way
    assert.deepEqual(classifyItem({ status: 501 }, first), retry);
    assert.equal(classifyItem({ status: 507 }, { ...first, attempts: 5 }).kind, 'dead_letter');
  });

  test('401 and 403 keep the document (with backoff) instead of dead-lettering it', () => {
    for (const status of [401, 403]) {
      assert.deepEqual(classifyItem({ status }, first), { kind: 'auth_keep' });
      assert.deepEqual(classifyItem({ status }, { ...deadLetter, attempts: 99 }), { kind: 'auth_keep' });
    }
  });

  test('400 (mapping and parsing errors) and other 4xx: dead letter; a rejected dead letter fails', () => {
    for (const status of [400, 404, 413]) {
      assert.deepEqual(classifyItem({ status }, first), { kind: 'dead_letter' }, `status ${status}`);
      assert.deepEqual(classifyItem({ status }, deadLetter), { kind: 'failed' }, `status ${status}`);
    }
  });

  test('statuses outside every family (no status, 1xx, 3xx) are dead-lettered', () => {
    for (const status of [0, 100, 301])
      assert.deepEqual(classifyItem({ status }, first), { kind: 'dead_letter' }, `status ${status}`);
  });
});

describe('classifyRequestFailure: a bulk request without item answers', () => {
  test('no answer at all (connection, timeout, wrong item count): unavailable, kept', () => {
    assert.deepEqual(classifyRequestFailure(undefined, 10), { kind: 'unavailable' });
    assert.deepEqual(classifyRequestFailure(undefined, 1), { kind: 'unavailable' });
  });

  test('413 halves the batch size, rounding up; a single document cannot be halved and is rejected', () => {
    assert.deepEqual(classifyRequestFailure(413, 2000), { kind: 'halve', batchSize: 1000 });
    assert.deepEqual(classifyRequestFailure(413, 5), { kind: 'halve', batchSize: 3 });
    assert.deepEqual(classifyRequestFailure(413, 2), { kind: 'halve', batchSize: 1 });
    assert.deepEqual(classifyRequestFailure(413, 1), { kind: 'reject' });
  });

  test('401 and 403: kept and retried, with the status for the report', () => {
    assert.deepEqual(classifyRequestFailure(401, 10), { kind: 'auth_keep', status: 401 });
    assert.deepEqual(classifyRequestFailure(403, 10), { kind: 'auth_keep', status: 403 });
  });

  test('429 and every 5xx: the cluster is unavailable, kept', () => {
    for (const status of [429, 500, 502, 503, 504, 599])
      assert.deepEqual(classifyRequestFailure(status, 10), { kind: 'unavailable' }, `status ${status}`);
  });

  test('other statuses (400, 404, an answer without status): the whole batch is rejected', () => {
    for (const status of [0, 400, 404, 409])
      assert.deepEqual(classifyRequestFailure(status, 10), { kind: 'reject' }, `status ${status}`);
  });
});

test('the retryable statuses are 429, 502, 503, 504', () => {
  for (let s = 100; s < 600; s++)
    assert.equal(isRetryableStatus(s), [429, 502, 503, 504].includes(s), `${s}`);
});
