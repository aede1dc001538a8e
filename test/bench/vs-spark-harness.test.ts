import { describe, expect, it } from 'vitest';
import { cpuRatio, median, medians, parseArgs, ratio, type RunMeasure } from '../../bench/vs-spark/harness.ts';
import { compareRecords } from '../../bench/vs-spark/kafka-common.ts';
import type { LogRecord } from '../../src/log/log.ts';

const measure = (recordsPerSec: number, extra: Partial<RunMeasure> = {}): RunMeasure => ({ recordsPerSec, seconds: 1, rssMb: 100, cores: 1, ...extra });
const record = (key: string, value: string): LogRecord => ({ topic: 't', partition: 0, offset: 0, key: Buffer.from(key), value: Buffer.from(value), headers: {}, timestamp: 0 });

describe('the vs-spark harness', () => {
  it('should take the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('should report the median of each field, the JVM start and details included', () => {
    const m = medians([measure(10, { jvmStartSec: 20, detail: { quarantined: 3 } }), measure(30, { jvmStartSec: 10, detail: { quarantined: 3 } }), measure(20, { jvmStartSec: 30, detail: { quarantined: 5 } })]);
    expect(m).toMatchObject({ recordsPerSec: 20, jvmStartSec: 20, detail: { quarantined: 3 } });
    expect(m.p99Ms).toBeUndefined();
  });

  it('should compare throughput round by round, and latency as Spark p99 over ours', () => {
    expect(ratio('throughput', [measure(100), measure(300), measure(200)], [measure(50), measure(100), measure(20)])).toBe(3);
    expect(ratio('latency', [measure(1, { p99Ms: 10 })], [measure(1, { p99Ms: 1500 })])).toBe(150);
  });

  it('should compare CPU per record: Spark at 2 cores for 10 s against us at 0.5 for 2 s on the same input is 20 times', () => {
    expect(cpuRatio([measure(500, { cores: 0.5, seconds: 2 })], [measure(100, { cores: 2, seconds: 10 })])).toBe(20);
  });

  it('should parse the cases, counts and flags, and name a bad one', () => {
    expect(parseArgs({ case: 'b, a', repeat: '5', records: '1000', check: true }, ['a', 'b'])).toEqual({ cases: ['b', 'a'], repeat: 5, records: 1000, rate: 10_000, check: true });
    expect(parseArgs({}, ['a', 'b'])).toMatchObject({ cases: ['a', 'b'], repeat: 3, records: undefined, check: false });
    expect(() => parseArgs({ case: 'c' }, ['a', 'b'])).toThrow('unknown case c in --case (known: a, b)');
    expect(() => parseArgs({ repeat: '0' }, ['a'])).toThrow('--repeat must be a positive integer, got "0"');
    expect(() => parseArgs({ rows: '1.5' }, ['a'])).toThrow('--rows must be a positive integer');
  });

  it('should find two topics equal when only JSON spelling differs, and count what either lacks', () => {
    const ours = [record('a', '{"t":1700000000000.5,"id":"a","followers":null}'), record('a', '{"id":"a","followers":null}'), record('b', '{"id":"b","followers":5}')];
    const spark = [record('a', '{"id":"a","t":1.7000000000005E12}'), record('a', '{"id":"a"}'), record('c', '{"id":"c","followers":5}')];
    expect(compareRecords(ours, spark)).toEqual({ onlyA: 1, onlyB: 1 });
  });
});
