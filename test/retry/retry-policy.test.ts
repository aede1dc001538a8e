import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../src/errors.ts';
import { backoffDelay, decideRetry, retryPolicy, withRetry } from '../../src/retry/retry-policy.ts';
import { FakeClock } from '../support/fake-clock.ts';

describe('retry policy', () => {
  it('should grow the delay exponentially up to the maximum when there is no jitter', () => {
    const policy = retryPolicy({ initialDelayMs: 100, factor: 2, maxDelayMs: 500, jitter: 0, maxAttempts: 10 });
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelay(policy, attempt))).toEqual([100, 200, 400, 500, 500]);
  });

  it('should draw a jittered delay between (1 - jitter) and 1 times the delay', () => {
    const policy = retryPolicy({ initialDelayMs: 1000, jitter: 0.5 });
    expect(backoffDelay(policy, 1, () => 0)).toBe(1000);
    expect(backoffDelay(policy, 1, () => 0.999_999)).toBe(500);
    expect(backoffDelay(policy, 2, () => 0.5)).toBe(1500);
  });

  it('should not retry an error whose code is not retryable', () => {
    const policy = retryPolicy({ maxAttempts: 5 });
    expect(decideRetry(policy, 1, new TributaryError('CONFIG_INVALID', 'bad'))).toEqual({ retry: false, reason: 'not-retryable' });
    expect(decideRetry(policy, 1, new TributaryError('SINK_UNAVAILABLE', 'down'), () => 0)).toEqual({ retry: true, delayMs: 1000 });
    expect(decideRetry(policy, 1, new TributaryError('INTERNAL', 'once', { retryable: true }), () => 0).retry).toBe(true);
  });

  it('should retry an error without a code and stop when attempts are used up', () => {
    const policy = retryPolicy({ maxAttempts: 2 });
    expect(decideRetry(policy, 1, new Error('econnreset')).retry).toBe(true);
    expect(decideRetry(policy, 2, new Error('econnreset'))).toEqual({ retry: false, reason: 'attempts-exhausted' });
  });

  it('should wait the backoff on the injected clock between attempts and return the first success', async () => {
    const clock = new FakeClock(0);
    const started: number[] = [];
    const result = withRetry(
      (attempt) => {
        started.push(clock.now());
        if (attempt < 3) return Promise.reject(new TributaryError('LAKE_UNAVAILABLE', 'not yet'));
        return Promise.resolve('done');
      },
      { policy: retryPolicy({ maxAttempts: 3, initialDelayMs: 100, jitter: 0 }), clock },
    );
    await clock.advance(1000);
    await expect(result).resolves.toBe('done');
    expect(started).toEqual([0, 100, 300]);
  });

  it('should throw the last error when the policy gives up', async () => {
    const clock = new FakeClock(0);
    let calls = 0;
    const result = withRetry(
      () => {
        calls++;
        return Promise.reject(new TributaryError('SOURCE_INVALID_RESPONSE', 'bad body'));
      },
      { policy: retryPolicy({ maxAttempts: 4 }), clock },
    );
    await expect(result).rejects.toMatchObject({ code: 'SOURCE_INVALID_RESPONSE' });
    expect(calls).toBe(1);
  });
});
