/**
 * The disk buffer under real faults (README, "The disk buffer"): a read-only folder, a disk full
 * at start and full mid-run (a 2 MB tmpfs), a corrupted and a planted segment, another user's
 * folder, a group-writable folder. Each is a `warn` event after construction, sets `lastError`,
 * and the counts add up exactly: logged + adopted = indexed + deadLettered + failed + queued +
 * inFlight + spilledDocs + dropped. Needs root (mount, chown), as the test machines run.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { v7 as uuidv7 } from 'uuid';
import { dataStreamName } from '../../src/transport/document.js';
import { MlInputTransport, type MlInputTransportOptions } from '../../src/transport/ml-input-transport.js';
import type { TransportProblem, TransportStats } from '../../src/transport/transport-stats.js';
import { cleanup, testClient, uniqueNamespace } from '../helpers/cluster.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { eventually, storedSummary } from '../helpers/stored.js';
import { installPredictionTemplate } from '../helpers/templates.js';

const client = testClient();
/** mount, umount and chown need root (the test machines and CI run as root) */
const needsRoot =
  process.getuid?.() === 0 ? false : 'needs root: it mounts tmpfs file systems and chowns folders';
const targetUrl = (client.connectionPool.connections[0]?.url.toString() ?? '').replace(/\/$/, '');

type T = { after(fn: () => unknown): void };

async function setup(t: T): Promise<string> {
  const namespace = uniqueNamespace();
  const templates = await installPredictionTemplate(client, namespace);
  t.after(() =>
    cleanup(client, {
      dataStreams: [dataStreamName(namespace), `logs-mlmon.dead_letters-${namespace}`],
      indexTemplates: templates,
    }),
  );
  return namespace;
}

