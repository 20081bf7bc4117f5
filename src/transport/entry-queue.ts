import type { Entry } from './entry.js';

/**
 * The memory queue of built documents: new entries in the order they were logged, retries ahead
 * of them, and the batches under way. The bound (`maxDocs`, `maxBytes`) counts all three, and the
 * predictions the transport holds for their baseline's first lookup (`reserve`), so memory stays
 * bounded whatever the cluster does.
 */
export class EntryQueue {
  private fresh: Entry[] = [];
  /** index of the oldest fresh entry: taking is O(1), the array is compacted now and then */
  private head = 0;
  private retries: Entry[] = [];
  private waitingBytes = 0;
  private flightDocs = 0;
  private flightBytes = 0;
  /** each batch under way with its bytes: what shutdown saves if it does not come back in time */
  private readonly flights = new Map<Entry[], number>();
  /** predictions held by the transport, not yet documents (their bytes estimated) */
  private reservedDocs = 0;
  private reservedBytes = 0;
  /** when the oldest waiting entry came: the flush interval counts from here */
  firstQueuedAt = 0;

  constructor(
    private readonly maxDocs: number,
    private readonly maxBytes: number,
  ) {}

  /** waiting to be sent, retries included */
  get docs(): number {
    return this.fresh.length - this.head + this.retries.length;
  }
  get bytes(): number {
    return this.waitingBytes;
  }
  get inFlightDocs(): number {
    return this.flightDocs;
  }
  get inFlightBytes(): number {
    return this.flightBytes;
  }
  get hasRetries(): boolean {
    return this.retries.length > 0;
  }

  get heldDocs(): number {
    return this.reservedDocs;
  }
  get heldBytes(): number {
    return this.reservedBytes;
  }

  /** What the bound counts: waiting, in flight and held. */
  private get residentDocs(): number {
    return this.docs + this.flightDocs + this.reservedDocs;
  }
  private get residentBytes(): number {
    return this.waitingBytes + this.flightBytes + this.reservedBytes;
  }

  /** One more entry of `bytes` stays within the bound. */
  fits(bytes: number): boolean {
    return this.residentDocs + 1 <= this.maxDocs && this.residentBytes + bytes <= this.maxBytes;
  }

  /** At most half full: room to load a segment from the disk buffer. */
  get halfEmpty(): boolean {
    return this.residentDocs <= this.maxDocs / 2 && this.residentBytes <= this.maxBytes / 2;
  }

  /** What can still come in without passing the bound (a segment is loaded up to this). */
  room(extraBytes = 0): { docs: number; bytes: number } {
    return {
      docs: Math.max(0, this.maxDocs - this.residentDocs),
      bytes: Math.max(0, this.maxBytes - this.residentBytes - extraBytes),
    };
  }

  /** Predictions held outside the queue count against the bound (negative to release them). */
  reserve(docs: number, bytes: number): void {
    this.reservedDocs += docs;
    this.reservedBytes += bytes;
  }

  push(e: Entry): void {
    if (this.docs === 0) this.firstQueuedAt = Date.now();
    this.fresh.push(e);
    this.waitingBytes += e.bytes;
  }

  /** Drops the oldest fresh entries until the bound holds again; returns how many. */
  dropOldest(): number {
    let dropped = 0;
    while (!this.fits(0) && this.fresh.length > this.head) {
      const old = this.fresh[this.head] as Entry;
      this.fresh[this.head] = undefined as unknown as Entry;
      this.head++;
      this.waitingBytes -= old.bytes;
      dropped++;
    }
    return dropped;
  }

  /** Back to the front: sent before anything newer. */
  requeueFront(entries: Entry[]): void {
    this.retries.unshift(...entries);
    for (const e of entries) this.waitingBytes += e.bytes;
  }

  /** After the retries already waiting (a dead letter). */
  pushRetry(e: Entry): void {
    this.retries.push(e);
    this.waitingBytes += e.bytes;
  }

  /**
   * Takes out the waiting entries that exist only in memory (not replayed from a segment), retries
   * first: written ahead to disk when the cluster stops answering, so a crash cannot lose them.
   */
  takeUnsaved(): Entry[] {
    const out: Entry[] = [];
    const keep = (list: Entry[]) =>
      list.filter((e) => {
        if (e.segment || e.attempts > 0) return true;
        out.push(e);
        this.waitingBytes -= e.bytes;
        return false;
      });
    this.retries = keep(this.retries);
    this.fresh = keep(this.fresh.slice(this.head));
    this.head = 0;
    if (this.docs === 0) this.firstQueuedAt = 0;
    return out;
  }

  /** The next batch: retries first, then the oldest fresh entries; always at least one entry if any waits. */
  take(maxDocs: number, maxBytes: number): Entry[] {
    const batch: Entry[] = [];
    let bytes = 0;
    const fits = (e: Entry) => batch.length === 0 || (batch.length < maxDocs && bytes + e.bytes <= maxBytes);
    while (this.retries.length && fits(this.retries[0] as Entry)) {
      const e = this.retries.shift() as Entry;
      batch.push(e);
      bytes += e.bytes;
    }
    while (this.fresh.length > this.head && fits(this.fresh[this.head] as Entry)) {
      const e = this.fresh[this.head] as Entry;
      this.fresh[this.head] = undefined as unknown as Entry;
      this.head++;
      batch.push(e);
      bytes += e.bytes;
    }
    // compact the FIFO now and then instead of shifting on every take
    if (this.head > 4096 && this.head * 2 > this.fresh.length) {
      this.fresh = this.fresh.slice(this.head);
      this.head = 0;
    }
    this.waitingBytes -= bytes;
    if (this.docs > 0) this.firstQueuedAt = Date.now();
    return batch;
  }

  /** The batch is under way: still counted in the bound until `land`. */
  fly(batch: Entry[]): void {
    let bytes = 0;
    for (const e of batch) bytes += e.bytes;
    this.flightDocs += batch.length;
    this.flightBytes += bytes;
    this.flights.set(batch, bytes);
  }

  /** The batch's request has ended, whatever its answer. */
  land(batch: Entry[]): void {
    this.flightDocs -= batch.length;
    this.flightBytes -= this.flights.get(batch) ?? 0;
    this.flights.delete(batch);
  }

  /**
   * Empties the waiting queue and returns it with the batches still under way (shutdown: they are
   * saved to disk; in-flight counts stay until their requests end).
   */
  takeLeftovers(): Entry[] {
    const left = [...this.retries, ...this.fresh.slice(this.head), ...[...this.flights.keys()].flat()];
    this.retries = [];
    this.fresh = [];
    this.head = 0;
    this.waitingBytes = 0;
    return left;
  }
}
