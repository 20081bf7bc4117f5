import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Entry } from '../../src/transport/entry.js';
import { EntryQueue } from '../../src/transport/entry-queue.js';

const entry = (id: string, bytes = 10): Entry => ({ id, index: 'logs-x', line: '{}', bytes, attempts: 0 });
const ids = (entries: Entry[]) => entries.map((e) => e.id);

test('takes in order, retries first, within the batch count and bytes', () => {
  const q = new EntryQueue(100, 10_000);
  for (const id of ['a', 'b', 'c', 'd']) q.push(entry(id));
  assert.deepEqual(ids(q.take(2, 10_000)), ['a', 'b']);
  q.requeueFront([entry('r1'), entry('r2')]);
  q.pushRetry(entry('dl'));
  assert.equal(q.hasRetries, true);
  assert.deepEqual(ids(q.take(4, 10_000)), ['r1', 'r2', 'dl', 'c']);
  assert.deepEqual(ids(q.take(10, 10)), ['d']);
  assert.equal(q.docs, 0);
  assert.equal(q.bytes, 0);
});

test('a batch always takes one entry, even one larger than the batch bytes', () => {
  const q = new EntryQueue(100, 10_000);
  q.push(entry('big', 500));
  q.push(entry('small', 5));
  assert.deepEqual(ids(q.take(10, 100)), ['big']);
});

test('the bound counts entries in flight until they land', () => {
  const q = new EntryQueue(3, 1000);
  for (const id of ['a', 'b', 'c']) q.push(entry(id));
  assert.equal(q.fits(10), false);
  const batch = q.take(2, 1000);
  q.fly(batch);
  assert.equal(q.docs, 1);
  assert.equal(q.inFlightDocs, 2);
  assert.equal(q.fits(10), false);
  q.land(batch);
  assert.equal(q.inFlightDocs, 0);
  assert.equal(q.fits(10), true);
  assert.equal(new EntryQueue(100, 25).fits(26), false);
});

test('halfEmpty: room to load a disk segment while at most half the bound is used', () => {
  const q = new EntryQueue(4, 1000);
  q.push(entry('a'));
  q.push(entry('b'));
  assert.equal(q.halfEmpty, true);
  q.push(entry('c'));
  assert.equal(q.halfEmpty, false);
  const bytes = new EntryQueue(100, 100);
  bytes.push(entry('x', 51));
  assert.equal(bytes.halfEmpty, false);
});

test('dropOldest drops fresh entries, oldest first, until the bound holds', () => {
  const q = new EntryQueue(2, 1000);
  for (const id of ['a', 'b', 'c', 'd']) q.push(entry(id));
  assert.equal(q.dropOldest(), 3);
  assert.deepEqual(ids(q.take(10, 1000)), ['d']);
});

test('leftovers: retries, then fresh, then the batches in flight; the waiting queue is emptied', () => {
  const q = new EntryQueue(100, 10_000);
  for (const id of ['a', 'b', 'c']) q.push(entry(id));
  const flying = q.take(1, 10_000);
  q.fly(flying);
  q.requeueFront([entry('r')]);
  assert.deepEqual(ids(q.takeLeftovers()), ['r', 'b', 'c', 'a']);
  assert.equal(q.docs, 0);
  assert.equal(q.bytes, 0);
});

test('the flush interval counts from the oldest waiting entry', () => {
  const q = new EntryQueue(100, 10_000);
  const before = Date.now();
  q.push(entry('a'));
  assert.ok(q.firstQueuedAt >= before);
  q.firstQueuedAt = 1;
  q.push(entry('b'));
  assert.equal(q.firstQueuedAt, 1, 'a second entry does not move it');
});

test('a long FIFO compacts without losing order', () => {
  const q = new EntryQueue(100_000, 10_000_000);
  for (let i = 0; i < 10_000; i++) q.push(entry(String(i)));
  const taken: string[] = [];
  while (q.docs > 0) taken.push(...ids(q.take(700, 10_000_000)));
  assert.deepEqual(
    taken,
    Array.from({ length: 10_000 }, (_, i) => String(i)),
  );
});
