import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../../src/errors.ts';
import { aggregate, count, reduce } from '../../../src/stream/time/aggregate.ts';
import { WindowOperator, type WindowResult } from '../../../src/stream/time/window-operator.ts';
import { session, sliding, tumbling } from '../../../src/stream/time/windows.ts';

const sum = () => reduce<number>((a, b) => a + b);

describe('window operator with tumbling windows', () => {
  it('should fire a tumbling window when the watermark passes its end', () => {
    const operator = new WindowOperator(tumbling(10), count());
    operator.process('a', 1, 'x');
    operator.process('a', 9, 'y');
    operator.process('a', 10, 'z');
    expect(operator.advanceWatermark(9)).toEqual([]);
    expect(operator.advanceWatermark(10)).toEqual([{ key: 'a', window: { start: 0, end: 10 }, result: 2, final: true, supersedes: [] }]);
    expect(operator.advanceWatermark(20)).toEqual([{ key: 'a', window: { start: 10, end: 20 }, result: 1, final: true, supersedes: [] }]);
  });

  it('should emit by window end, then start, then key', () => {
    const operator = new WindowOperator(tumbling(10), count());
    for (const [key, t] of [['b', 15], ['b', 5], ['a', 5], ['c', 25]] as const) operator.process(key, t, null);
    const fired = operator.advanceWatermark(30).map((r) => `${r.key}[${r.window.start},${r.window.end})`);
    expect(fired).toEqual(['a[0,10)', 'b[0,10)', 'b[10,20)', 'c[20,30)']);
  });

  it('should report a record late once its window has closed, and keep nothing for it', () => {
    const operator = new WindowOperator(tumbling(10), count());
    operator.process('a', 1, null);
    operator.advanceWatermark(10);
    expect(operator.process('a', 9, null)).toBe('late');
    expect(operator.process('a', 10, null)).toBe('accepted');
    expect(operator.stats()).toEqual({ keys: 1, windows: 1, timers: 0 });
  });

  it('should fire again with the updated result for a record within the allowed lateness, and mark the last emission final', () => {
    const operator = new WindowOperator(tumbling(10), sum(), { allowedLatenessMs: 5 });
    operator.process('a', 1, 1);
    operator.process('a', 2, 2);
    expect(operator.advanceWatermark(10)).toEqual([{ key: 'a', window: { start: 0, end: 10 }, result: 3, final: false, supersedes: [] }]);
    expect(operator.process('a', 3, 4)).toBe('accepted');
    expect(operator.advanceWatermark(12)).toEqual([{ key: 'a', window: { start: 0, end: 10 }, result: 7, final: false, supersedes: [] }]);
    expect(operator.advanceWatermark(14)).toEqual([]);
    expect(operator.advanceWatermark(15)).toEqual([{ key: 'a', window: { start: 0, end: 10 }, result: 7, final: true, supersedes: [] }]);
    expect(operator.process('a', 4, 8)).toBe('late');
    expect(operator.stats().windows).toBe(0);
  });

  it('should flush an update at the next advance even when the watermark stays where it was', () => {
    const operator = new WindowOperator(tumbling(10), count(), { allowedLatenessMs: 100 });
    operator.process('a', 1, null);
    operator.advanceWatermark(10);
    operator.process('a', 2, null);
    expect(operator.advanceWatermark(10).map((r) => r.result)).toEqual([2]);
    expect(operator.advanceWatermark(5)).toEqual([]);
    expect(operator.watermark).toBe(10);
  });

  it('should fire a window first opened by a record already behind the watermark but within lateness', () => {
    const operator = new WindowOperator(tumbling(10), count(), { allowedLatenessMs: 20 });
    operator.advanceWatermark(25);
    expect(operator.process('a', 7, null)).toBe('accepted');
    expect(operator.advanceWatermark(25)).toEqual([{ key: 'a', window: { start: 0, end: 10 }, result: 1, final: false, supersedes: [] }]);
  });
});

describe('window operator with sliding windows', () => {
  it('should add a record to each of its sliding windows and fire them as the watermark reaches each end', () => {
    const operator = new WindowOperator(sliding(10, 5), count());
    operator.process('a', 7, null);
    operator.process('a', 12, null);
    expect(operator.advanceWatermark(10).map((r) => [r.window.start, r.result])).toEqual([[0, 1]]);
    expect(operator.advanceWatermark(15).map((r) => [r.window.start, r.result])).toEqual([[5, 2]]);
    expect(operator.advanceWatermark(20).map((r) => [r.window.start, r.result])).toEqual([[10, 1]]);
  });

  it('should accept a record into the sliding windows still open, and call it late only when all have closed', () => {
    const operator = new WindowOperator(sliding(10, 5), count());
    operator.process('a', 6, null);
    operator.advanceWatermark(10);
    expect(operator.process('a', 7, null)).toBe('accepted');
    expect(operator.advanceWatermark(15)).toEqual([{ key: 'a', window: { start: 5, end: 15 }, result: 2, final: true, supersedes: [] }]);
    expect(operator.process('a', 9, null)).toBe('late');
  });
});