function tempDir(t: T, prefix = 'mlmon-disk-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A real small file system: ENOSPC for real. Unmounted after the test (lazily: a handle may linger). */
function tmpfs(t: T, size: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir]);
  t.after(() => {
    execFileSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

async function refusingProxy(t: T): Promise<FaultProxy> {
  const proxy = new FaultProxy(targetUrl);
  await proxy.start();
  await proxy.stop();
  t.after(() => proxy.stop());
  return proxy;
}

/** A transport and every problem it reports; the listener is attached after construction, as an application does. */
function transport(t: T, opts: MlInputTransportOptions) {
  const tr = new MlInputTransport({
    model: 'm',
    version: '1',
    retryInitialMs: 20,
    retryMaxMs: 200,
    checkTemplate: false,
    baseline: false,
    ...opts,
  });
  const problems: TransportProblem[] = [];
  tr.on('warn', (p: TransportProblem) => problems.push(p));
  t.after(() => tr.shutdown({ timeoutMs: 1000 }));
  return { tr, problems };
}

function features(i: number, pad = 0) {
  return { i, group: `g${i % 7}`, note: 'x'.repeat(pad) };
}

function assertBalanced(s: TransportStats): void {
  assert.equal(
    s.logged + s.adopted,
    s.indexed + s.deadLettered + s.failed + s.queued + s.inFlight + s.spilledDocs + s.dropped,
    `counts do not add up: ${JSON.stringify(s)}`,
  );
}

async function settle(tr: MlInputTransport): Promise<TransportStats> {
  assert.equal(await tr.flush(60_000), true, `flush did not finish: ${JSON.stringify(tr.stats())}`);
  return tr.stats();
}

const codes = (problems: TransportProblem[]) => problems.map((p) => p.code);

test('a read-only disk buffer is reported after construction and sets lastError; documents go through memory', {
  skip: needsRoot,
}, async (t) => {
  const namespace = await setup(t);
  const mount = tmpfs(t, '2m');
  mkdirSync(join(mount, 'buffer'), { mode: 0o700 });
  execFileSync('mount', ['-o', 'remount,ro', mount]);
  const { tr, problems } = transport(t, { client, namespace, spillDir: join(mount, 'buffer') });
  for (let i = 0; i < 200; i++) tr.logPrediction({ features: features(i) });
  const s = await settle(tr);
  const warn = problems.find((p) => p.code === 'spill_unavailable');
  assert.ok(warn, `no spill_unavailable warning: ${codes(problems)}`);
  assert.match(warn.message, /EROFS|read-only/);
  assert.match(s.lastError?.message ?? '', /disk buffer unavailable/);
  assert.equal(s.indexed, 200);
  assertBalanced(s);
  assert.deepEqual(await storedSummary(client, dataStreamName(namespace)), { total: 200, duplicates: [] });
  await tr.shutdown();
});

test('a disk full at start is reported (ENOSPC) and the transport keeps to memory', {
  skip: needsRoot,
}, async (t) => {
  const namespace = await setup(t);
  const mount = tmpfs(t, '2m');
  // fill it: bounded, 2 MB in 64 KiB pieces at most
  const chunk = Buffer.alloc(64 * 1024, 1);
  let full = false;
  for (let i = 0; i < 64 && !full; i++) {
    try {
      appendFileSync(join(mount, 'filler'), chunk);
    } catch (err) {
      full = (err as NodeJS.ErrnoException).code === 'ENOSPC';
    }
  }
  assert.ok(full, 'the tmpfs filled up');
  const dir = join(mount, 'buffer');
  const { tr, problems } = transport(t, { client, namespace, spillDir: dir });
  for (let i = 0; i < 200; i++) tr.logPrediction({ features: features(i) });
  const s = await settle(tr);
  assert.match(problems.find((p) => p.code === 'spill_unavailable')?.message ?? '', /ENOSPC/);
  assert.ok(s.lastError);
  assert.equal(s.indexed, 200);
  assertBalanced(s);
  assert.deepEqual(readdirSync(dir), [], 'the failed claim left nothing behind');
  await tr.shutdown();
});

test('a disk that fills up during an outage: warned, the documents of the failed writes kept in memory, every one counted and stored once', {
  skip: needsRoot,
}, async (t) => {
  const namespace = await setup(t);
  const mount = tmpfs(t, '2m');
  const proxy = await refusingProxy(t);
  const { tr, problems } = transport(t, {
    node: proxy.url,
    namespace,
    spillDir: join(mount, 'buffer'),
    spillSegmentBytes: 256 * 1024,
  });
  const n = 4000;
  // ~1.1 KB each: about 4.4 MB for a 2 MB disk
  for (let i = 0; i < n; i++) {
    tr.logPrediction({ features: features(i, 1000), id: `f-${i}` });
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, 2));
  }
  await eventually(() => problems.some((p) => p.code === 'spill_write_failed'), 'writes fail with ENOSPC');
  const warn = problems.find((p) => p.code === 'spill_write_failed');
  assert.ok(warn, `no spill_write_failed: ${codes(problems)}`);
  assert.match(warn.message, /ENOSPC/);
  assert.match(tr.stats().lastError?.message ?? '', /disk buffer write failed/);
  assertBalanced(tr.stats());
  await proxy.start();
  const s = await settle(tr);
  assertBalanced(s);
  assert.equal(s.logged, n);
  // the memory bound (20,000 documents, 32 MiB) holds all 4,000: the failed writes lose nothing
  assert.equal(s.dropped, 0, JSON.stringify(s));
  assert.equal(s.indexed, n, JSON.stringify(s));
  assert.deepEqual(await storedSummary(client, dataStreamName(namespace)), {
    total: s.indexed,
    duplicates: [],
  });
  const report = await tr.shutdown();
  assert.equal(report.logged, n);
  assert.equal(report.indexed + report.dropped + report.savedToDisk, n, JSON.stringify(report));
});

