/**
 * Keyed windowed aggregation in event time, with allowed lateness: the stateful core of a stream
 * job. No I/O: the runner feeds it records and watermarks, routes what it returns, and checkpoints
 * `snapshot()`.
 *
 * Lifecycle of a window, for a watermark W and allowed lateness L:
 * - open: created by its first accepted record; holds one accumulator, never the records.
 * - fired: once `end <= W` the window emits its result. While `end + L > W` it stays open and
 *   each accepted record makes it emit again (an update) at the next `advanceWatermark`.
 * - final: once `end + L <= W` it emits one last time with `final: true` (even when nothing changed
 *   since its last emission, so a consumer that wants only final results can wait for that flag)
 *   and its state is released.
 * - superseded (session windows only): a session that fired and then grew or merged with another
 *   lives on as a new window; the new window's emission lists the old ones in `supersedes`, and
 *   they never get a final emission of their own.
 *
 * A record is late when every window it belongs to is past `end + L <= W`; `process` says so and
 * changes nothing, so the runner can send it to a side output. A record that belongs to some expired
 * and some open sliding windows is accepted into the open ones only. For a session, the window a
 * record belongs to is the session it would merge into, so a record that lands inside an open
 * session is accepted however old it is.
 *
 * Early results (processing time): `emitEarly(key)` emits the current result of each of the key's
 * windows that has not fired yet and changed since its last emission, with `final: false`; the
 * runner calls it when a processing-time timer of that key fires. An early emission counts as an
 * emission: a window that takes no record after it does not emit the same result again when it
 * fires, unless that firing is its final one (which always emits). Final results are unchanged.
 *
 * Emissions of one `advanceWatermark` come out by window end, then start, then key, so a run is
 * deterministic and a restored operator emits exactly what the original would have.
 */
import { z } from 'zod';
import { TributaryError } from '../../errors.ts';
import type { Aggregator } from './aggregate.ts';
import { decodeTime, encodeTime, jsonTimeSchema } from './json-time.ts';
import { MinHeap } from './min-heap.ts';
import { parseSnapshot } from './snapshot.ts';
import { TimerQueue, timerQueueSnapshotSchema, type Timer } from './timers.ts';
import { assignWindows, checkEventTime, checkSpec, describeSpec, type Window, type WindowSpec } from './windows.ts';

export interface WindowOperatorOptions {
  /** How long after a window's end (in event time) records are still added to it; default 0. */
  readonly allowedLatenessMs?: number;
}

export type ProcessOutcome = 'accepted' | 'late';

export interface WindowResult<R> {
  readonly key: string;
  readonly window: Window;
  readonly result: R;
  /** The window is closed: no later emission for it will come. */
  readonly final: boolean;
  /** Earlier emitted windows of this key that this one replaces (session merges); usually empty. */
  readonly supersedes: readonly Window[];
}

interface WindowState<A> {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  acc: A;
  /** Changed since its last emission, or never emitted. */
  dirty: boolean;
  /** Windows emitted for (parts of) this one that a consumer still holds as current. */
  emitted: Window[];
  /** False once purged or merged away; heap entries for it are then skipped. */
  alive: boolean;
}

interface Due<A> {
  readonly time: number;
  readonly state: WindowState<A>;
}

const windowSchema = z.strictObject({ start: z.number(), end: z.number() });

const operatorSnapshotSchema = z.strictObject({
  version: z.literal(1),
  spec: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('tumbling'), sizeMs: z.number() }),
    z.strictObject({ kind: z.literal('sliding'), sizeMs: z.number(), slideMs: z.number() }),
    z.strictObject({ kind: z.literal('session'), gapMs: z.number() }),
  ]),
  watermark: jsonTimeSchema,
  windows: z.array(
    z.strictObject({
      key: z.string(),
      start: z.number(),
      end: z.number(),
      // Optional because JSON drops a property whose value is undefined (reduce's empty accumulator).
      acc: z.unknown().optional(),
      dirty: z.boolean(),
      emitted: z.array(windowSchema),
    }),
  ),
  timers: timerQueueSnapshotSchema,
});

export type WindowOperatorSnapshot = z.infer<typeof operatorSnapshotSchema>;

export class WindowOperator<V, A, R> {
  readonly #spec: WindowSpec;
  readonly #aggregator: Aggregator<V, A, R>;
  readonly #lateness: number;
  /** Open windows by key, then by start (unique per key for every kind, sessions being disjoint). */
  readonly #windows = new Map<string, Map<number, WindowState<A>>>();
  /** Each open window is due at its end (first firing) and at end + lateness (final). */
  readonly #due = new MinHeap<Due<A>>((a, b) => a.time < b.time);
  /** Windows that already fired and took a record since, to emit again at the next advance. */
  readonly #updated = new Set<WindowState<A>>();
  #timers = new TimerQueue();
  #watermark = Number.NEGATIVE_INFINITY;

