/**
 * A partition's most recently written record batches, kept in memory so that a reader at or near
 * the head (a stream job keeping up, a tail) gets its records without a file read: no trip through
 * libuv's thread pool, where reads would queue behind the appends and fsyncs of every partition.
 *
 * The batches are the very buffers that were written, so they need no checksum check; a reader
 * further back than the cache holds reads the segment files as before. The byte limit is asked for
 * on every add, so the log can share one budget among however many partitions it has open.
 */
import type { LogRecord } from '../log.ts';
import { decodeBatch } from './batch.ts';

interface CachedBatch {
  offset: number;
  count: number;
  bytes: Buffer;
}

export class TailCache {
  private batches: CachedBatch[] = [];
  private size = 0;
  private readonly limit: () => number;

  /** `limit()`: the bytes this cache may hold now; 0 turns it off. */
  constructor(limit: () => number) {
    this.limit = limit;
  }

  /** The first offset the cache holds (Infinity when empty). */
  get startOffset(): number {
    return this.batches[0]?.offset ?? Infinity;
  }

  /** Remember a batch just written; batches come in offset order with no gaps. */
  add(bytes: Buffer, offset: number, count: number): void {
    const limit = this.limit();
    if (limit <= 0) return this.clear();
    this.batches.push({ offset, count, bytes });
    this.size += bytes.length;
    while (this.size > limit && this.batches.length > 0) this.size -= this.batches.shift()!.bytes.length;
  }

  /**
   * Decode about `maxBytes` of batches from `offset` on into `out` (always the batch holding
   * `offset`), returning the offset to read next; undefined when `offset` is before the cache's
   * first batch or at or past its end.
   */
  read(offset: number, maxBytes: number, topic: string, partition: number, out: LogRecord[]): number | undefined {
    const batches = this.batches;
    const last = batches[batches.length - 1];
    if (!last || offset < batches[0]!.offset || offset >= last.offset + last.count) return undefined;
    // The last batch starting at or before `offset`.
    let lo = 0;
    let hi = batches.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (batches[mid]!.offset <= offset) lo = mid;
      else hi = mid - 1;
    }
    let next = offset;
    let budget = maxBytes;
    for (let i = lo; i < batches.length && (i === lo || budget > 0); i++) {
      const batch = batches[i]!;
      decodeBatch(batch.bytes, topic, partition, next, out);
      next = batch.offset + batch.count;
      budget -= batch.bytes.length;
    }
    return next;
  }

  clear(): void {
    this.batches = [];
    this.size = 0;
  }
}
