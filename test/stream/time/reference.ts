/**
 * A brute-force model of the window operator for the property tests. It keeps every accepted record
 * (never an accumulator), recomputes windows and sessions from those records on every call, and
 * folds a window's values from scratch whenever it emits. It shares no code with src/stream/time,
 * so agreement between the two is evidence, not a tautology.
 */
import type { WindowResult } from '../../../src/stream/time/window-operator.ts';
import type { Window, WindowSpec } from '../../../src/stream/time/windows.ts';

interface Stored {
  readonly key: string;
  readonly window: Window;
  readonly values: number[];
  /** How many values the window had at its last emission; undefined before the first. */
  emittedWith: number | undefined;
}

export class ReferenceOperator {
  readonly #spec: WindowSpec;
  readonly #lateness: number;
  readonly #fold: (values: readonly number[]) => number;
  #watermark = Number.NEGATIVE_INFINITY;
  /** Tumbling and sliding: every window that took a record and is not closed yet. */
  readonly #fixed = new Map<string, Stored>();
  /** Session: the accepted records of each key whose session is not closed yet. */
  readonly #open = new Map<string, { t: number; v: number }[]>();
  /** Session: per key, the emitted windows a consumer still holds as current, with their value count. */
  readonly #live = new Map<string, Map<string, { window: Window; count: number }>>();

  constructor(spec: WindowSpec, lateness: number, fold: (values: readonly number[]) => number) {
    this.#spec = spec;
    this.#lateness = lateness;
    this.#fold = fold;
  }

  process(key: string, t: number, v: number): 'accepted' | 'late' {
    if (this.#spec.kind === 'session') {
      const record = { t, v };
      const records = [...(this.#open.get(key) ?? []), record];
      const mine = sessionsOf(records, this.#spec.gapMs).find((s) => s.records.includes(record));
      if (mine === undefined || this.#expired(mine.window.end)) return 'late';
      this.#open.set(key, records);
      return 'accepted';
    }
    const size = this.#spec.sizeMs;
    const slide = this.#spec.kind === 'sliding' ? this.#spec.slideMs : size;
    const windows: Window[] = [];
    // Every multiple of the slide near t, kept when t lies in [start, start + size).
    for (let k = Math.floor((t - size) / slide) - 1; k <= Math.floor(t / slide) + 1; k++) {
      const start = k * slide;
      if (start <= t && t < start + size) windows.push({ start, end: start + size });
    }
    const open = windows.filter((w) => !this.#expired(w.end));
    if (open.length === 0) return 'late';
    for (const window of open) {
      const id = `${key}@${window.start}`;
      const stored = this.#fixed.get(id) ?? { key, window, values: [], emittedWith: undefined };
      stored.values.push(v);
      this.#fixed.set(id, stored);
    }
    return 'accepted';
  }

  advance(watermark: number): WindowResult<number>[] {
    this.#watermark = Math.max(this.#watermark, watermark);
    const out: WindowResult<number>[] = [];
    if (this.#spec.kind !== 'session') {
      for (const [id, stored] of this.#fixed) {
        if (stored.window.end > this.#watermark) continue;
        const final = this.#expired(stored.window.end);
        if (final || stored.emittedWith !== stored.values.length) {
          out.push({ key: stored.key, window: stored.window, result: this.#fold(stored.values), final, supersedes: [] });
          stored.emittedWith = stored.values.length;
        }
        if (final) this.#fixed.delete(id);
      }
    } else {
      for (const [key, records] of this.#open) {
        const live = this.#live.get(key) ?? new Map<string, { window: Window; count: number }>();
        this.#live.set(key, live);
        let remaining = records;
        for (const { window, records: members } of sessionsOf(records, this.#spec.gapMs)) {
          if (window.end > this.#watermark) continue;
          const final = this.#expired(window.end);
          const id = `${window.start}-${window.end}`;
          if (final || live.get(id)?.count !== members.length) {
            const supersedes = [...live.values()]
              .map((l) => l.window)
              .filter((w) => w.start >= window.start && w.end <= window.end && `${w.start}-${w.end}` !== id)
              .sort((a, b) => a.start - b.start);
            for (const w of supersedes) live.delete(`${w.start}-${w.end}`);
            out.push({ key, window, result: this.#fold(members.map((r) => r.v)), final, supersedes });
            live.set(id, { window, count: members.length });
          }
          if (final) {
            live.delete(id);
            remaining = remaining.filter((r) => !members.includes(r));
          }
        }
        if (remaining.length === 0) this.#open.delete(key);
        else this.#open.set(key, remaining);
        if (live.size === 0) this.#live.delete(key);
      }
    }
    return out.sort((a, b) => a.window.end - b.window.end || a.window.start - b.window.start || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  #expired(end: number): boolean {
    return end + this.#lateness <= this.#watermark;
  }
}

/** Groups records into sessions from scratch: sorted by time, a record joins the group it touches. */
function sessionsOf<T extends { t: number }>(records: readonly T[], gap: number): { window: Window; records: T[] }[] {
  const sorted = [...records].sort((a, b) => a.t - b.t);
  const sessions: { window: Window; records: T[] }[] = [];
  for (const record of sorted) {
    const last = sessions.at(-1);
    if (last !== undefined && record.t <= last.window.end) {
      last.records.push(record);
      last.window = { start: last.window.start, end: Math.max(last.window.end, record.t + gap) };
    } else {
      sessions.push({ window: { start: record.t, end: record.t + gap }, records: [record] });
    }
  }
  return sessions;
}
