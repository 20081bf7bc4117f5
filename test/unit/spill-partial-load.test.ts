import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Entry, entryBytes } from '../../src/transport/entry.js';
import { EntryQueue } from '../../src/transport/entry-queue.js';
import { SpillStore } from '../../src/transport/spill.js';

function entry(i: number): Entry {
  const line = JSON.stringify({ mlmon: { prediction_id: `e${i}` }, features: { i } });
  return { id: `e${i}`, index: 'logs-mlmon.predictions-x', line, bytes: entryBytes(line), attempts: 0 };
}

function store(t: { after(fn: () => void): void }): SpillStore {
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-partial-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return new SpillStore(
    {
      baseDir: dir,
      maxBytes: 1024 * 1024 * 1024,
      segmentBytes: 4 * 1024 * 1024,
      fsync: 'never',
      fsyncIntervalMs: 1000,
      predictionsIndex: 'logs-mlmon.predictions-x',
      deadLetterIndex: 'logs-mlmon.dead_letters-x',
    },
    () => undefined,
  );
}

test('a segment larger than the room in memory is loaded in parts; the file goes once every record is settled', async (t) => {
  const spill = store(t);
  // one burst: a single segment of 1,000 records
  for (let i = 0; i < 1000; i++) spill.append(entry(i));
  await spill.settle();
  assert.equal(spill.docs, 1000);
  const loaded: Entry[] = [];
  const parts: number[] = [];
  for (let k = 0; k < 10 && spill.hasData; k++) {
    await spill.takeOldest(
      (entries) => {
        parts.push(entries.length);
        loaded.push(...entries);
      },
      () => ({ docs: 300, bytes: Number.POSITIVE_INFINITY }),
    );
    // what is not loaded yet is still counted on disk
    assert.equal(spill.docs, 1000 - loaded.length);
  }
  assert.deepEqual(parts, [300, 300, 300, 100]);
  assert.deepEqual(
    loaded.map((e) => e.id),
    Array.from({ length: 1000 }, (_, i) => `e${i}`),
  );
  const path = (loaded[0] as Entry).segment?.path as string;
  for (const e of loaded.slice(0, 999)) spill.settleEntry(e.segment as NonNullable<Entry['segment']>);
  assert.equal(existsSync(path), true, 'one record unsettled: the file stays');
  spill.settleEntry((loaded[999] as Entry).segment as NonNullable<Entry['segment']>);
  assert.equal(existsSync(path), false);
  assert.equal(spill.bytes, 0);
});

test('a part stops at the room in bytes, and takes one record at least', async (t) => {
  const spill = store(t);
  for (let i = 0; i < 100; i++) spill.append(entry(i));
  await spill.settle();
  const lineBytes = entry(0).bytes + 'e0'.length + 4;
  const parts: number[] = [];
  await spill.takeOldest(
    (entries) => parts.push(entries.length),
    () => ({ docs: 1000, bytes: lineBytes * 10 + 5 }),
  );
  await spill.takeOldest(
    (entries) => parts.push(entries.length),
    () => ({ docs: 1000, bytes: 0 }),
  );
  assert.deepEqual(parts, [10, 1]);
  assert.equal(spill.docs, 89);
});

test('held predictions count against the memory bound until released', () => {
  const q = new EntryQueue(3, 1000);
  q.reserve(2, 200);
  assert.equal(q.fits(10), true);
  q.reserve(1, 100);
  assert.equal(q.fits(10), false);
  assert.deepEqual(q.room(), { docs: 0, bytes: 700 });
  q.reserve(-3, -300);
  assert.deepEqual(q.room(50), { docs: 3, bytes: 950 });
});
