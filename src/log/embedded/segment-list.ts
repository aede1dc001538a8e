/**
 * A partition's segments, oldest first: loaded from the partition's directory, rolled as the active
 * (last) one fills, read by offset or timestamp, and deleted by retention. The writes themselves (the
 * append queue, the fsync policy) are the partition's (partition.ts), which appends to `active`.
 */
import type { LogRecord } from '../log.ts';
import { decodeBatch, plausible, readHeader, crcMatches, BATCH_HEADER_BYTES } from './batch.ts';
import { Segment } from './segment.ts';

/** What one read returned: records, the offset to read next, and a damaged batch it skipped, if any. */
export interface ReadResult {
  records: LogRecord[];
  nextOffset: number;
  corrupt?: { file: string; position: number; firstOffset: number; lastOffset: number };
}

export class SegmentList {
  private readonly segments: Segment[];
  private readonly topic: string;
  private readonly id: number;
  private readonly dir: string;

  private constructor(topic: string, id: number, dir: string, segments: Segment[]) {
    this.topic = topic;
    this.id = id;
    this.dir = dir;
    this.segments = segments;
  }

  /** The segments in `dir` (which exists), recovered; one empty segment when there are none. */
  static async load(topic: string, id: number, dir: string, bases: readonly number[], onTorn: (file: string, position: number, bytes: number) => void): Promise<SegmentList> {
    const segments: Segment[] = [];
    for (const base of bases) segments.push(await Segment.load(dir, base, onTorn));
    if (segments.length === 0) segments.push(await Segment.create(dir, 0));
    return new SegmentList(topic, id, dir, segments);
  }

  /** The segment writes go to: the last. */
  get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  /** Bytes of the batches the segments hold. */
  get bytes(): number {
    return this.segments.reduce((n, s) => n + s.size, 0);
  }

  get startOffset(): number {
    return this.segments[0]!.base;
  }

  /** The offset after the last record written to the files. */
  get endOffset(): number {
    return this.active.endOffset;
  }

  /** Sync the active segment and start a new one at `base`. */
  async roll(base: number): Promise<void> {
    await this.active.sync();
    this.segments.push(await Segment.create(this.dir, base));
  }

  /** Read records from `offset` (at or after the start), about `maxBytes` of batches, from the files. */
  async read(offset: number, maxBytes: number, records: LogRecord[]): Promise<ReadResult> {
    const index = this.segmentIndexFor(offset);
    if (index < 0) return { records, nextOffset: offset };
    for (let s = index; s < this.segments.length && records.length === 0; s++) {
      const segment = this.segments[s]!;
      const result = await this.readSegment(segment, offset, maxBytes, records);
      offset = result.nextOffset;
      if (result.corrupt) return { records, nextOffset: offset, corrupt: result.corrupt };
      if (offset < segment.endOffset) break;
    }
    return { records, nextOffset: offset };
  }

  private async readSegment(segment: Segment, fromOffset: number, maxBytes: number, out: LogRecord[]): Promise<ReadResult> {
    let pos = segment.positionFor(fromOffset);
    let offset = fromOffset;
    let budget = maxBytes;
    while (pos < segment.size && budget > 0) {
      let chunk = await segment.read(pos, Math.min(segment.size - pos, Math.max(budget, BATCH_HEADER_BYTES)));
      let at = 0;
      let used = 0; // bytes of batches that held wanted records; skipped ones do not count
      while (at < chunk.length) {
        const header = readHeader(chunk, at);
        if (!header && at > 0) break; // a header cut by the chunk's end: the next read starts at it
        if (!header || !plausible(header) || pos + at + header.size > segment.size) {
          // The length field itself is damaged: resume at the next index entry, or the segment's end.
          const next = segment.nextIndexedPosition(pos + at);
          const nextOffset = next?.offset ?? segment.endOffset;
          return { records: out, nextOffset, corrupt: { file: segment.logPath, position: pos + at, firstOffset: offset, lastOffset: nextOffset - 1 } };
        }
        if (at + header.size > chunk.length) {
          if (at > 0) break; // a batch cut by the chunk's end: the next read starts at it
          chunk = await segment.read(pos, header.size); // one batch larger than the budget
        }
        const result = this.take(segment, chunk.subarray(at, at + header.size), header, pos + at, offset, out);
        if (result) return { records: out, nextOffset: result.nextOffset, corrupt: result.corrupt };
        if (header.baseOffset + header.count > offset) used += header.size;
        offset = Math.max(offset, header.baseOffset + header.count);
        at += header.size;
      }
      pos += at;
      budget -= used;
    }
    return { records: out, nextOffset: offset };
  }

  /** Decode one batch into `out`; a batch failing its CRC is reported instead. */
  private take(
    segment: Segment,
    batch: Buffer,
    header: { baseOffset: number; count: number },
    position: number,
    offset: number,
    out: LogRecord[],
  ): { nextOffset: number; corrupt?: ReadResult['corrupt'] } | undefined {
    const last = header.baseOffset + header.count - 1;
    if (last < offset) return undefined;
    if (!crcMatches(batch)) {
      return { nextOffset: last + 1, corrupt: { file: segment.logPath, position, firstOffset: header.baseOffset, lastOffset: last } };
    }
    decodeBatch(batch, this.topic, this.id, offset, out);
    return undefined;
  }

  private segmentIndexFor(offset: number): number {
    for (let i = this.segments.length - 1; i >= 0; i--) if (this.segments[i]!.base <= offset) return offset < this.endOffset ? i : -1;
    return -1;
  }

  /** The first offset whose record has a timestamp at or after `timestamp` (the end offset if none). */
  async offsetForTimestamp(timestamp: number): Promise<number> {
    for (const segment of this.segments) {
      if (segment.maxTimestamp < timestamp) continue;
      let pos = segment.positionForTimestamp(timestamp);
      while (pos < segment.size) {
        const head = await segment.read(pos, BATCH_HEADER_BYTES);
        const header = readHeader(head, 0);
        if (!header || !plausible(header)) break;
        if (header.maxTimestamp >= timestamp) {
          const records: LogRecord[] = [];
          decodeBatch(await segment.read(pos, header.size), this.topic, this.id, 0, records);
          const hit = records.find((r) => r.timestamp >= timestamp);
          if (hit) return hit.offset;
        }
        pos += header.size;
      }
    }
    return this.endOffset;
  }

  /** Delete whole segments, oldest first, that are older than `retentionMs` or beyond `retentionBytes`. */
  async enforceRetention(retentionMs: number | undefined, retentionBytes: number | undefined, now: number): Promise<number> {
    let removed = 0;
    let total = this.segments.reduce((n, s) => n + s.size, 0);
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!;
      const tooOld = retentionMs !== undefined && oldest.maxTimestamp < now - retentionMs;
      const tooBig = retentionBytes !== undefined && total > retentionBytes;
      if (!tooOld && !tooBig) break;
      this.segments.shift();
      total -= oldest.size;
      await oldest.delete();
      removed++;
    }
    return removed;
  }

  async close(): Promise<void> {
    for (const segment of this.segments) await segment.close();
  }
}
