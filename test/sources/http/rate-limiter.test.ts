import { describe, expect, it } from 'vitest';
import { RateLimiter, type RateLimiterClock } from '../../../src/sources/http/rate-limiter.ts';

/** A clock that only moves when someone sleeps. */
function fakeClock(): RateLimiterClock & { t: number } {
  const clock = {
    t: 0,
    now: () => clock.t,
    sleep: (ms: number) => {
      clock.t += ms;
      return Promise.resolve();
    },
  };
  return clock;
}

describe('RateLimiter', () => {
  it('should let a burst through at once, then one request per 1/rate seconds', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 4, burst: 3 }, clock);
    const times: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      await limiter.take();
      times.push(clock.t);
    }
    expect(times.slice(0, 3)).toEqual([0, 0, 0]);
    expect(times.slice(3).map((t) => Math.round(t))).toEqual([250, 500, 750, 1000]);
  });

  it('should refill while idle, up to the burst', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 10, burst: 2 }, clock);
    await limiter.take();
    await limiter.take();
    clock.t += 10_000;
    const before = clock.t;
    await limiter.take();
    await limiter.take();
    expect(clock.t).toBe(before);
    await limiter.take();
    expect(Math.round(clock.t - before)).toBe(100);
  });

  it('should keep a minimum interval (robots.txt Crawl-delay) even with tokens left', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 100, burst: 100 }, clock);
    limiter.setMinInterval(2000);
    await limiter.take();
    await limiter.take();
    await limiter.take();
    expect(clock.t).toBe(4000);
  });

  it('should pace real requests: 11 takes at 20/s with burst 1 take about half a second', async () => {
    const limiter = new RateLimiter({ requestsPerSecond: 20, burst: 1 });
    const started = performance.now();
    await Promise.all(Array.from({ length: 11 }, () => limiter.take()));
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(480);
    // Generous, since a busy machine delays timers; the exact pacing is tested on the fake clock above.
    expect(elapsed).toBeLessThan(10_000);
  });

  it('should reject a waiter whose signal aborts, without blocking the next', async () => {
    const limiter = new RateLimiter({ requestsPerSecond: 1, burst: 1 });
    await limiter.take();
    const controller = new AbortController();
    const aborted = limiter.take(controller.signal);
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
  });

  it('should refuse a rate of zero', () => {
    expect(() => new RateLimiter({ requestsPerSecond: 0, burst: 1 })).toThrow(RangeError);
  });
});
