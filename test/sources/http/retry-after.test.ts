import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../../src/sources/http/retry-after.ts';

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-05-10T12:00:00Z');

  it.each([
    ['0', 0],
    ['1', 1000],
    ['120', 120_000],
    [' 7 ', 7000],
    ['Sat, 10 May 2025 12:00:30 GMT', 30_000],
    ['Saturday, 10-May-25 12:00:05 GMT', 5000],
    ['Sat May 10 12:00:02 2025', 2000],
    ['Sat, 10 May 2025 11:59:00 GMT', 0],
  ])('should read %j as %i ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it.each([null, undefined, '', '-1', '1.5', 'soon', '2025-05-10'])('should give undefined for %j', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});