describe('window operator with session windows', () => {
  it('should gather the records of a key no more than one gap apart into one session', () => {
    const operator = new WindowOperator(session(10), count());
    for (const t of [0, 5, 15]) operator.process('a', t, null);
    operator.process('b', 3, null);
    expect(operator.advanceWatermark(13)).toEqual([{ key: 'b', window: { start: 3, end: 13 }, result: 1, final: true, supersedes: [] }]);
    expect(operator.advanceWatermark(25)).toEqual([{ key: 'a', window: { start: 0, end: 25 }, result: 3, final: true, supersedes: [] }]);
  });

  it('should merge two sessions, accumulators and all, when a record bridges them', () => {
    const operator = new WindowOperator(session(10), sum());
    operator.process('a', 0, 1);
    operator.process('a', 20, 2);
    expect(operator.stats().windows).toBe(2);
    operator.process('a', 10, 4);
    expect(operator.stats().windows).toBe(1);
    expect(operator.advanceWatermark(30)).toEqual([{ key: 'a', window: { start: 0, end: 30 }, result: 7, final: true, supersedes: [] }]);
  });

  it('should re-fire a merged session that had already fired, naming the windows it supersedes', () => {
    const operator = new WindowOperator(session(10), count(), { allowedLatenessMs: 100 });
    operator.process('a', 0, null);
    operator.process('a', 18, null);
    expect(operator.advanceWatermark(30).map((r) => r.window)).toEqual([
      { start: 0, end: 10 },
      { start: 18, end: 28 },
    ]);
    expect(operator.process('a', 9, null)).toBe('accepted');
    expect(operator.advanceWatermark(30)).toEqual([
      {
        key: 'a',
        window: { start: 0, end: 28 },
        result: 3,
        final: false,
        supersedes: [
          { start: 0, end: 10 },
          { start: 18, end: 28 },
        ],
      },
    ]);
    expect(operator.advanceWatermark(128)).toEqual([{ key: 'a', window: { start: 0, end: 28 }, result: 3, final: true, supersedes: [] }]);
  });

  it('should accept an old record that falls inside an open session even though its own proto-window has closed', () => {
    const operator = new WindowOperator(session(10), count());
    for (const t of [0, 8, 16]) operator.process('a', t, null);
    expect(operator.advanceWatermark(20)).toEqual([]);
    expect(operator.process('a', 3, null)).toBe('accepted');
    expect(operator.advanceWatermark(26).map((r) => r.result)).toEqual([4]);
    expect(operator.process('a', 5, null)).toBe('late');
  });
});

