import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../../src/errors.ts';
import { aggregate, count, reduce } from '../../../src/stream/time/aggregate.ts';
import { WindowOperator } from '../../../src/stream/time/window-operator.ts';
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
