import { describe, expect, it } from 'vitest';
import { syncGate } from '../../src/log/embedded/sync-gate.ts';

describe('syncGate', () => {
  it('should run at most its limit at once, in arrival order, and free a place when a sync fails', async () => {
    const gate = syncGate(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const sync = (i: number) => async () => {
      started.push(i);
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      if (i === 1) throw new Error('disk full');
      return i;
    };
    const results = await Promise.allSettled(Array.from({ length: 7 }, (_, i) => gate(sync(i))));
    expect(most).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([0, 'disk full', 2, 3, 4, 5, 6]);
  });
});
