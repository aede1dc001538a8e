import { afterEach, describe, expect, it } from 'vitest';
import { openEmbeddedRunStore } from '../../src/metadata/embedded/embedded-run-store.ts';
import type { RunStore } from '../../src/metadata/run-store.ts';
import { backfill, planBackfill } from '../../src/orchestrator/backfill.ts';
import { createOrchestrator } from '../../src/orchestrator/create-orchestrator.ts';
import { graph, task } from '../../src/orchestrator/define.ts';
import { createInProcessExecutor } from '../../src/orchestrator/in-process/in-process-executor.ts';
import { FakeClock } from '../support/fake-clock.ts';

const stores: RunStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

describe('backfill', () => {
  it('should plan one run per interval of the schedule, both ends included', () => {
    const g = graph({ id: 'daily', schedule: { cron: '0 6 * * *', timezone: 'UTC' }, tasks: [task({ id: 't', run: () => undefined })] });
    const plan = planBackfill(g, { from: new Date('2026-01-01T06:00:00Z'), to: new Date('2026-01-03T06:00:00Z') });
    expect(plan.map((p) => [p.logicalDate!.toISOString(), p.interval!.end.toISOString()])).toEqual([
      ['2026-01-01T06:00:00.000Z', '2026-01-02T06:00:00.000Z'],
      ['2026-01-02T06:00:00.000Z', '2026-01-03T06:00:00.000Z'],
      ['2026-01-03T06:00:00.000Z', '2026-01-04T06:00:00.000Z'],
    ]);
  });

  it('should refuse a range that ends before it starts', () => {
    const g = graph({ id: 'x', tasks: [task({ id: 't', run: () => undefined })] });
    expect(() => planBackfill(g, { from: new Date('2026-01-02'), to: new Date('2026-01-01') })).toThrow(/before/);
  });

  it('should create only the missing runs when run again, and clear failed ones on request', async () => {
    const clock = new FakeClock(Date.UTC(2026, 1, 1));
    const failing = new Set(['p2']);
    const g = graph({ id: 'parts', maxActiveRuns: 100, tasks: [task({ id: 't', retry: { maxAttempts: 1 }, run: (ctx) => { if (failing.has(ctx.partition!)) throw new Error('bad partition'); return ctx.partition!; } })] });
    const store = await openEmbeddedRunStore({ file: ':memory:' });
    stores.push(store);
    const orchestrator = createOrchestrator({ graphs: [g], store, executor: createInProcessExecutor({ clock }), clock });
    await orchestrator.start();
    const partitions = ['p1', 'p2', 'p3'];
    const first = await backfill(orchestrator, 'parts', { partitions: partitions.slice(0, 2) });
    expect(first).toMatchObject({ planned: 2, created: 2, rerun: 0 });
    await clock.advance(1);
    const again = await backfill(orchestrator, 'parts', { partitions });
    expect(again).toMatchObject({ planned: 3, created: 1, rerun: 0 });
    await clock.advance(1);
    expect((await store.listRuns({ graph: 'parts', status: 'failed' })).map((r) => r.partition)).toEqual(['p2']);
    failing.clear();
    const rerun = await backfill(orchestrator, 'parts', { partitions, rerunFailed: true });
    expect(rerun).toMatchObject({ created: 0, rerun: 1 });
    await clock.advance(1);
    const runs = await store.listRuns({ graph: 'parts' });
    expect(runs.map((r) => [r.partition, r.status]).sort()).toEqual([['p1', 'succeeded'], ['p2', 'succeeded'], ['p3', 'succeeded']]);
  });
});
