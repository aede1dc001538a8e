import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../../src/errors.ts';
import { assignWindows, checkEventTime, describeSpec, session, sliding, tumbling } from '../../../src/stream/time/windows.ts';

describe('window assignment', () => {
  it('should put a timestamp in the one tumbling window that contains it, with the end exclusive', () => {
    expect(assignWindows(tumbling(10), 0)).toEqual([{ start: 0, end: 10 }]);
    expect(assignWindows(tumbling(10), 9)).toEqual([{ start: 0, end: 10 }]);
    expect(assignWindows(tumbling(10), 10)).toEqual([{ start: 10, end: 20 }]);
  });

  it('should align windows below a negative timestamp, not above it', () => {
    expect(assignWindows(tumbling(10), -1)).toEqual([{ start: -10, end: 0 }]);
    expect(assignWindows(tumbling(10), -10)).toEqual([{ start: -10, end: 0 }]);
  });

  it('should put a timestamp in size / slide sliding windows, by ascending start', () => {
    expect(assignWindows(sliding(10, 5), 12)).toEqual([
      { start: 5, end: 15 },
      { start: 10, end: 20 },
    ]);
    expect(assignWindows(sliding(30, 10), 30)).toEqual([
      { start: 10, end: 40 },
      { start: 20, end: 50 },
      { start: 30, end: 60 },
    ]);
  });

  it('should handle a slide that does not divide the size', () => {
    expect(assignWindows(sliding(10, 4), 9)).toEqual([
      { start: 0, end: 10 },
      { start: 4, end: 14 },
      { start: 8, end: 18 },
    ]);
    expect(assignWindows(sliding(10, 4), 10)).toEqual([
      { start: 4, end: 14 },
      { start: 8, end: 18 },
    ]);
  });

  it('should give a session timestamp the proto-window of one gap', () => {
    expect(assignWindows(session(30), 100)).toEqual([{ start: 100, end: 130 }]);
  });

  it('should refuse sizes, slides and gaps that are not positive integers', () => {
    for (const build of [() => tumbling(0), () => tumbling(1.5), () => sliding(10, 0), () => session(-1), () => session(Number.NaN)]) {
      expect(build).toThrow(TributaryError);
    }
    expect(() => sliding(10, 20)).toThrow(/slideMs must not exceed sizeMs: got slideMs 20, sizeMs 10/);
  });

  it('should name each spec the way it is written', () => {
    expect([tumbling(60_000), sliding(10, 5), session(30)].map(describeSpec)).toEqual(['tumbling(60000)', 'sliding(10, 5)', 'session(30)']);
  });

  it('should refuse an event time that is not an integer of milliseconds with SCHEMA_VALIDATION', () => {
    for (const bad of [Number.NaN, 1.5, Number.POSITIVE_INFINITY]) {
      expect(() => checkEventTime(bad)).toThrow(expect.objectContaining({ code: 'SCHEMA_VALIDATION' }) as Error);
    }
  });
});
