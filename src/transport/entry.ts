/** A serialized document waiting to be shipped, in memory or on disk. */
export interface Entry {
  id: string;
  /** target data stream (or the dead-letter index) */
  index: string;
  /** the document as JSON, serialized once when logged */
  line: string;
  bytes: number;
  /** item-level retries after HTTP 500 */
  attempts: number;
  /** the disk segment it was replayed from: deleted once all its entries are settled */
  segment?: SegmentRef;
}

export interface SegmentRef {
  path: string;
  /** records handed to memory and not yet settled */
  pending: number;
  docs: number;
  /** bytes of the file handed to memory so far */
  bytes: number;
  /** part of the file is not loaded yet (a segment is loaded in parts that fit the memory bound) */
  open: boolean;
}

export function entryBytes(line: string): number {
  return Buffer.byteLength(line, 'utf8');
}
