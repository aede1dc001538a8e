import { describe, expect, it } from 'vitest';
import { SourceWatermarks } from '../../../src/stream/time/source-watermarks.ts';

describe('SourceWatermarks', () => {
  it('should hold the watermark at the slowest input until every input has been heard from', () => {
    const marks = new SourceWatermarks(3, 100);
    marks.observe(0, 5_000);
    marks.observe(1, 9_000);
    expect(marks.current()).toBe(Number.NEGATIVE_INFINITY);
    marks.observe(2, 7_000);
    expect(marks.current()).toBe(4_900);
  });

  it('should let an idle input stop holding the others back, and take it back once it sends again', () => {
    const marks = new SourceWatermarks(2, 0);
    marks.observe(0, 1_000);
    marks.observe(1, 8_000);
    expect(marks.current()).toBe(1_000);
    marks.idle(0);
    expect(marks.current()).toBe(8_000);
    marks.observe(0, 2_000);
    marks.observe(1, 9_000);
    // Input 0 holds it again, but it never goes back.
    expect(marks.current()).toBe(8_000);
  });

  it('should move to the furthest input when every input is idle, so a paused stream closes its windows', () => {
    const marks = new SourceWatermarks(2, 500);
    marks.observe(0, 3_000);
    marks.observe(1, 1_000_000);
    marks.idle(0);
    marks.idle(1);
    expect(marks.current()).toBe(999_500);
  });

  it('should come back from its snapshot as it was', () => {
    const marks = new SourceWatermarks(3, 10);
    marks.observe(0, 100);
    marks.idle(1);
    marks.observe(2, 300);
    const restored = new SourceWatermarks(3, 10, JSON.parse(JSON.stringify(marks.snapshot())) as ReturnType<SourceWatermarks["snapshot"]>);
    expect(restored.current()).toBe(marks.current());
    expect(restored.snapshot()).toEqual(marks.snapshot());
  });
});
