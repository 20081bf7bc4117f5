import {
  closeSync,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { type Entry, entryBytes, type SegmentRef } from './entry.js';
import { ensurePrivateDir, SEGMENT_MODE } from './spill-dir.js';
import { decodeSpillLine, encodeSpillLine, type SpillKind } from './spill-line.js';
import { OwnedDir, ownerAlive, SOCKET_NAME } from './spill-owner.js';

/**
 * The disk buffer: segment files of lines (spill-line.ts), oldest first by name (UUIDv7,
 * time-ordered), in a folder this process owns (spill-owner.ts: a listening socket the kernel
 * closes when the process dies). A later process adopts the segments of owners that are gone, so
 * what one run could not send, the next one sends.
 *
 * Durability (`fsync`): a process crash loses only what was not yet handed to the kernel (the
 * pending writes, usually a few milliseconds). For a machine crash: `interval` (default) syncs the
 * open segment at most `fsyncIntervalMs` after a write, `segment` when a segment is sealed,
 * `always` after every write, `never` leaves it to the OS. Writes are asynchronous and never block
 * logging; the bytes waiting to be written count against the memory bound (`pendingBytes`).
 */
export interface SpillOptions {
  baseDir: string;
  maxBytes: number;
  segmentBytes: number;
  fsync: 'never' | 'segment' | 'interval' | 'always';
  fsyncIntervalMs: number;
  /** where replayed records go: the transport decides, the segment line does not say */
  predictionsIndex: string;
  deadLetterIndex: string;
  /** where replayed labels (`logLabel`) go; without it a label line goes to the dead-letter index, never to predictions */
  labelsIndex?: string;
}

/** A line that could not be read back: dead-lettered alone, its neighbours delivered. */
export interface MalformedLine {
  line: string;
  reason: string;
  segment: SegmentRef;
}

/** A problem of the disk buffer, for the shipper's `warn` event. */
export type SpillProblem = (code: 'spill_adopt_failed' | 'spill_read_failed', message: string) => void;

interface Sealed {
  path: string;
  /** bytes known good: a failed write may leave a torn tail past them */
  bytes: number;
  /** records not yet handed to memory */
  docs: number;
  adopted: boolean;
  /** bytes already handed to memory (a part that fitted the memory bound), and their ref */
  offset: number;
  ref?: SegmentRef;
}

/** How much a load may hand to memory: what the memory bound has room for. */
export interface LoadRoom {
  docs: number;
  bytes: number;
}

const SEGMENT_FILE = /^seg-[0-9a-f-]+\.ndjson$/;
/** at most this many bytes per write call: a burst never becomes one huge string */
const WRITE_CHUNK_BYTES = 4 * 1024 * 1024;
/** after a failed write the disk is left alone this long (documents stay in memory meanwhile) */
const RETRY_DISK_AFTER_MS = 5000;
/** a malformed line is kept in its dead letter up to this many characters */
const MAX_MALFORMED_CHARS = 16 * 1024;

/** One write call for the whole chunk (appendFile takes one trip to the thread pool per 512 KiB). */
async function writeAll(handle: FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await handle.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}

/** A line's bytes: kind, two tabs and the newline around the id (ASCII) and the document. */
function lineBytes(e: Entry): number {
  return e.bytes + e.id.length + 4;
}

/** Records in a segment, as the reader counts them (non-empty lines), reading 1 MiB at a time. */
function countRecords(path: string, limitBytes: number): number {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    let n = 0;
    let inLine = false;
    let pos = 0;
    while (pos < limitBytes) {
      const read = readSync(fd, buf, 0, Math.min(buf.length, limitBytes - pos), pos);
      if (read === 0) break;
      for (let i = 0; i < read; i++) {
        if (buf[i] === 10) {
          if (inLine) n++;
          inLine = false;
        } else inLine = true;
      }
      pos += read;
    }
    return inLine ? n + 1 : n;
  } finally {
    closeSync(fd);
  }
}

