import { describe, expect, it } from 'vitest';
import { partitionBatches, runBounded } from '../../src/sinks/cassandra/batches.ts';

describe('Cassandra write batches', () => {
  it('should group rows by partition and split groups at the row and byte bounds', () => {
    const items = Array.from({ length: 25 }, (_, n) => ({ p: n % 3 === 0 ? 'a' : 'b', n, size: n === 7 ? 1000 : 10 }));
    const groups = partitionBatches(items, (i) => i.p, (i) => i.size, { maxRows: 5, maxBytes: 100 });
    for (const group of groups) {
      expect(new Set(group.items.map(({ item }) => item.p)).size).toBe(1);
      expect(group.items.length).toBeLessThanOrEqual(5);
    }
    // The oversized row goes alone; every row is in exactly one group, with its index.
    expect(groups.some((g) => g.items.length === 1 && g.items[0]!.item.n === 7)).toBe(true);
    expect(groups.flatMap((g) => g.items.map((i) => i.index)).sort((x, y) => x - y)).toEqual(items.map((_, i) => i));
    expect(groups.flatMap((g) => g.items).every(({ item, index }) => item.n === index)).toBe(true);
  });

  it('should run at most the given number of requests at once and stop starting new ones after a failure', async () => {
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const work = async (n: number) => {
      started.push(n);
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 2));
      running--;
      if (n === 10) throw new Error('request 10 failed');
    };
    await expect(runBounded(Array.from({ length: 100 }, (_, n) => n), 4, work)).rejects.toThrow('request 10 failed');
    expect(peak).toBe(4);
    expect(started.length).toBeLessThan(20);
    expect(running).toBe(0);
  });
});
