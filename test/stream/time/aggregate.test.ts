import { describe, expect, it } from 'vitest';
import { aggregate, count, reduce } from '../../../src/stream/time/aggregate.ts';

describe('aggregators', () => {
  it('should count records and add counts when merging', () => {
    const c = count<string>();
    const acc = c.add(c.add(c.create(), 'x'), 'y');
    expect(c.result(c.merge(acc, c.add(c.create(), 'z')))).toBe(3);
  });

  it('should reduce values with the function and treat an empty accumulator as nothing', () => {
    const max = reduce<number>((a, b) => Math.max(a, b));
    expect(max.result(max.create())).toBeUndefined();
    const acc = max.add(max.add(max.create(), 3), 7);
    expect(max.result(acc)).toBe(7);
    expect(max.merge(max.create(), acc)).toBe(7);
    expect(max.merge(acc, max.create())).toBe(7);
    expect(max.merge(acc, max.add(max.create(), 9))).toBe(9);
  });

  it('should build an average from its four functions, with an accumulator that survives JSON', () => {
    const average = aggregate<number, { sum: number; n: number }, number>(
      () => ({ sum: 0, n: 0 }),
      (acc, value) => ({ sum: acc.sum + value, n: acc.n + 1 }),
      (a, b) => ({ sum: a.sum + b.sum, n: a.n + b.n }),
      (acc) => acc.sum / acc.n,
    );
    const acc = [2, 4, 9].reduce((a, v) => average.add(a, v), average.create());
    const restored = JSON.parse(JSON.stringify(acc)) as typeof acc;
    expect(average.result(average.merge(restored, average.add(average.create(), 5)))).toBe(5);
  });
});