test('a disk that fills up with a small memory bound: what neither holds is dropped, warned and counted exactly; the rest is stored once', {
  skip: needsRoot,
}, async (t) => {
  const namespace = await setup(t);
  const mount = tmpfs(t, '2m');
  const proxy = await refusingProxy(t);
  const { tr, problems } = transport(t, {
    node: proxy.url,
    namespace,
    spillDir: join(mount, 'buffer'),
    spillSegmentBytes: 128 * 1024,
    maxQueueDocs: 500,
    maxQueueBytes: 1024 * 1024,
    batchSize: 100,
  });
  const n = 4000;
  for (let i = 0; i < n; i++) {
    tr.logPrediction({ features: features(i, 1000), id: `g-${i}` });
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, 2));
  }
  await eventually(() => tr.stats().dropped > 0, 'the memory bound is reached while the disk is full');
  assert.ok(problems.some((p) => p.code === 'spill_write_failed' || p.code === 'dropped_overflow'));
  assert.ok(tr.stats().lastError);
  assertBalanced(tr.stats());
  await proxy.start();
  const s = await settle(tr);
  assertBalanced(s);
  assert.equal(s.logged, n);
  assert.equal(s.indexed + s.dropped, n, JSON.stringify(s));
  assert.ok(s.indexed > 0 && s.dropped > 0, JSON.stringify(s));
  assert.deepEqual(await storedSummary(client, dataStreamName(namespace)), {
    total: s.indexed,
    duplicates: [],
  });
  await tr.shutdown();
});

test('corrupted and planted segment lines are dead-lettered one by one; their 1,000 neighbours are stored; nothing lands outside our streams', {
  skip: needsRoot,
}, async (t) => {
  const namespace = await setup(t);
  const dir = tempDir(t);
  const proxy = await refusingProxy(t);
  // a real segment of 1,000 documents, left by a run that could not reach the cluster
  const first = transport(t, { node: proxy.url, namespace, spillDir: dir });
  for (let i = 0; i < 1000; i++) first.tr.logPrediction({ features: features(i), id: `n-${i}` });
  const report = await first.tr.shutdown({ timeoutMs: 200 });
  assert.equal(report.savedToDisk, 1000);
  const owners = readdirSync(dir);
  assert.equal(owners.length, 1);
  const segDir = join(dir, owners[0] as string);
  const segs = readdirSync(segDir).filter((f) => f.startsWith('seg-'));
  assert.ok(segs.length >= 1);
  const segment = join(segDir, segs[segs.length - 1] as string);
  const doc = JSON.stringify({ '@timestamp': new Date().toISOString(), mlmon: { prediction_id: 'x' } });
  appendFileSync(
    segment,
    [
      `p\t${'a'.repeat(600)}\t${doc}`, // an _id Elasticsearch refuses with a 400 for the whole request
      '\u0000\u0001\u0002 corrupted bytes',
      `planted-1\tmlmon-baselines\t{"id":"planted-1"}`, // the old format, naming another index
      `p\t${uuidv7()}\t{"@timest`, // torn by a crash
    ].join('\n'),
  );
  // a planted folder of a "dead owner": a symbolic link posing as a segment is left alone
  const planted = join(dir, 'cafebabe');
  mkdirSync(planted, { mode: 0o700 });
  symlinkSync('/etc/hostname', join(planted, `seg-${uuidv7()}.ndjson`));

  const before = await client
    .count({ index: 'mlmon-baselines', ignore_unavailable: true })
    .catch(() => ({ count: 0 }));
  const { tr, problems } = transport(t, { client, namespace, spillDir: dir });
  const s = await settle(tr);
  assert.equal(s.indexed, 1000, JSON.stringify(s));
  assert.equal(s.deadLettered, 4, JSON.stringify(s));
  assert.equal(s.adopted, 1004);
  assert.equal(s.failed + s.dropped, 0);
  assertBalanced(s);
  assert.equal(
    problems.filter((p) => p.code === 'spill_malformed_line').reduce((n, p) => n + (p.count ?? 0), 0),
    4,
  );
  assert.ok(problems.some((p) => p.code === 'spill_adopt_failed' && /symbolic link/.test(p.message)));
  assert.ok(s.lastError);
  assert.deepEqual(await storedSummary(client, dataStreamName(namespace)), { total: 1000, duplicates: [] });
  const dlIndex = `logs-mlmon.dead_letters-${namespace}`;
  await client.indices.refresh({ index: dlIndex });
  const dl = await client.search<{ error: { type: string }; mlmon: { dead_letter: { original: string } } }>({
    index: dlIndex,
    size: 10,
  });
  assert.deepEqual(
    dl.hits.hits.map((h) => h._source?.error.type),
    ['malformed_spill_line', 'malformed_spill_line', 'malformed_spill_line', 'malformed_spill_line'],
  );
  assert.ok(
    dl.hits.hits.some((h) => h._source?.mlmon.dead_letter.original.startsWith('planted-1\tmlmon-baselines')),
  );
  const afterCount = await client
    .count({ index: 'mlmon-baselines', ignore_unavailable: true })
    .catch(() => ({ count: 0 }));
  assert.equal(afterCount.count, before.count, 'nothing was written into mlmon-baselines');
  const elsewhere = await client.search({
    index: '*,-.*',
    size: 0,
    query: { ids: { values: ['planted-1'] } },
    ignore_unavailable: true,
  });
  assert.equal((elsewhere.hits.total as { value: number }).value, 0);
  await tr.shutdown();
  // the symbolic link's folder is left as it was; ours is gone
  assert.deepEqual(readdirSync(dir), ['cafebabe']);
});