describe('window operator state', () => {
  it('should release the state of every window once it is final', () => {
    const operator = new WindowOperator(sliding(10, 2), count(), { allowedLatenessMs: 7 });
    for (let t = 0; t < 500; t += 3) operator.process(`k${t % 7}`, t, null);
    operator.advanceWatermark(500);
    const open = operator.snapshot().windows;
    expect(open.length).toBeGreaterThan(0);
    expect(open.filter((w) => w.end + 7 <= 500)).toEqual([]);
    expect(operator.stats().windows).toBe(open.length);
    operator.advanceWatermark(Number.POSITIVE_INFINITY);
    expect(operator.stats()).toEqual({ keys: 0, windows: 0, timers: 0 });
  });

  it('should fire processing-time timers in time order and carry pending ones through a snapshot', () => {
    const operator = new WindowOperator(tumbling(10), count());
    operator.registerTimer('a', 200, 'flush');
    operator.registerTimer('b', 100, 'flush');
    operator.registerTimer('c', 300, 'flush');
    expect(operator.deleteTimer('c', 300, 'flush')).toBe(true);
    expect(operator.fireTimers(150)).toEqual([{ key: 'b', atMs: 100, tag: 'flush' }]);
    const restored = WindowOperator.restore(JSON.parse(JSON.stringify(operator.snapshot())), tumbling(10), count());
    expect(restored.fireTimers(1_000)).toEqual([{ key: 'a', atMs: 200, tag: 'flush' }]);
  });

  it('should not change a snapshot already taken when the aggregator changes its accumulator in place', () => {
    const collect = aggregate<number, number[], number[]>(
      () => [],
      (acc, v) => (acc.push(v), acc),
      (a, b) => (a.push(...b), a),
      (acc) => [...acc],
    );
    const operator = new WindowOperator(tumbling(10), collect);
    operator.process('a', 1, 1);
    const snapshot = operator.snapshot();
    operator.process('a', 2, 2);
    expect(snapshot.windows[0]?.acc).toEqual([1]);
    expect(WindowOperator.restore(snapshot, tumbling(10), collect).advanceWatermark(10)[0]?.result).toEqual([1]);
  });

  it('should come back from a snapshot with reduce accumulators, the watermark and pending updates', () => {
    const operator = new WindowOperator(tumbling(10), sum(), { allowedLatenessMs: 10 });
    operator.process('a', 1, 5);
    operator.advanceWatermark(10);
    operator.process('a', 2, 6);
    const restored = WindowOperator.restore(JSON.parse(JSON.stringify(operator.snapshot())), tumbling(10), sum(), { allowedLatenessMs: 10 });
    expect(restored.watermark).toBe(10);
    expect(restored.advanceWatermark(20)).toEqual([{ key: 'a', window: { start: 0, end: 10 }, result: 11, final: true, supersedes: [] }]);
  });

  it('should keep an end-of-input watermark of +Infinity through JSON, where it would otherwise become null', () => {
    const operator = new WindowOperator(session(5), count());
    operator.advanceWatermark(Number.POSITIVE_INFINITY);
    const restored = WindowOperator.restore(JSON.parse(JSON.stringify(operator.snapshot())), session(5), count());
    expect(restored.watermark).toBe(Number.POSITIVE_INFINITY);
    expect(restored.process('a', 1, null)).toBe('late');
  });

  it('should refuse to restore a snapshot taken with another window spec', () => {
    const snapshot = new WindowOperator(tumbling(60_000), count()).snapshot();
    expect(() => WindowOperator.restore(snapshot, tumbling(30_000), count())).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: 'window operator snapshot was taken with tumbling(60000) windows, but the job now uses tumbling(30000)',
      }) as Error,
    );
  });

  it('should refuse a snapshot that does not fit its schema, naming the path', () => {
    let error: unknown;
    try {
      WindowOperator.restore({ version: 1, spec: { kind: 'session', gapMs: 5 }, watermark: 0, windows: [{ key: 'a' }], timers: { nextSeq: 0, timers: [] } }, session(5), count());
    } catch (e) {
      error = e;
    }
    expect(isTributaryError(error, 'CHECKPOINT_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(/^window operator snapshot does not fit its schema: windows\.0\.start: /);
  });

  it('should refuse a NaN watermark, a negative lateness and an event time that is not an integer', () => {
    const operator = new WindowOperator(tumbling(10), count());
    expect(() => operator.advanceWatermark(Number.NaN)).toThrow(expect.objectContaining({ code: 'INTERNAL' }) as Error);
    expect(() => operator.process('a', 1.5, null)).toThrow(expect.objectContaining({ code: 'SCHEMA_VALIDATION' }) as Error);
    expect(() => new WindowOperator(tumbling(10), count(), { allowedLatenessMs: -1 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }) as Error);
  });
});

