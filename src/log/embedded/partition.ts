/**
 * One partition of the embedded log: its segments, the append queue that serialises writes and
 * applies the fsync policy, and reads by offset or timestamp.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { TributaryError } from '../../errors.ts';
import type { LogRecord, ProducerRecord } from '../log.ts';
import { decodeBatch, encodeBatch, plausible, readHeader, crcMatches, BATCH_HEADER_BYTES } from './batch.ts';
import { Segment } from './segment.ts';
import type { PartitionOptions, WritesInFlight } from './partition-options.ts';
import { TailCache } from './tail-cache.ts';

export type { FsyncPolicy, PartitionOptions, SyncEvent, WritesInFlight } from './partition-options.ts';

interface Pending {
  batch: Buffer;
  offset: number;
  count: number;
  maxTimestamp: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** What one read returned: records, the offset to read next, and a damaged batch it skipped, if any. */
export interface ReadResult {
  records: LogRecord[];
  nextOffset: number;
  corrupt?: { file: string; position: number; firstOffset: number; lastOffset: number };
}

export class Partition {
  private segments: Segment[] = [];
  /** Offset the next appended record gets (assigned at send time, before the write). */
  private nextOffset = 0;
  private pending: Pending[] = [];
  private writing = false;
  private unsynced: Pending[] = [];
  /** When the oldest of `unsynced` was written: the interval is counted from it. */
  private unsyncedSince = 0;
  private syncTimer: NodeJS.Timeout | undefined;
  private syncing = false;
  /** Appends not yet acknowledged, this partition's or (shared) the whole log's. */
  private readonly inFlight: WritesInFlight;
  private waiters = new Set<() => void>();
  private closed = false;
  /** Set by a failed write other than a full disk: every later append is refused (see refuse). */
  private failed: TributaryError | undefined;
  private readonly tail: TailCache;

  readonly topic: string;
  readonly id: number;
  readonly dir: string;
  private readonly options: PartitionOptions;

  private constructor(topic: string, id: number, dir: string, options: PartitionOptions) {
    this.topic = topic;
    this.id = id;
    this.dir = dir;
    this.options = options;
    this.tail = new TailCache(options.tailCacheBytes ?? (() => 0));
    this.inFlight = options.writesInFlight ?? { count: 0 };
  }

