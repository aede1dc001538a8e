import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/sources/emulators/token-bucket.ts';

describe('TokenBucket', () => {
  it('should never allow more than rate × time + capacity', () => {
    let now = 0;
    const bucket = new TokenBucket(100, 10, () => now);
    let taken = 0;
    for (let step = 0; step < 10_000; step++) {
      now += 0.37 + (step % 7);
      taken += bucket.take(1 + (step % 13));
      expect(taken).toBeLessThanOrEqual((now * 100) / 1000 + 10);
    }
    // and keeps up with the rate when asked often enough
    expect(taken).toBeGreaterThan((now * 100) / 1000 - 10);
  });

  it('should say how long until n tokens are there', () => {
    let now = 0;
    const bucket = new TokenBucket(50, 5, () => now);
    expect(bucket.waitMs(5)).toBeCloseTo(100);
    now = 100;
    expect(bucket.take(10, 5)).toBe(5);
    expect(bucket.take(1)).toBe(0);
  });
});
