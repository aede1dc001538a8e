/**
 * Watermarks with bounded out-of-orderness, per input partition, as Flink's
 * `forBoundedOutOfOrderness(...).withIdleness(...)`.
 *
 * Glossary:
 * - watermark W: the claim that no more records with event time below W will arrive; a window
 *   `[start, end)` is complete once `end <= W`. Records that still arrive below it are late.
 * - partition watermark: the largest event time the partition has shown, less
 *   `maxOutOfOrdernessMs`; -Infinity before its first record.
 * - idle: a partition that has had no record for `idleTimeoutMs` of processing time. It stops
 *   holding the combined watermark back, so one quiet partition does not stall every window.
 * - combined watermark: the least partition watermark over the partitions that are not idle. It
 *   never goes backwards: a partition that wakes up behind it finds its old records late, rather
 *   than windows that already fired being un-fired.
 *
 * Processing time is always passed in (`nowMs`); nothing here reads the clock.
 */
import { z } from 'zod';
import { TributaryError } from '../../errors.ts';
import { decodeTime, encodeTime, jsonTimeSchema } from './json-time.ts';
import { parseSnapshot } from './snapshot.ts';
import { checkEventTime } from './windows.ts';

export interface WatermarkOptions {
  /** How far behind the latest event time a record may arrive and still count as on time. */
  readonly maxOutOfOrdernessMs: number;
  /** Processing time without a record after which a partition is idle; default: never idle. */
  readonly idleTimeoutMs?: number;
}

export interface WatermarkRestoreOptions {
  /**
   * Processing time at which the job resumes. When given, every partition counts as active from
   * then: the clock kept running while the job was down, and counting that downtime as idleness
   * would let the first partition read after a restart run the watermark ahead of the others.
   * Leave it out to continue exactly as if the job had never stopped.
   */
  readonly resumeAtMs?: number;
}

interface PartitionState {
  maxTimestamp: number;
  lastActivityMs: number;
}

const watermarkSnapshotSchema = z.strictObject({
  version: z.literal(1),
  combined: jsonTimeSchema,
  partitions: z.array(z.strictObject({ partition: z.number().int(), maxTimestamp: jsonTimeSchema, lastActivityMs: z.number() })),
});

export type WatermarkSnapshot = z.infer<typeof watermarkSnapshotSchema>;

export class WatermarkGenerator {
  readonly #outOfOrderness: number;
  readonly #idleTimeout: number;
  readonly #partitions = new Map<number, PartitionState>();
  #combined = Number.NEGATIVE_INFINITY;

  constructor(options: WatermarkOptions) {
    const { maxOutOfOrdernessMs, idleTimeoutMs = Number.POSITIVE_INFINITY } = options;
    if (!Number.isSafeInteger(maxOutOfOrdernessMs) || maxOutOfOrdernessMs < 0) {
      throw new TributaryError('CONFIG_INVALID', `maxOutOfOrdernessMs must be a non-negative integer: got ${String(maxOutOfOrdernessMs)}`);
    }
    if (!(idleTimeoutMs > 0)) {
      throw new TributaryError('CONFIG_INVALID', `idleTimeoutMs must be a positive number of milliseconds: got ${String(idleTimeoutMs)}`);
    }
    this.#outOfOrderness = maxOutOfOrdernessMs;
    this.#idleTimeout = idleTimeoutMs;
  }

  /**
   * Declares a partition before its first record. Until it sends one (or goes idle), it holds the
   * combined watermark at -Infinity: without this, a partition that is merely slow to start would
   * find all its records late because the others ran ahead. Registering a known partition is a no-op.
   */
  register(partition: number, nowMs: number): void {
    if (!this.#partitions.has(partition)) this.#partitions.set(partition, { maxTimestamp: Number.NEGATIVE_INFINITY, lastActivityMs: nowMs });
  }

  /** Forgets a partition, e.g. one a consumer-group rebalance took away. */
  remove(partition: number): void {
    this.#partitions.delete(partition);
  }

  /** Records that `partition` delivered a record with event time `timestamp` at processing time `nowMs`. */
  observe(partition: number, timestamp: number, nowMs: number): void {
    checkEventTime(timestamp);
    const state = this.#partitions.get(partition);
    if (state === undefined) {
      this.#partitions.set(partition, { maxTimestamp: timestamp, lastActivityMs: nowMs });
    } else {
      state.maxTimestamp = Math.max(state.maxTimestamp, timestamp);
      state.lastActivityMs = nowMs;
    }
  }

  /** The partition's own watermark; -Infinity for one not seen. */
  partitionWatermark(partition: number): number {
    const state = this.#partitions.get(partition);
    return state === undefined ? Number.NEGATIVE_INFINITY : state.maxTimestamp - this.#outOfOrderness;
  }

  isIdle(partition: number, nowMs: number): boolean {
    const state = this.#partitions.get(partition);
    return state !== undefined && nowMs - state.lastActivityMs >= this.#idleTimeout;
  }

  /**
   * The combined watermark at processing time `nowMs`: the least watermark of the active partitions.
   * When every partition is idle, it is the least watermark of those that have sent records (each
   * one's own watermark still bounds its own late records), so the windows of a stream that has
   * paused all fire; partitions that never sent anything do not count then. It never goes back.
   */
  current(nowMs: number): number {
    let least = Number.POSITIVE_INFINITY;
    let leastSeen = Number.POSITIVE_INFINITY;
    let active = false;
    for (const [partition, state] of this.#partitions) {
      const mark = state.maxTimestamp - this.#outOfOrderness;
      if (state.maxTimestamp > Number.NEGATIVE_INFINITY) leastSeen = Math.min(leastSeen, mark);
      if (this.isIdle(partition, nowMs)) continue;
      active = true;
      least = Math.min(least, mark);
    }
    const next = active ? least : leastSeen;
    if (next !== Number.POSITIVE_INFINITY) this.#combined = Math.max(this.#combined, next);
    return this.#combined;
  }

  /** Plain JSON: survives `JSON.stringify` and `JSON.parse`. */
  snapshot(): WatermarkSnapshot {
    return {
      version: 1,
      combined: encodeTime(this.#combined),
      partitions: [...this.#partitions]
        .sort(([a], [b]) => a - b)
        .map(([partition, state]) => ({ partition, maxTimestamp: encodeTime(state.maxTimestamp), lastActivityMs: state.lastActivityMs })),
    };
  }

  static restore(snapshot: unknown, options: WatermarkOptions, restoreOptions: WatermarkRestoreOptions = {}): WatermarkGenerator {
    const parsed = parseSnapshot(watermarkSnapshotSchema, snapshot, 'watermark');
    const generator = new WatermarkGenerator(options);
    generator.#combined = decodeTime(parsed.combined);
    for (const { partition, maxTimestamp, lastActivityMs } of parsed.partitions) {
      generator.#partitions.set(partition, { maxTimestamp: decodeTime(maxTimestamp), lastActivityMs: restoreOptions.resumeAtMs ?? lastActivityMs });
    }
    return generator;
  }
}