/** Bytes `from` to `to` of a file (the part of a segment not yet loaded). */
async function readPart(path: string, from: number, to: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.max(0, to - from));
    let off = 0;
    while (off < buf.length) {
      const { bytesRead } = await handle.read(buf, off, buf.length - off, from + off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return buf.subarray(0, off);
  } finally {
    await handle.close();
  }
}

export class SpillStore {
  readonly dir: string;
  private readonly owner: OwnedDir;
  private readonly sealed: Sealed[] = [];
  private active:
    | { path: string; bytes: number; docs: number; synced: number; handle: FileHandle }
    | undefined;
  private pending: Entry[] = [];
  private pendingLineBytes = 0;
  private writingDocs = 0;
  private writing: Promise<void> | undefined;
  private syncTimer: NodeJS.Timeout | undefined;
  private totalBytes = 0;
  private totalDocs = 0;
  /** segments handed to memory, counted until acknowledged */
  private loadedBytes = 0;
  private failedAt = 0;
  private adopting: Promise<void> | undefined;
  /** documents found on disk from earlier runs (stats().adopted) */
  adoptedDocs = 0;
  lastWriteError: Error | undefined;

  /** Called with the entries a failed disk write could not keep (no longer counted here). */
  onWriteFailure: ((entries: Entry[], error: Error) => void) | undefined;
  /** Called with the documents of a segment that could not be read. */
  onLost: ((docs: number, error: Error) => void) | undefined;

  /** Throws when the folder cannot be used (the shipper then warns and keeps to memory). */
  constructor(
    private readonly opts: SpillOptions,
    private readonly report: SpillProblem,
  ) {
    ensurePrivateDir(opts.baseDir);
    this.owner = OwnedDir.claim(opts.baseDir);
    this.dir = this.owner.dir;
    try {
      // a full or read-only disk is found now, not at the first outage
      const probe = openSync(join(this.dir, 'probe'), 'w', SEGMENT_MODE);
      try {
        writeSync(probe, 'ml-input-monitor probe\n');
        fsyncSync(probe);
      } finally {
        closeSync(probe);
        rmSync(join(this.dir, 'probe'), { force: true });
      }
    } catch (err) {
      this.owner.release();
      rmSync(this.dir, { recursive: true, force: true });
      throw err;
    }
    const others = readdirSync(opts.baseDir).filter(
      (n) => n !== SOCKET_NAME && !n.startsWith('.') && join(opts.baseDir, n) !== this.dir,
    );
    if (others.length > 0)
      this.adopting = this.adoptOrphans(others).finally(() => {
        this.adopting = undefined;
      });
  }

  /** Resolves once segments of earlier runs are adopted (or found to belong to a live process). */
  get ready(): Promise<void> {
    return this.adopting ?? Promise.resolve();
  }

  /** Moves segments of owners that no longer run into our folder, to be sent first. */
  private async adoptOrphans(names: string[]): Promise<void> {
    const adopted: string[] = [];
    for (const name of names) {
      const dir = join(this.opts.baseDir, name);
      try {
        if (!lstatSync(dir).isDirectory()) continue;
        if (await ownerAlive(dir)) continue;
        let kept = 0;
        for (const seg of readdirSync(dir)) {
          if (seg === SOCKET_NAME) continue;
          const from = join(dir, seg);
          const st = lstatSync(from);
          const uid = process.getuid?.();
          if (!SEGMENT_FILE.test(seg) || !st.isFile() || (uid !== undefined && st.uid !== uid)) {
            kept++;
            this.report(
              'spill_adopt_failed',
              `left ${from} alone: not a segment file of this user (a symbolic link, another owner or a foreign name)`,
            );
            continue;
          }
          const target = join(this.dir, seg);
          try {
            renameSync(from, target);
            adopted.push(target);
          } catch (err) {
            // another process adopted it first
            if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          }
        }
        if (kept === 0) {
          rmSync(join(dir, SOCKET_NAME), { force: true });
          rmdirSync(dir);
        }
      } catch (err) {
        this.report('spill_adopt_failed', `could not adopt segments in ${dir}: ${(err as Error).message}`);
      }
    }
    const found: Sealed[] = [];
    for (const path of adopted.sort()) {
      try {
        const bytes = lstatSync(path).size;
        const docs = bytes === 0 ? 0 : countRecords(path, bytes);
        if (docs === 0) {
          rmSync(path, { force: true });
          continue;
        }
        found.push({ path, bytes, docs, adopted: true, offset: 0 });
        this.totalBytes += bytes;
        this.totalDocs += docs;
        this.adoptedDocs += docs;
      } catch (err) {
        this.report('spill_adopt_failed', `could not read ${path}: ${(err as Error).message}`);
      }
    }
    // older than anything this process wrote meanwhile
    this.sealed.unshift(...found);
  }

