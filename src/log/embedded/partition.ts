/**
 * One partition of the embedded log: the append queue that serialises writes and applies the fsync
 * policy, a cache of the newest batches for readers at the tail, and its segments (segment-list.ts),
 * which hold the files and answer reads by offset or timestamp.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { TributaryError } from '../../errors.ts';
import type { LogRecord, ProducerRecord } from '../log.ts';
import { encodeBatch } from './batch.ts';
import { SegmentList, type ReadResult } from './segment-list.ts';
import type { PartitionOptions, WritesInFlight } from './partition-options.ts';
import { TailCache } from './tail-cache.ts';

export type { FsyncPolicy, PartitionOptions, SyncEvent, WritesInFlight } from './partition-options.ts';
export type { ReadResult } from './segment-list.ts';

interface Pending {
  batch: Buffer;
  offset: number;
  count: number;
  maxTimestamp: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class Partition {
  private readonly segments: SegmentList;
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

  private constructor(topic: string, id: number, dir: string, options: PartitionOptions, segments: SegmentList) {
    this.topic = topic;
    this.id = id;
    this.dir = dir;
    this.options = options;
    this.segments = segments;
    this.tail = new TailCache(options.tailCacheBytes ?? (() => 0));
    this.inFlight = options.writesInFlight ?? { count: 0 };
  }

  static async open(topic: string, id: number, dir: string, options: PartitionOptions): Promise<Partition> {
    await mkdir(dir, { recursive: true });
    const bases = (await readdir(dir))
      .filter((f) => f.endsWith('.log'))
      .map((f) => Number(f.slice(0, -4)))
      .sort((a, b) => a - b);
    const segments = await SegmentList.load(topic, id, dir, bases, (file, position, bytes) => options.onWarning('truncated a torn write at the end of a segment', { file, position, bytes }));
    const partition = new Partition(topic, id, dir, options, segments);
    partition.nextOffset = segments.endOffset;
    return partition;
  }

  private get active() {
    return this.segments.active;
  }

  /** Bytes of the batches the segments hold. */
  get bytes(): number {
    return this.segments.bytes;
  }

  get startOffset(): number {
    return this.segments.startOffset;
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
        await this.segments.roll(group[start]!.offset);
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
    const offset = Math.max(fromOffset, this.startOffset);
    const cached = this.tail.read(offset, maxBytes, this.topic, this.id, records);
    if (cached !== undefined) return { records, nextOffset: cached };
    return this.segments.read(offset, maxBytes, records);
  }

  /** The first offset whose record has a timestamp at or after `timestamp` (the end offset if none). */
  offsetForTimestamp(timestamp: number): Promise<number> {
    return this.segments.offsetForTimestamp(timestamp);
  }

  /** Delete whole segments, oldest first, that are older than `retentionMs` or beyond `retentionBytes`. */
  enforceRetention(retentionMs: number | undefined, retentionBytes: number | undefined, now: number): Promise<number> {
    return this.segments.enforceRetention(retentionMs, retentionBytes, now);
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
    await this.segments.close();
  }

  async delete(): Promise<void> {
    await this.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}
