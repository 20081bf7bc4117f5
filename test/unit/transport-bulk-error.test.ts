import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errors } from '@elastic/elasticsearch';
import { BulkRequestError, toBulkRequestError } from '../../src/transport/bulk.js';

// a ResponseError as the client builds it; the request meta it also carries plays no part here
const answer = (statusCode: number | undefined, body: unknown) =>
  new errors.ResponseError({ body, statusCode, headers: {}, warnings: null, meta: {} } as never);

test("an answer of the cluster carries its status and the server's own reason", () => {
  const thrown = answer(403, {
    error: { type: 'security_exception', reason: 'action [indices:data/write/bulk] is unauthorized' },
  });
  const e = toBulkRequestError(thrown);
  assert.ok(e instanceof BulkRequestError);
  assert.equal(e.status, 403);
  assert.equal(e.reason, 'action [indices:data/write/bulk] is unauthorized');
  assert.equal(e.message, thrown.message);
  assert.equal(e.cause, thrown);
});

test('an answer without a reason or a status: the message, and status 0', () => {
  const e = toBulkRequestError(answer(undefined, 'Request Entity Too Large'));
  assert.equal(e.status, 0);
  assert.equal(e.reason, 'Request Entity Too Large');
  assert.equal(toBulkRequestError(answer(413, undefined)).status, 413);
});

test('no answer at all (connection, timeout) or a non-Error thrown: no status', () => {
  const refused = new errors.ConnectionError('connect ECONNREFUSED 127.0.0.1:9200');
  const e = toBulkRequestError(refused);
  assert.equal(e.status, undefined);
  assert.equal(e.reason, 'connect ECONNREFUSED 127.0.0.1:9200');
  assert.equal(e.cause, refused);
  assert.equal(toBulkRequestError(new errors.TimeoutError('Request timed out')).status, undefined);
  const odd = toBulkRequestError('boom');
  assert.equal(odd.status, undefined);
  assert.equal(odd.message, 'boom');
});
