/**
 * Processing-time timers: "call me back for this key at wall-clock time T". Nothing here reads the
 * clock; the runner passes `nowMs` to `fireTimers`, which keeps the queue deterministic and lets a
 * test drive time by hand.
 *
 * A timer is identified by (key, atMs, tag): registering the same one twice keeps one, as in Flink,
 * so a runner can re-register on every record without piling up timers. Due timers come out by
 * `atMs`, and those with the same `atMs` in the order they were registered.
 */
import { z } from 'zod';
import { TributaryError } from '../../errors.ts';
import { MinHeap } from './min-heap.ts';

export interface Timer {
  readonly key: string;
  readonly atMs: number;
  readonly tag: string;
}

interface Entry extends Timer {
  /** Registration order, to break ties between timers due at the same time. */
  readonly seq: number;
}

export const timerQueueSnapshotSchema = z.strictObject({
  nextSeq: z.number().int().nonnegative(),
  timers: z.array(z.strictObject({ key: z.string(), atMs: z.number(), tag: z.string(), seq: z.number().int().nonnegative() })),
});

export type TimerQueueSnapshot = z.infer<typeof timerQueueSnapshotSchema>;

export class TimerQueue {
  #heap = newHeap();
  /** The live entry per timer id; a heap entry not found here was deleted (removed lazily on pop). */
  readonly #live = new Map<string, Entry>();
  #nextSeq = 0;

  get size(): number {
    return this.#live.size;
  }

  register(key: string, atMs: number, tag: string): void {
    if (!Number.isFinite(atMs)) throw new TributaryError('INTERNAL', `timer time must be a finite number of milliseconds: got ${String(atMs)}`);
    const id = timerId(key, atMs, tag);
    if (this.#live.has(id)) return;
    this.#add({ key, atMs, tag, seq: this.#nextSeq++ });
  }

  /** Returns whether there was such a timer. */
  delete(key: string, atMs: number, tag: string): boolean {
    const deleted = this.#live.delete(timerId(key, atMs, tag));
    // Deleted entries leave the heap only when they come due; a runner that keeps moving a timer
    // forward would grow the heap without bound, so rebuild it once it is mostly dead entries.
    if (deleted && this.#heap.size > 2 * this.#live.size + 64) {
      this.#heap = newHeap();
      for (const entry of this.#live.values()) this.#heap.push(entry);
    }
    return deleted;
  }

  /** Removes and returns every timer with `atMs <= nowMs`, earliest first. */
  fire(nowMs: number): Timer[] {
    const due: Timer[] = [];
    for (let next = this.#heap.peek(); next !== undefined && next.atMs <= nowMs; next = this.#heap.peek()) {
      this.#heap.pop();
      const id = timerId(next.key, next.atMs, next.tag);
      if (this.#live.get(id) !== next) continue;
      this.#live.delete(id);
      due.push({ key: next.key, atMs: next.atMs, tag: next.tag });
    }
    return due;
  }

  snapshot(): TimerQueueSnapshot {
    const timers = [...this.#live.values()].sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
    return { nextSeq: this.#nextSeq, timers: timers.map((t) => ({ key: t.key, atMs: t.atMs, tag: t.tag, seq: t.seq })) };
  }

  /** `snapshot` must already be validated against `timerQueueSnapshotSchema`. */
  static restore(snapshot: TimerQueueSnapshot): TimerQueue {
    const queue = new TimerQueue();
    for (const timer of snapshot.timers) queue.#add(timer);
    queue.#nextSeq = snapshot.nextSeq;
    return queue;
  }

  #add(entry: Entry): void {
    this.#live.set(timerId(entry.key, entry.atMs, entry.tag), entry);
    this.#heap.push(entry);
  }
}

function newHeap(): MinHeap<Entry> {
  return new MinHeap<Entry>((a, b) => a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq));
}

function timerId(key: string, atMs: number, tag: string): string {
  return JSON.stringify([key, atMs, tag]);
}