  /** Documents on disk or waiting to be written; segments being replayed count where they are now (memory). */
  get docs(): number {
    return this.totalDocs + this.pending.length + this.writingDocs;
  }
  /** bytes on disk, including segments being replayed, and waiting to be written */
  get bytes(): number {
    return this.totalBytes + this.pendingLineBytes + this.loadedBytes;
  }
  /** bytes handed to the disk buffer and not yet written: memory, counted in the memory bound */
  get pendingBytes(): number {
    return this.pendingLineBytes;
  }
  /** true while anything waits on disk (or may, during adoption): new documents then go to disk too, to keep the order */
  get hasData(): boolean {
    return (
      this.adopting !== undefined ||
      this.sealed.length > 0 ||
      this.pending.length > 0 ||
      this.writingDocs > 0 ||
      (this.active?.docs ?? 0) > 0
    );
  }
  /** a sealed segment waits (or adoption may bring some): the open one is still filling otherwise */
  get hasSealed(): boolean {
    return this.sealed.length > 0 || this.adopting !== undefined;
  }
  /** false for a while after a failed write: documents stay in memory meanwhile */
  get writable(): boolean {
    return Date.now() - this.failedAt >= RETRY_DISK_AFTER_MS;
  }

  append(e: Entry): void {
    this.pending.push(e);
    this.pendingLineBytes += lineBytes(e);
    this.startWriting();
  }

  private startWriting(): void {
    if (this.writing) return;
    this.writing = this.drainWrites().finally(() => {
      this.writing = undefined;
      if (this.pending.length) this.startWriting();
    });
  }

  /** The next entries to write, at most WRITE_CHUNK_BYTES (at least one). */
  /** The record kind of an entry, by where it goes: the segment line names a kind, never an index. */
  private kindOf(e: Entry): SpillKind {
    if (e.index === this.opts.deadLetterIndex) return 'd';
    return this.opts.labelsIndex !== undefined && e.index === this.opts.labelsIndex ? 'l' : 'p';
  }

  private indexOf(kind: SpillKind): string {
    if (kind === 'p') return this.opts.predictionsIndex;
    if (kind === 'l') return this.opts.labelsIndex ?? this.opts.deadLetterIndex;
    return this.opts.deadLetterIndex;
  }

  private takeChunk(): { entries: Entry[]; text: string; bytes: number } {
    let n = 0;
    let bytes = 0;
    while (n < this.pending.length && (n === 0 || bytes < WRITE_CHUNK_BYTES)) {
      bytes += lineBytes(this.pending[n] as Entry);
      n++;
    }
    const entries = n === this.pending.length ? this.pending : this.pending.slice(0, n);
    this.pending = n === this.pending.length ? [] : this.pending.slice(n);
    this.pendingLineBytes = this.pending.length === 0 ? 0 : this.pendingLineBytes - bytes;
    let text = '';
    for (const e of entries) text += encodeSpillLine(this.kindOf(e), e.id, e.line);
    return { entries, text, bytes };
  }

