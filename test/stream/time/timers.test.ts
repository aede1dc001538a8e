import { describe, expect, it } from 'vitest';
import { TimerQueue } from '../../../src/stream/time/timers.ts';

describe('processing-time timers', () => {
  it('should fire due timers earliest first, and those due together in the order they were registered', () => {
    const timers = new TimerQueue();
    timers.register('b', 20, 'flush');
    timers.register('a', 10, 'flush');
    timers.register('c', 20, 'expire');
    timers.register('d', 30, 'flush');
    expect(timers.fire(20)).toEqual([
      { key: 'a', atMs: 10, tag: 'flush' },
      { key: 'b', atMs: 20, tag: 'flush' },
      { key: 'c', atMs: 20, tag: 'expire' },
    ]);
    expect(timers.fire(25)).toEqual([]);
    expect(timers.fire(30)).toEqual([{ key: 'd', atMs: 30, tag: 'flush' }]);
  });

  it('should keep one timer when the same key, time and tag are registered twice', () => {
    const timers = new TimerQueue();
    timers.register('a', 10, 'flush');
    timers.register('a', 10, 'flush');
    timers.register('a', 10, 'expire');
    expect(timers.size).toBe(2);
    expect(timers.fire(10)).toHaveLength(2);
  });

  it('should not fire a deleted timer, and fire one registered again after deleting', () => {
    const timers = new TimerQueue();
    timers.register('a', 10, 'flush');
    expect(timers.delete('a', 10, 'flush')).toBe(true);
    expect(timers.delete('a', 10, 'flush')).toBe(false);
    expect(timers.fire(100)).toEqual([]);
    timers.register('a', 10, 'flush');
    expect(timers.fire(100)).toEqual([{ key: 'a', atMs: 10, tag: 'flush' }]);
  });

  it('should fire only where a timer was last moved to, after moving it forward many times', () => {
    const timers = new TimerQueue();
    for (let at = 0; at < 10_000; at++) {
      timers.register('a', at + 1, 'flush');
      timers.delete('a', at, 'flush');
    }
    expect(timers.size).toBe(1);
    expect(timers.snapshot().timers).toEqual([{ key: 'a', atMs: 10_000, tag: 'flush', seq: 9_999 }]);
    expect(timers.fire(Number.POSITIVE_INFINITY)).toEqual([{ key: 'a', atMs: 10_000, tag: 'flush' }]);
  });

  it('should keep the firing order through a JSON snapshot', () => {
    const timers = new TimerQueue();
    timers.register('b', 20, 'x');
    timers.register('a', 20, 'x');
    const restored = TimerQueue.restore(JSON.parse(JSON.stringify(timers.snapshot())) as ReturnType<TimerQueue['snapshot']>);
    restored.register('c', 20, 'x');
    expect(restored.fire(20).map((t) => t.key)).toEqual(['b', 'a', 'c']);
  });
});
