import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { type Entry, entryBytes, type SegmentRef } from './entry.js';

/**
 * The disk buffer: segment files of `<id>\t<index>\t<document JSON>` lines, oldest first by name
 * (UUIDv7, time-ordered). Each process owns a subdirectory; a later process adopts the segments of
 * owners that are gone, so what one run could not send, the next one sends.
 *
 * Durability (`fsync`): `segment` (default) syncs each segment when it is sealed, `always` after
 * every write, `never` leaves it to the OS. Writes are asynchronous and never block logging.
 */
export interface SpillOptions {
  baseDir: string;
  maxBytes: number;
  segmentBytes: number;
  fsync: 'never' | 'segment' | 'always';
}

interface Sealed {
  path: string;
  bytes: number;
  /** unknown for adopted segments until read */
  docs: number | undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function countLines(path: string): number {
  const buf = readFileSync(path);
  let n = 0;
  for (let i = 0; i < buf.length; i++) if (buf[i] === 10) n++;
  return n;
}

export class SpillStore {
  readonly dir: string;
  private readonly sealed: Sealed[] = [];
  private active: { path: string; bytes: number; docs: number; handle: FileHandle | undefined } | undefined;
  private pending: string[] = [];
  private pendingBytes = 0;
  private pendingDocs = 0;
  private writing: Promise<void> | undefined;
  private totalBytes = 0;
  private totalDocsKnown = 0;
  /** segments handed to memory, counted until acknowledged */
  private loadedBytes = 0;
  private writeError: Error | undefined;

  constructor(private readonly opts: SpillOptions) {
    mkdirSync(opts.baseDir, { recursive: true });
    this.dir = join(opts.baseDir, `${process.pid}-${randomBytes(4).toString('hex')}`);
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(
      join(this.dir, 'owner.json'),
      JSON.stringify({ pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() }),
    );
    this.adoptOrphans();
  }

  /** Moves segments of owners that no longer run into our directory, to be sent first. */
  private adoptOrphans(): void {
    const adopted: string[] = [];
    for (const name of readdirSync(this.opts.baseDir)) {
      const dir = join(this.opts.baseDir, name);
      if (dir === this.dir) continue;
      let owner: { pid?: number; hostname?: string; closed?: boolean } = {};
      try {
        owner = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8'));
      } catch {
        continue; // not one of ours, or being created right now
      }
      const ownerGone =
        owner.closed === true ||
        (owner.hostname === hostname() && typeof owner.pid === 'number' && !isAlive(owner.pid));
      if (!ownerGone) continue;
      for (const seg of readdirSync(dir).filter((f) => f.endsWith('.ndjson'))) {
        const target = join(this.dir, seg);
        renameSync(join(dir, seg), target);
        adopted.push(target);
      }
      rmSync(dir, { recursive: true, force: true });
    }
    for (const path of adopted.sort()) {
      const bytes = statSync(path).size;
      if (bytes === 0) {
        rmSync(path, { force: true });
        continue;
      }
      this.sealed.push({ path, bytes, docs: undefined });
      this.totalBytes += bytes;
    }
  }

  /** Documents on disk or waiting to be written; adopted segments count once read. */
  get docs(): number {
    return this.totalDocsKnown + this.pendingDocs;
  }
  /** bytes on disk, including segments being replayed */
  get bytes(): number {
    return this.totalBytes + this.pendingBytes + this.loadedBytes;
  }
  /** true while anything waits on disk: new documents then go to disk too, to keep the order */
  get hasData(): boolean {
    return this.sealed.length > 0 || this.pendingDocs > 0 || (this.active?.docs ?? 0) > 0;
  }
  get lastWriteError(): Error | undefined {
    return this.writeError;
  }

  append(e: Entry): void {
    const line = `${e.id}\t${e.index}\t${e.line}\n`;
    this.pending.push(line);
    this.pendingBytes += e.bytes + e.id.length + e.index.length + 3;
    this.pendingDocs++;
    this.startWriting();
  }

  private startWriting(): void {
    if (this.writing) return;
    this.writing = this.drainWrites().finally(() => {
      this.writing = undefined;
      if (this.pending.length) this.startWriting();
    });
  }