test("another user's folder and a group-writable folder are refused; created folders are 0700 and files 0600", {
  skip: needsRoot,
}, async (t) => {
  const namespace = await setup(t);
  const root = tempDir(t);
  const theirs = join(root, 'theirs');
  mkdirSync(theirs, { mode: 0o700 });
  chownSync(theirs, 65534, 65534); // nobody
  const a = transport(t, { client, namespace, spillDir: theirs });
  const shared = join(root, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o775);
  const b = transport(t, { client, namespace, spillDir: shared });
  for (let i = 0; i < 50; i++) {
    a.tr.logPrediction({ features: features(i) });
    b.tr.logPrediction({ features: features(i) });
  }
  const sa = await settle(a.tr);
  const sb = await settle(b.tr);
  assert.match(
    a.problems.find((p) => p.code === 'spill_unavailable')?.message ?? '',
    /belongs to another user/,
  );
  assert.match(
    b.problems.find((p) => p.code === 'spill_unavailable')?.message ?? '',
    /writable by group or others/,
  );
  assert.equal(sa.indexed + sb.indexed, 100);
  assert.deepEqual(readdirSync(theirs), [], "nothing written into another user's folder");
  assert.deepEqual(readdirSync(shared), []);

  const proxy = await refusingProxy(t);
  const fresh = join(root, 'new', 'buffer');
  const c = transport(t, { node: proxy.url, namespace, spillDir: fresh });
  for (let i = 0; i < 300; i++) c.tr.logPrediction({ features: features(i) });
  await eventually(() => {
    const [owner] = readdirSync(fresh);
    return owner !== undefined && readdirSync(join(fresh, owner)).some((f) => f.startsWith('seg-'));
  }, 'written ahead to disk during the outage');
  const mode = (p: string) => statSync(p).mode & 0o777;
  assert.equal(mode(join(root, 'new')), 0o700);
  assert.equal(mode(fresh), 0o700);
  const owner = join(fresh, readdirSync(fresh)[0] as string);
  assert.equal(mode(owner), 0o700);
  for (const f of readdirSync(owner).filter((f) => f.startsWith('seg-')))
    assert.equal(mode(join(owner, f)), 0o600);
  await proxy.start();
  const sc = await settle(c.tr);
  assert.equal(sc.indexed, 300);
  assertBalanced(sc);
});

after(() => client.close());