  private async drainWrites(): Promise<void> {
    while (this.pending.length) {
      const { entries, text, bytes } = this.takeChunk();
      // still counted as on disk while the write is under way
      this.writingDocs = entries.length;
      try {
        if (!this.active) {
          const path = join(this.dir, `seg-${uuidv7()}.ndjson`);
          const handle = await open(path, 'a', SEGMENT_MODE);
          this.active = { path, bytes: 0, docs: 0, synced: 0, handle };
        }
        const active = this.active;
        try {
          await writeAll(active.handle, Buffer.from(text, 'utf8'));
        } catch (err) {
          // a short write leaves part of the chunk: cut it off, so nothing handed back is also replayed
          await active.handle.truncate(active.bytes).catch(() => undefined);
          await this.sealActive().catch(() => undefined);
          throw err;
        }
        if (this.opts.fsync === 'always') await active.handle.sync();
        active.bytes += bytes;
        active.docs += entries.length;
        this.totalBytes += bytes;
        this.totalDocs += entries.length;
        this.writingDocs = 0;
        if (active.bytes >= this.opts.segmentBytes) await this.sealActive();
        else if (this.opts.fsync === 'interval') this.syncSoon();
      } catch (err) {
        // a full or read-only disk: this chunk and everything waiting go back to the shipper (memory)
        this.lastWriteError = err instanceof Error ? err : new Error(String(err));
        this.failedAt = Date.now();
        const back = entries.concat(this.pending);
        this.pending = [];
        this.pendingLineBytes = 0;
        this.writingDocs = 0;
        this.onWriteFailure?.(back, this.lastWriteError);
      }
    }
  }

