import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../../src/errors.ts';
import { WatermarkGenerator } from '../../../src/stream/time/watermark.ts';

describe('watermark generator', () => {
  it('should trail the largest event time seen by the out-of-orderness bound', () => {
    const generator = new WatermarkGenerator({ maxOutOfOrdernessMs: 5 });
    expect(generator.current(0)).toBe(Number.NEGATIVE_INFINITY);
    generator.observe(0, 100, 0);
    generator.observe(0, 90, 0);
    expect(generator.current(0)).toBe(95);
    generator.observe(0, 120, 0);
    expect(generator.current(0)).toBe(115);
  });

  it('should be held back by the slowest partition', () => {
    const generator = new WatermarkGenerator({ maxOutOfOrdernessMs: 0 });
    generator.observe(0, 100, 0);
    generator.observe(1, 40, 0);
    expect(generator.current(0)).toBe(40);
    generator.observe(1, 70, 0);
    expect(generator.current(0)).toBe(70);
  });

  it('should hold at -Infinity while a registered partition has sent nothing and is not yet idle', () => {
    const generator = new WatermarkGenerator({ maxOutOfOrdernessMs: 0, idleTimeoutMs: 1_000 });
    generator.register(1, 0);
    generator.observe(0, 100, 10);
    expect(generator.current(999)).toBe(Number.NEGATIVE_INFINITY);
    expect(generator.current(1_000)).toBe(100);
  });

  it('should not let an idle partition stall the watermark', () => {
    const generator = new WatermarkGenerator({ maxOutOfOrdernessMs: 0, idleTimeoutMs: 100 });
    generator.observe(0, 10, 0);
    generator.observe(1, 10, 0);
    generator.observe(0, 500, 60);
    expect(generator.current(60)).toBe(10);
    expect(generator.isIdle(1, 99)).toBe(false);
    expect(generator.isIdle(1, 100)).toBe(true);
    expect(generator.current(100)).toBe(500);
  });

  it('should count an idle partition again once it sends a record, without moving the watermark back', () => {
    const generator = new WatermarkGenerator({ maxOutOfOrdernessMs: 0, idleTimeoutMs: 100 });
    generator.observe(0, 10, 0);
    generator.observe(1, 10, 0);
    generator.observe(0, 500, 100);
    expect(generator.current(100)).toBe(500);
    generator.observe(1, 300, 150);
    expect(generator.isIdle(1, 150)).toBe(false);
    expect(generator.current(150)).toBe(500);
    // Partition 1 holds the watermark now: partition 0 moving on does not move it until 1 does.
    generator.observe(0, 900, 160);
    expect(generator.current(160)).toBe(500);
    generator.observe(1, 700, 170);
    expect(generator.current(170)).toBe(700);
  });

  it('should move to the least watermark of the partitions that sent records when every partition is idle', () => {
    const generator = new WatermarkGenerator({ maxOutOfOrdernessMs: 0, idleTimeoutMs: 100 });
    generator.register(1, 0);
    generator.observe(0, 50, 0);
    expect(generator.current(10)).toBe(Number.NEGATIVE_INFINITY); // partition 1 may still send
    expect(generator.current(10_000)).toBe(50); // both idle: partition 1 never sent anything
    generator.observe(2, 20, 10_000);
    expect(generator.current(20_000)).toBe(50); // never backwards
  });

  it('should stop waiting for a partition that was removed', () => {
    const generator = new WatermarkGenerator({ maxOutOfOrdernessMs: 0 });
    generator.observe(0, 50, 0);
    generator.observe(1, 10, 0);
    generator.remove(1);
    expect(generator.current(0)).toBe(50);
  });

  it('should come back from a JSON snapshot with its watermark, partitions and activity times', () => {
    const options = { maxOutOfOrdernessMs: 0, idleTimeoutMs: 100 };
    const generator = new WatermarkGenerator(options);
    generator.register(2, 0);
    generator.observe(0, 50, 0);
    generator.observe(1, 80, 90);
    const restored = WatermarkGenerator.restore(JSON.parse(JSON.stringify(generator.snapshot())), options);
    expect(restored.snapshot()).toEqual(generator.snapshot());
    expect(restored.current(100)).toBe(generator.current(100));
  });

  it('should count every partition as active from resumeAtMs, so downtime is not taken for idleness', () => {
    const options = { maxOutOfOrdernessMs: 0, idleTimeoutMs: 100 };
    const generator = new WatermarkGenerator(options);
    generator.observe(0, 50, 0);
    generator.observe(1, 80, 0);
    const snapshot = JSON.parse(JSON.stringify(generator.snapshot())) as unknown;
    const resumed = WatermarkGenerator.restore(snapshot, options, { resumeAtMs: 60_000 });
    resumed.observe(1, 200, 60_001);
    expect(resumed.current(60_001)).toBe(50);
    expect(WatermarkGenerator.restore(snapshot, options).isIdle(0, 60_001)).toBe(true);
  });

  it('should refuse a snapshot that does not fit, naming the path', () => {
    expect(() => WatermarkGenerator.restore({ version: 1, combined: null, partitions: [] }, { maxOutOfOrdernessMs: 0 })).toThrow(
      /^watermark snapshot does not fit its schema: combined: /,
    );
  });

  it('should refuse a negative out-of-orderness bound or idle timeout', () => {
    expect(() => new WatermarkGenerator({ maxOutOfOrdernessMs: -1 })).toThrow(TributaryError);
    expect(() => new WatermarkGenerator({ maxOutOfOrdernessMs: 0, idleTimeoutMs: 0 })).toThrow(TributaryError);
  });

  it('should equal, on any sequence, the greatest so far of the least watermark over the partitions active at the time (or all of them when all are idle)', () => {
    const event = fc.record({ partition: fc.nat(3), timestamp: fc.integer({ min: -100, max: 1_000 }), wait: fc.nat(60), ask: fc.boolean() });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 150 }), fc.array(event, { maxLength: 60 }), (bound, idle, events) => {
        const generator = new WatermarkGenerator({ maxOutOfOrdernessMs: bound, idleTimeoutMs: idle });
        const seen: { partition: number; timestamp: number; at: number }[] = [];
        let now = 0;
        let expected = Number.NEGATIVE_INFINITY;
        for (const { partition, timestamp, wait, ask } of events) {
          now += wait;
          generator.observe(partition, timestamp, now);
          seen.push({ partition, timestamp, at: now });
          if (!ask) continue;
          const partitions = [...new Set(seen.map((s) => s.partition))];
          const active = partitions.filter((p) => now - Math.max(...seen.filter((s) => s.partition === p).map((s) => s.at)) < idle);
          const marks = (active.length > 0 ? active : partitions).map((p) => Math.max(...seen.filter((s) => s.partition === p).map((s) => s.timestamp)) - bound);
          if (marks.length > 0) expected = Math.max(expected, Math.min(...marks));
          expect(generator.current(now)).toBe(expected);
        }
      }),
    );
  });
});