  constructor(spec: WindowSpec, aggregator: Aggregator<V, A, R>, options: WindowOperatorOptions = {}) {
    const { allowedLatenessMs = 0 } = options;
    if (!Number.isSafeInteger(allowedLatenessMs) || allowedLatenessMs < 0) {
      throw new TributaryError('CONFIG_INVALID', `allowedLatenessMs must be a non-negative integer: got ${String(allowedLatenessMs)}`);
    }
    this.#spec = checkSpec(spec);
    this.#aggregator = aggregator;
    this.#lateness = allowedLatenessMs;
  }

  /** The last watermark given to `advanceWatermark`; -Infinity before the first. */
  get watermark(): number {
    return this.#watermark;
  }

  /** What the operator holds, for metrics and for checking that closed windows release their state. */
  stats(): { keys: number; windows: number; timers: number } {
    let windows = 0;
    for (const byStart of this.#windows.values()) windows += byStart.size;
    return { keys: this.#windows.size, windows, timers: this.#timers.size };
  }

  /** Adds a record to its windows, or reports it late (and changes nothing). */
  process(key: string, timestamp: number, value: V): ProcessOutcome {
    checkEventTime(timestamp);
    if (this.#spec.kind === 'session') return this.#processSession(key, timestamp, this.#spec.gapMs, value);
    let accepted = false;
    for (const window of assignWindows(this.#spec, timestamp)) {
      if (this.#expired(window.end)) continue;
      accepted = true;
      const state = this.#windows.get(key)?.get(window.start) ?? this.#open(key, window.start, window.end, this.#aggregator.create(), []);
      this.#add(state, value);
    }
    return accepted ? 'accepted' : 'late';
  }

  /**
   * Moves event time to `watermark` (a lower value than the current one changes nothing but still
   * flushes pending updates) and returns the emissions it causes.
   */
  advanceWatermark(watermark: number): WindowResult<R>[] {
    if (Number.isNaN(watermark)) throw new TributaryError('INTERNAL', 'watermark must be a number: got NaN');
    const now = (this.#watermark = Math.max(this.#watermark, watermark));
    const due = new Set(this.#updated);
    this.#updated.clear();
    for (let next = this.#due.peek(); next !== undefined && next.time <= now; next = this.#due.peek()) {
      this.#due.pop();
      due.add(next.state);
    }
    const firing = [...due].filter((state) => state.alive && state.end <= now).sort(emissionOrder);
    const results: WindowResult<R>[] = [];
    for (const state of firing) {
      const window = { start: state.start, end: state.end };
      const final = this.#expired(state.end);
      if (state.dirty || final) {
        const supersedes = state.emitted.filter((w) => w.start !== state.start || w.end !== state.end);
        results.push({ key: state.key, window, result: this.#aggregator.result(state.acc), final, supersedes });
        state.dirty = false;
        state.emitted = [window];
      }
      if (final) this.#close(state);
    }
    return results;
  }

  /**
   * The results of `key`'s windows that the watermark has not reached yet (`end` above it) and that
   * changed since their last emission, as non-final emissions by window end then start. Windows the
   * watermark already fired are left to `advanceWatermark`, which re-emits their updates anyway.
   */
  emitEarly(key: string): WindowResult<R>[] {
    const byStart = this.#windows.get(key);
    if (byStart === undefined) return [];
    const results: WindowResult<R>[] = [];
    for (const state of [...byStart.values()].filter((s) => s.dirty && s.end > this.#watermark).sort(emissionOrder)) {
      const window = { start: state.start, end: state.end };
      const supersedes = state.emitted.filter((w) => w.start !== state.start || w.end !== state.end);
      results.push({ key, window, result: this.#aggregator.result(state.acc), final: false, supersedes });
      state.dirty = false;
      state.emitted = [window];
    }
    return results;
  }

  /** Pending processing-time timers, earliest first (to rebuild a runner's view after `restore`). */
  timers(): Timer[] {
    return this.#timers.snapshot().timers.map(({ key, atMs, tag }) => ({ key, atMs, tag }));
  }

  /** A processing-time timer for `key`; registering the same (key, atMs, tag) again keeps one. */
  registerTimer(key: string, atMs: number, tag: string): void {
    this.#timers.register(key, atMs, tag);
  }

  deleteTimer(key: string, atMs: number, tag: string): boolean {
    return this.#timers.delete(key, atMs, tag);
  }

  /** Removes and returns the timers due at processing time `nowMs`, earliest first. */
  fireTimers(nowMs: number): Timer[] {
    return this.#timers.fire(nowMs);
  }

  /**
   * The whole state as plain JSON: open windows with their accumulators, the watermark and the
   * timers. Accumulators are copied, so an aggregator that changes them in place does not alter a
   * snapshot already taken.
   */
  snapshot(): WindowOperatorSnapshot {
    const windows: WindowOperatorSnapshot['windows'] = [];
    for (const key of [...this.#windows.keys()].sort()) {
      const byStart = [...this.#windows.get(key)!.values()].sort((a, b) => a.start - b.start);
      for (const { start, end, acc, dirty, emitted } of byStart) {
        windows.push({ key, start, end, acc: copy(acc), dirty, emitted: emitted.map((w) => ({ start: w.start, end: w.end })) });
      }
    }
    return { version: 1, spec: { ...this.#spec }, watermark: encodeTime(this.#watermark), windows, timers: this.#timers.snapshot() };
  }

  /**
   * An operator that continues exactly where the one that took `snapshot` was. The spec must be
   * the one the snapshot was taken with (windows of another size cannot be converted);
   * `allowedLatenessMs` may change.
   */
  static restore<V, A, R>(snapshot: unknown, spec: WindowSpec, aggregator: Aggregator<V, A, R>, options: WindowOperatorOptions = {}): WindowOperator<V, A, R> {
    const parsed = parseSnapshot(operatorSnapshotSchema, snapshot, 'window operator');
    const operator = new WindowOperator(spec, aggregator, options);
    if (describeSpec(parsed.spec) !== describeSpec(operator.#spec)) {
      throw new TributaryError(
        'CONFIG_INVALID',
        `window operator snapshot was taken with ${describeSpec(parsed.spec)} windows, but the job now uses ${describeSpec(operator.#spec)}`,
      );
    }
    operator.#watermark = decodeTime(parsed.watermark);
    for (const { key, start, end, acc, dirty, emitted } of parsed.windows) {
      // Re-queued at its end even when it already fired: at the next advance it is then found not
      // dirty and emits nothing, exactly as the original operator would.
      operator.#open(key, start, end, copy(acc) as A, emitted).dirty = dirty;
    }
    operator.#timers = TimerQueue.restore(parsed.timers);
    return operator;
  }

  #processSession(key: string, timestamp: number, gapMs: number, value: V): ProcessOutcome {
    const start = timestamp;
    const end = timestamp + gapMs;
    const sessions = this.#windows.get(key);
    // Touching counts as overlapping (as in Flink): records exactly gapMs apart share a session.
    const overlapping = sessions === undefined ? [] : [...sessions.values()].filter((s) => s.start <= end && start <= s.end).sort((a, b) => a.start - b.start);
    const [first] = overlapping;
    if (first === undefined) {
      if (this.#expired(end)) return 'late';
      this.#add(this.#open(key, start, end, this.#aggregator.create(), []), value);
      return 'accepted';
    }
    // Open sessions are never expired and a merge only widens, so from here on the record is on time.
    if (overlapping.length === 1 && first.start <= start && end <= first.end) {
      this.#add(first, value);
      return 'accepted';
    }
    let acc = first.acc;
    for (const other of overlapping.slice(1)) acc = this.#aggregator.merge(acc, other.acc);
    const emitted = overlapping.flatMap((s) => s.emitted);
    for (const old of overlapping) this.#close(old);
    const merged = this.#open(key, Math.min(start, first.start), Math.max(end, ...overlapping.map((s) => s.end)), acc, emitted);
    this.#add(merged, value);
    return 'accepted';
  }

  #add(state: WindowState<A>, value: V): void {
    state.acc = this.#aggregator.add(state.acc, value);
    state.dirty = true;
    if (state.end <= this.#watermark) this.#updated.add(state);
  }

  #open(key: string, start: number, end: number, acc: A, emitted: Window[]): WindowState<A> {
    const state: WindowState<A> = { key, start, end, acc, dirty: true, emitted, alive: true };
    let byStart = this.#windows.get(key);
    if (byStart === undefined) this.#windows.set(key, (byStart = new Map<number, WindowState<A>>()));
    byStart.set(start, state);
    this.#due.push({ time: end, state });
    if (this.#lateness > 0) this.#due.push({ time: end + this.#lateness, state });
    return state;
  }

  /** Releases a window's state; its heap entries are dropped lazily when they come due. */
  #close(state: WindowState<A>): void {
    state.alive = false;
    this.#updated.delete(state);
    const byStart = this.#windows.get(state.key);
    byStart?.delete(state.start);
    if (byStart?.size === 0) this.#windows.delete(state.key);
  }

  #expired(end: number): boolean {
    return end + this.#lateness <= this.#watermark;
  }
}

function emissionOrder<A>(a: WindowState<A>, b: WindowState<A>): number {
  return a.end - b.end || a.start - b.start || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

function copy<T>(value: T): T {
  return typeof value === 'object' && value !== null ? structuredClone(value) : value;
}