  /** `interval`: the open segment reaches the disk within fsyncIntervalMs of a write. */
  private syncSoon(): void {
    if (this.syncTimer) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      const active = this.active;
      if (!active || active.synced === active.bytes) return;
      const upTo = active.bytes;
      active.handle.sync().then(
        () => {
          active.synced = upTo;
        },
        () => undefined, // a closed handle (sealed meanwhile, and synced then)
      );
    }, this.opts.fsyncIntervalMs);
    this.syncTimer.unref();
  }

  private async sealActive(): Promise<void> {
    const active = this.active;
    if (!active) return;
    this.active = undefined;
    try {
      if (this.opts.fsync !== 'never') await active.handle.sync();
    } finally {
      await active.handle.close();
    }
    if (active.docs === 0) {
      rmSync(active.path, { force: true });
      return;
    }
    this.sealed.push({
      path: active.path,
      bytes: active.bytes,
      docs: active.docs,
      adopted: false,
      offset: 0,
    });
  }

  /** Waits for buffered writes to reach the disk. */
  async settle(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /**
   * Reads the oldest segment and hands its records to `deliver` (valid ones as entries, the others
   * as malformed lines) in the same step as they leave the disk's count: at most what `roomNow` allows
   * (at least one record), so a segment larger than the memory bound (written in one burst, or by
   * an earlier run with other settings) is loaded in parts. The file stays until every record is
   * loaded and settled (`settleEntry`), so a crash during replay sends them again (and `create` with
   * the same id makes that harmless). Resolves false when there was nothing to read.
   */
  async takeOldest(
    deliver: (entries: Entry[], malformed: MalformedLine[]) => void,
    roomNow: () => LoadRoom = () => ({ docs: Number.POSITIVE_INFINITY, bytes: Number.POSITIVE_INFINITY }),
  ): Promise<boolean> {
    await this.ready;
    await this.settle();
    if (this.sealed.length === 0 && (this.active?.docs ?? 0) > 0) await this.sealActive();
    const seg = this.sealed[0];
    if (!seg) return false;
    let buf: Buffer;
    try {
      buf = await readPart(seg.path, seg.offset, seg.bytes);
    } catch (err) {
      this.sealed.shift();
      this.totalBytes -= seg.bytes - seg.offset;
      this.totalDocs -= seg.docs;
      if (seg.ref) this.closeRef(seg.ref);
      // reported (once) and counted by the shipper
      this.onLost?.(seg.docs, err as Error);
      return true;
    }
    const entries: Entry[] = [];
    const malformed: MalformedLine[] = [];
    const ref: SegmentRef = seg.ref ?? { path: seg.path, pending: 0, docs: 0, bytes: 0, open: true };
    // asked after the read: what came into memory meanwhile counts
    const room = roomNow();
    // positions in `buf`, which starts at the segment's offset
    let start = 0;
    let records = 0;
    while (start < buf.length && records < Math.max(1, room.docs)) {
      let end = buf.indexOf(10, start);
      if (end < 0) end = buf.length; // a torn last line from a crash: refused below, alone
      if (records > 0 && end + 1 > room.bytes) break;
      const line = buf.toString('utf8', start, end);
      start = end + 1;
      if (line.length === 0) continue;
      records++;
      const decoded = decodeSpillLine(line);
      if (decoded.ok) {
        entries.push({
          id: decoded.id,
          index: this.indexOf(decoded.kind),
          line: decoded.json,
          bytes: entryBytes(decoded.json),
          attempts: 0,
          segment: ref,
        });
      } else
        malformed.push({ line: line.slice(0, MAX_MALFORMED_CHARS), reason: decoded.reason, segment: ref });
    }
    const partBytes = Math.min(start, buf.length);
    ref.pending += records;
    ref.docs += records;
    ref.bytes += partBytes;
    this.totalBytes -= partBytes;
    this.loadedBytes += partBytes;
    if (start >= buf.length) {
      this.sealed.shift();
      this.totalDocs -= seg.docs;
      // an adopted file that changed since it was counted: what was read is what was adopted
      if (seg.adopted) this.adoptedDocs += records - seg.docs;
      ref.open = false;
      if (ref.pending === 0) this.closeRef(ref);
    } else {
      seg.offset += start;
      seg.ref = ref;
      // at least one record is still to come (an adopted file may hold more than was counted)
      const left = Math.max(1, seg.docs - records);
      if (seg.adopted) this.adoptedDocs += left - (seg.docs - records);
      this.totalDocs -= seg.docs - left;
      seg.docs = left;
    }
    deliver(entries, malformed);
    return true;
  }

  /** One replayed entry is stored, dead-lettered or given up: the segment goes when all are. */
  settleEntry(ref: SegmentRef): void {
    ref.pending--;
    if (ref.pending === 0 && !ref.open) this.closeRef(ref);
  }

  /** Every record of a replayed file is settled: the file goes, and its bytes with it. */
  private closeRef(ref: SegmentRef): void {
    this.loadedBytes -= ref.bytes;
    ref.bytes = 0;
    rmSync(ref.path, { force: true });
  }

  /** Drops the oldest segments until the disk holds at most `maxBytes`; returns how many documents went. */
  enforceLimit(): number {
    let dropped = 0;
    // a segment being loaded in parts stays: its loaded records are in memory, waiting to settle
    const from = this.sealed[0]?.ref ? 1 : 0;
    while (this.bytes > this.opts.maxBytes && this.sealed.length > from) {
      const seg = this.sealed.splice(from, 1)[0] as Sealed;
      rmSync(seg.path, { force: true });
      this.totalBytes -= seg.bytes;
      this.totalDocs -= seg.docs;
      dropped += seg.docs;
    }
    return dropped;
  }

  /** Seals what is written and gives up ownership, so the next process adopts what is left; keeps the files. */
  async close(): Promise<void> {
    await this.ready;
    await this.settle();
    if (this.syncTimer) clearTimeout(this.syncTimer);
    await this.sealActive().catch(() => undefined);
    try {
      this.owner.release();
      const left = readdirSync(this.dir).filter((f) => SEGMENT_FILE.test(f));
      if (left.length === 0) rmSync(this.dir, { recursive: true, force: true });
    } catch (err) {
      // the folder went away or turned read-only: what is left there is adopted or lost with it
      this.report(
        'spill_read_failed',
        `could not close the disk buffer in ${this.dir}: ${(err as Error).message}`,
      );
    }
  }
}