  private async drainWrites(): Promise<void> {
    while (this.pending.length) {
      const chunk = this.pending.join('');
      const docs = this.pending.length;
      const bytes = this.pendingBytes;
      this.pending = [];
      this.pendingBytes = 0;
      this.pendingDocs = 0;
      try {
        if (!this.active) {
          const path = join(this.dir, `seg-${uuidv7()}.ndjson`);
          this.active = { path, bytes: 0, docs: 0, handle: await open(path, 'a') };
        }
        const active = this.active;
        await active.handle?.appendFile(chunk);
        if (this.opts.fsync === 'always') await active.handle?.sync();
        active.bytes += bytes;
        active.docs += docs;
        this.totalBytes += bytes;
        this.totalDocsKnown += docs;
        if (active.bytes >= this.opts.segmentBytes) await this.sealActive();
      } catch (err) {
        // a full or read-only disk: the documents of this chunk are lost; the shipper counts them
        this.writeError = err instanceof Error ? err : new Error(String(err));
        this.onWriteFailure?.(docs, this.writeError);
      }
    }
  }

  /** Called with the number of documents a failed disk write lost. */
  onWriteFailure: ((docs: number, error: Error) => void) | undefined;

  private async sealActive(): Promise<void> {
    const active = this.active;
    if (!active) return;
    this.active = undefined;
    if (this.opts.fsync !== 'never') await active.handle?.sync();
    await active.handle?.close();
    if (active.docs === 0) {
      rmSync(active.path, { force: true });
      return;
    }
    this.sealed.push({ path: active.path, bytes: active.bytes, docs: active.docs });
  }

  /** Waits for buffered writes to reach the disk. */
  async settle(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /**
   * The oldest segment's entries, to replay. The file stays until every entry is settled
   * (`settleEntry`), so a crash during replay sends them again (and `create` makes that harmless).
   */
  async takeOldest(): Promise<Entry[] | undefined> {
    await this.settle();
    if (this.sealed.length === 0 && (this.active?.docs ?? 0) > 0) await this.sealActive();
    const seg = this.sealed.shift();
    if (!seg) return undefined;
    let text: string;
    try {
      text = await readFile(seg.path, 'utf8');
    } catch (err) {
      this.writeError = err instanceof Error ? err : new Error(String(err));
      this.totalBytes -= seg.bytes;
      return [];
    }
    const entries: Entry[] = [];
    const ref: SegmentRef = { path: seg.path, pending: 0, docs: 0, bytes: seg.bytes };
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length; // a torn last line from a crash: take what is there
      const line = text.slice(start, end);
      start = end + 1;
      const tab1 = line.indexOf('\t');
      const tab2 = line.indexOf('\t', tab1 + 1);
      if (tab1 <= 0 || tab2 <= tab1) continue;
      const doc = line.slice(tab2 + 1);
      entries.push({
        id: line.slice(0, tab1),
        index: line.slice(tab1 + 1, tab2),
        line: doc,
        bytes: entryBytes(doc),
        attempts: 0,
        segment: ref,
      });
    }
    ref.pending = entries.length;
    ref.docs = entries.length;
    this.totalBytes -= seg.bytes;
    this.totalDocsKnown -= seg.docs ?? 0;
    this.loadedBytes += seg.bytes;
    if (entries.length === 0) rmSync(seg.path, { force: true });
    return entries;
  }

  /** One replayed entry is stored, dead-lettered or given up: the segment goes when all are. */
  settleEntry(ref: SegmentRef): void {
    ref.pending--;
    if (ref.pending === 0) {
      this.loadedBytes -= ref.bytes;
      rmSync(ref.path, { force: true });
    }
  }

  /** Drops the oldest segments until the disk holds at most `maxBytes`; returns how many documents went. */
  enforceLimit(): number {
    let dropped = 0;
    while (this.bytes > this.opts.maxBytes && this.sealed.length > 0) {
      const seg = this.sealed.shift() as Sealed;
      const docs = seg.docs ?? countLines(seg.path);
      rmSync(seg.path, { force: true });
      this.totalBytes -= seg.bytes;
      this.totalDocsKnown -= seg.docs ?? 0;
      dropped += docs;
    }
    return dropped;
  }

  /** Seals what is written so the next process can adopt it; keeps the files. */
  async close(): Promise<void> {
    await this.settle();
    await this.sealActive();
    const left = readdirSync(this.dir).filter((f) => f.endsWith('.ndjson'));
    if (left.length === 0) rmSync(this.dir, { recursive: true, force: true });
    // release ownership: a later transport, in this process or another, adopts what is left
    else
      writeFileSync(
        join(this.dir, 'owner.json'),
        JSON.stringify({ pid: process.pid, hostname: hostname(), closed: true }),
      );
  }
}