describe('window operator early results', () => {
  it("should emit a key's open windows that changed since their last emission, not final, and nothing more until another record", () => {
    const operator = new WindowOperator(tumbling(10), count());
    operator.process('a', 1, null);
    operator.process('a', 12, null);
    operator.process('a', 13, null);
    operator.process('b', 2, null);
    expect(operator.emitEarly('a')).toEqual([
      { key: 'a', window: { start: 0, end: 10 }, result: 1, final: false, supersedes: [] },
      { key: 'a', window: { start: 10, end: 20 }, result: 2, final: false, supersedes: [] },
    ]);
    expect(operator.emitEarly('a')).toEqual([]);
    expect(operator.emitEarly('nobody')).toEqual([]);
    operator.process('a', 14, null);
    expect(operator.emitEarly('a')).toEqual([{ key: 'a', window: { start: 10, end: 20 }, result: 3, final: false, supersedes: [] }]);
    expect(operator.emitEarly('b').map((r) => r.result)).toEqual([1]);
  });

  it('should still give every window its final result at the watermark, the same as without early results', () => {
    const operator = new WindowOperator(tumbling(10), count());
    operator.process('a', 1, null);
    operator.emitEarly('a');
    expect(operator.advanceWatermark(10)).toEqual([{ key: 'a', window: { start: 0, end: 10 }, result: 1, final: true, supersedes: [] }]);
    expect(operator.stats().windows).toBe(0);
  });

  it('should leave windows the watermark already fired to advanceWatermark, and not repeat an unchanged early result when a window fires before its final', () => {
    const operator = new WindowOperator(tumbling(10), sum(), { allowedLatenessMs: 10 });
    operator.process('a', 1, 1);
    expect(operator.emitEarly('a').map((r) => r.result)).toEqual([1]);
    expect(operator.advanceWatermark(10)).toEqual([]);
    operator.process('a', 2, 2);
    expect(operator.emitEarly('a')).toEqual([]);
    expect(operator.advanceWatermark(10)).toEqual([{ key: 'a', window: { start: 0, end: 10 }, result: 3, final: false, supersedes: [] }]);
    expect(operator.advanceWatermark(20)).toEqual([{ key: 'a', window: { start: 0, end: 10 }, result: 3, final: true, supersedes: [] }]);
  });

  it('should name the early-emitted sessions that a merged session supersedes', () => {
    const operator = new WindowOperator(session(10), count());
    operator.process('a', 0, null);
    operator.process('a', 20, null);
    expect(operator.emitEarly('a').map((r) => r.window)).toEqual([
      { start: 0, end: 10 },
      { start: 20, end: 30 },
    ]);
    operator.process('a', 10, null);
    expect(operator.emitEarly('a')).toEqual([
      { key: 'a', window: { start: 0, end: 30 }, result: 3, final: false, supersedes: [{ start: 0, end: 10 }, { start: 20, end: 30 }] },
    ]);
    expect(operator.advanceWatermark(30)).toEqual([{ key: 'a', window: { start: 0, end: 30 }, result: 3, final: true, supersedes: [] }]);
  });

  it('should carry what was emitted early and the pending timers through a snapshot', () => {
    const operator = new WindowOperator(tumbling(10), count());
    operator.process('a', 1, null);
    operator.process('b', 1, null);
    operator.emitEarly('a');
    operator.registerTimer('b', 500, 'early');
    const restored = WindowOperator.restore(JSON.parse(JSON.stringify(operator.snapshot())), tumbling(10), count());
    expect(restored.timers()).toEqual([{ key: 'b', atMs: 500, tag: 'early' }]);
    expect(restored.emitEarly('a')).toEqual([]);
    expect(restored.fireTimers(499)).toEqual([]);
    expect(restored.fireTimers(500)).toEqual([{ key: 'b', atMs: 500, tag: 'early' }]);
    expect(restored.emitEarly('b').map((r) => r.result)).toEqual([1]);
    expect(restored.timers()).toEqual([]);
  });

  it('should give the same final results however early results are interleaved, and early results that never exceed them', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('record' as const), key: fc.constantFrom('a', 'b', 'c'), t: fc.integer({ min: 0, max: 200 }), v: fc.integer({ min: 1, max: 9 }) }),
      fc.record({ kind: fc.constant('early' as const), key: fc.constantFrom('a', 'b', 'c') }),
      fc.record({ kind: fc.constant('watermark' as const), w: fc.integer({ min: 0, max: 200 }) }),
    );
    const specs = [tumbling(20), sliding(30, 10), session(15)];
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), fc.constantFrom(0, 1, 2), fc.constantFrom(0, 25), (ops, which, lateness) => {
        const spec = specs[which]!;
        const plain = new WindowOperator(spec, sum(), { allowedLatenessMs: lateness });
        const withEarly = new WindowOperator(spec, sum(), { allowedLatenessMs: lateness });
        const finals = (results: WindowResult<number | undefined>[]) => results.filter((r) => r.final);
        const plainFinals: WindowResult<number | undefined>[] = [];
        const earlyFinals: WindowResult<number | undefined>[] = [];
        const early: WindowResult<number | undefined>[] = [];
        for (const o of ops) {
          if (o.kind === 'record') expect(withEarly.process(o.key, o.t, o.v)).toBe(plain.process(o.key, o.t, o.v));
          else if (o.kind === 'early') early.push(...withEarly.emitEarly(o.key));
          else {
            plainFinals.push(...finals(plain.advanceWatermark(o.w)));
            earlyFinals.push(...finals(withEarly.advanceWatermark(o.w)));
          }
        }
        plainFinals.push(...finals(plain.advanceWatermark(Number.POSITIVE_INFINITY)));
        earlyFinals.push(...finals(withEarly.advanceWatermark(Number.POSITIVE_INFINITY)));
        expect(earlyFinals).toEqual(plainFinals.map((r) => ({ ...r, supersedes: expect.any(Array) as unknown })));
        // Sums of positive values only grow, so an early result is at most its window's final one
        // (or that of the session it merged into).
        for (const e of early) {
          expect(e.final).toBe(false);
          const final = earlyFinals.find((f) => f.key === e.key && f.window.start <= e.window.start && e.window.end <= f.window.end);
          expect(final, `early ${e.key}[${e.window.start},${e.window.end}) has a final`).toBeDefined();
          expect(e.result!).toBeLessThanOrEqual(final!.result!);
        }
      }),
      { numRuns: 300 },
    );
  });
});