  static async open(topic: string, id: number, dir: string, options: PartitionOptions): Promise<Partition> {
    const partition = new Partition(topic, id, dir, options);
    await mkdir(dir, { recursive: true });
    const bases = (await readdir(dir))
      .filter((f) => f.endsWith('.log'))
      .map((f) => Number(f.slice(0, -4)))
      .sort((a, b) => a - b);
    for (const base of bases) {
      partition.segments.push(
        await Segment.load(dir, base, (file, position, bytes) => options.onWarning('truncated a torn write at the end of a segment', { file, position, bytes })),
      );
    }
    if (partition.segments.length === 0) partition.segments.push(await Segment.create(dir, 0));
    partition.nextOffset = partition.active.endOffset;
    return partition;
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  /** Bytes of the batches the segments hold. */
  get bytes(): number {
    return this.segments.reduce((n, s) => n + s.size, 0);
  }

  get startOffset(): number {
    return this.segments[0]!.base;
  }

  /** The offset after the last record readers can see (written to the file). */
  get endOffset(): number {
    return this.active.endOffset;
  }

  /**
   * Append records as one batch. Offsets are assigned now, in call order; the promise resolves when
   * the batch is durable under the fsync policy.
   */
  append(records: readonly ProducerRecord[], sizes: readonly number[]): { baseOffset: number; done: Promise<void> } {
    if (this.closed) throw new TributaryError('LOG_CLOSED', `partition ${this.topic}/${this.id} is closed`);
    if (this.failed) throw this.failed;
    const now = Date.now();
    const baseOffset = this.nextOffset;
    this.nextOffset += records.length;
    const batch = encodeBatch(records, sizes, baseOffset, now);
    const inFlight = this.inFlight;
    inFlight.count++;
    const done = new Promise<void>((resolve, reject) => {
      this.pending.push({
        batch,
        offset: baseOffset,
        count: records.length,
        maxTimestamp: batch.readDoubleLE(32),
        resolve: () => {
          inFlight.count--;
          resolve();
        },
        reject: (error) => {
          inFlight.count--;
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      });
    });
    if (!this.writing) void this.drain();
    return { baseOffset, done };
  }

  /** Write queued batches, several per system call, one write in flight at a time. */
  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.pending.length > 0) {
        const group = this.pending;
        this.pending = [];
        let written = 0;
        try {
          await this.write(group, (n) => (written = n));
        } catch (error) {
          this.refuse(group, written, error);
          continue;
        }
        this.landed(group);
      }
    } finally {
      this.writing = false;
    }
  }

  private landed(group: Pending[]): void {
    if (group.length === 0) return;
    for (const p of group) this.tail.add(p.batch, p.offset, p.count);
    this.wake();
    this.acknowledge(group);
  }

  /**
   * A write failed after the first `written` batches of `group` landed. Those are kept; the rest, and
   * every append queued behind them, are refused, and their offsets are handed out again, so that the
   * partition has no gap. The segment was put back as it was before the failed write (Segment.append).
   * A full file system (ENOSPC, EDQUOT) is a state the partition recovers from: the next append after
   * space returns is written. Any other error leaves the files in doubt, so later appends are refused
   * until the log is reopened, which recovers the partition from its files.
   */
  private refuse(group: Pending[], written: number, error: unknown): void {
    this.landed(group.slice(0, written));
    const refused = [...group.slice(written), ...this.pending.splice(0)];
    const code = (error as NodeJS.ErrnoException).code;
    const full = code === 'ENOSPC' || code === 'EDQUOT';
    const failure = full
      ? new TributaryError('LOG_DISK_FULL', `cannot append to ${this.active.logPath}: the file system is full (${code}); nothing of this write was kept; free space under the data directory and retry`, { cause: error })
      : new TributaryError('LOG_UNAVAILABLE', `cannot append to ${this.active.logPath}: ${(error as Error).message}; reopen the log to recover`, { cause: error });
    if (refused.length > 0) this.nextOffset = refused[0]!.offset;
    if (!full) this.failed = failure;
    for (const p of refused) p.reject(failure);
  }

  /** Writes `group` in order, rolling segments as they fill; `progress(n)` after the first n batches are written. */
  private async write(group: Pending[], progress: (written: number) => void): Promise<void> {
    let start = 0;
    while (start < group.length) {
      // Roll before a write that would take the active segment past its size.
      let bytes = 0;
      let end = start;
      while (end < group.length && (end === start || this.active.size + bytes + group[end]!.batch.length <= this.options.segmentBytes)) {
        bytes += group[end]!.batch.length;
        end++;
      }
      if (this.active.size > 0 && this.active.size + bytes > this.options.segmentBytes) {
        await this.active.sync();
        this.segments.push(await Segment.create(this.dir, group[start]!.offset));
        continue;
      }
      const slice = group.slice(start, end);
      await this.active.append(
        slice.map((p) => p.batch),
        slice.map((p) => ({ offset: p.offset, count: p.count, maxTimestamp: p.maxTimestamp, size: p.batch.length })),
      );
      start = end;
      progress(start);
    }
  }

  private acknowledge(group: Pending[]): void {
    const policy = this.options.fsync;
    if (policy.mode === 'never') {
      for (const p of group) p.resolve();
    } else if (policy.mode === 'always') {
      this.sync().then(
        () => group.forEach((p) => p.resolve()),
        (error: unknown) => group.forEach((p) => p.reject(error)),
      );
    } else {
      if (this.unsynced.length === 0) this.unsyncedSince = Date.now();
      this.unsynced.push(...group);
      // Group commit that does not make a lone writer wait: when no other write is waiting, here
      // or (with a shared count) anywhere in the log, it syncs at once. Otherwise writes gather for
      // the interval and one fsync acknowledges them all, as before.
      if (this.syncing || this.syncTimer) return;
      if (this.pending.length === 0 && this.inFlight.count <= this.unsynced.length) void this.syncNow();
      else this.scheduleSync(policy.ms);
    }
  }

  private scheduleSync(ms: number): void {
    this.syncTimer = setTimeout(() => void this.syncNow(), Math.max(0, ms - (Date.now() - this.unsyncedSince)));
  }

  private sync(): Promise<void> {
    const segment = this.active;
    return this.options.syncGate ? this.options.syncGate(() => segment.sync()) : segment.sync();
  }

  /** fsync=interval: one fsync acknowledges every batch written since the last one. */
  private async syncNow(): Promise<void> {
    this.syncTimer = undefined;
    const group = this.unsynced;
    this.unsynced = [];
    this.syncing = true;
    const started = performance.now();
    try {
      await this.sync();
      this.options.onSync?.({ topic: this.topic, partition: this.id, batches: group.length, ms: performance.now() - started });
      for (const p of group) p.resolve();
    } catch (error) {
      for (const p of group) p.reject(error);
    } finally {
      this.syncing = false;
      // Writes that arrived during this sync had company: they wait for the interval.
      if (this.unsynced.length > 0 && this.options.fsync.mode === 'interval') this.scheduleSync(this.options.fsync.ms);
    }
  }

  /** Call `listener` after each write becomes readable (and on close); returns the unsubscribe. */
  onAppend(listener: () => void): () => void {
    this.waiters.add(listener);
    return () => this.waiters.delete(listener);
  }

  private wake(): void {
    for (const waiter of this.waiters) waiter();
  }

  /** Read records from `fromOffset`, about `maxBytes` of batches; past the end returns none. */
  async read(fromOffset: number, maxBytes: number): Promise<ReadResult> {
    const records: LogRecord[] = [];
    let offset = Math.max(fromOffset, this.startOffset);
    const cached = this.tail.read(offset, maxBytes, this.topic, this.id, records);
    if (cached !== undefined) return { records, nextOffset: cached };
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

  /** Wait for queued writes and their fsync. */
  async flush(): Promise<void> {
    while (this.writing || this.pending.length > 0 || this.syncing) await new Promise((resolve) => setTimeout(resolve, 1));
    if (this.syncTimer) {
      clearTimeout(this.syncTimer);
      await this.syncNow();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    this.wake();
    for (const segment of this.segments) await segment.close();
  }

  async delete(): Promise<void> {
    await this.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}
