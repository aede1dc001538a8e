/** The scheduler on a fake clock: catchup, leadership, one run per logical date. */
import { afterEach, describe, expect, it } from 'vitest';
import { openEmbeddedRunStore } from '../../src/metadata/embedded/embedded-run-store.ts';
import type { RunStore } from '../../src/metadata/run-store.ts';
import { createOrchestrator } from '../../src/orchestrator/create-orchestrator.ts';
import { graph, task } from '../../src/orchestrator/define.ts';
import { createInProcessExecutor } from '../../src/orchestrator/in-process/in-process-executor.ts';
import type { Graph } from '../../src/orchestrator/orchestrator.ts';
import { createScheduler, type Leadership } from '../../src/orchestrator/scheduler.ts';
import { FakeClock } from '../support/fake-clock.ts';

const stores: RunStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

const HOUR = 3_600_000;

async function setup(graphs: Graph[], clock: FakeClock, store?: RunStore) {
  const s = store ?? (await openEmbeddedRunStore({ file: ':memory:' }));
  if (!store) stores.push(s);
  const orchestrator = createOrchestrator({ graphs, store: s, executor: createInProcessExecutor({ clock }), clock });
  await orchestrator.start();
  return { store: s, orchestrator };
}

const logical = async (store: RunStore, graphId: string) =>
  (await store.listRuns({ graph: graphId, limit: 1000 })).map((r) => r.logicalDate!.toISOString()).sort();

describe('scheduler', () => {
  it('should create the runs of every missed interval with catchup, each with its data interval', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 3, 30));
    const g = graph({ id: 'hourly', schedule: { cron: '0 * * * *', start: new Date(Date.UTC(2026, 0, 1)) }, tasks: [task({ id: 't', run: (ctx) => ctx.interval!.end.toISOString() })] });
    const { store, orchestrator } = await setup([g], clock);
    const scheduler = createScheduler({ orchestrator, clock });
    const created = await scheduler.tick();
    expect(created.map((r) => [r.logicalDate!.toISOString(), r.interval!.end.toISOString()])).toEqual([
      ['2026-01-01T00:00:00.000Z', '2026-01-01T01:00:00.000Z'],
      ['2026-01-01T01:00:00.000Z', '2026-01-01T02:00:00.000Z'],
      ['2026-01-01T02:00:00.000Z', '2026-01-01T03:00:00.000Z'],
    ]);
    await clock.advance(1);
    const detail = (await store.runDetail(created[2]!.runId))!;
    expect(detail.run.status).toBe('succeeded');
    expect(detail.tasks[0]!.output).toBe('2026-01-01T03:00:00.000Z');
    expect(await scheduler.tick()).toEqual([]);
  });

  it('should make no run while one is active when skipWhileActive is set, then only the latest interval', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 0, 0, 0, 500));
    let release: (() => void) | undefined;
    const slow = task({ id: 'poll', run: () => new Promise<void>((resolve) => (release = resolve)) });
    const g = graph({ id: 'every-second', schedule: { everyMs: 1000, catchup: false, skipWhileActive: true }, maxActiveRuns: 1, tasks: [slow] });
    const { store, orchestrator } = await setup([g], clock);
    const scheduler = createScheduler({ orchestrator, clock });
    expect(await scheduler.tick()).toHaveLength(1);
    await clock.advance(1);
    expect(release).toBeDefined();
    // Five intervals end while the first run goes on: none gets a run of its own.
    for (let i = 0; i < 5; i++) {
      await clock.advance(1000);
      expect(await scheduler.tick()).toEqual([]);
    }
    expect((await store.listRuns({ graph: 'every-second' })).map((r) => r.status)).toEqual(['running']);
    release!();
    await orchestrator.waitForRun((await store.listRuns({ graph: 'every-second' }))[0]!.runId, { pollMs: 1 }).catch(() => undefined);
    for (let i = 0; i < 20 && (await store.listRuns({ graph: 'every-second', status: 'running' })).length > 0; i++) await clock.advance(1);
    const next = await scheduler.tick();
    expect(next.map((r) => r.logicalDate!.toISOString())).toEqual(['2026-01-01T00:00:04.000Z']);
  });

  it('should skip the missed intervals but the latest when catchup is off', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 3, 30));
    const g = graph({ id: 'nocatchup', schedule: { cron: '0 * * * *', catchup: false, start: new Date(Date.UTC(2026, 0, 1)) }, tasks: [task({ id: 't', run: () => undefined })] });
    const { store, orchestrator } = await setup([g], clock);
    const scheduler = createScheduler({ orchestrator, clock });
    await scheduler.tick();
    expect(await logical(store, 'nocatchup')).toEqual(['2026-01-01T02:00:00.000Z']);
    await clock.advance(3 * HOUR);
    await scheduler.tick();
    expect(await logical(store, 'nocatchup')).toEqual(['2026-01-01T02:00:00.000Z', '2026-01-01T05:00:00.000Z']);
  });

  it('should create each interval once as the clock runs, waking at the fire times by itself', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 0, 0, 0, 500));
    const g = graph({ id: 'seconds', schedule: { cron: '* * * * * *', start: new Date(Date.UTC(2026, 0, 1)) }, tasks: [task({ id: 't', run: () => undefined })] });
    const { store, orchestrator } = await setup([g], clock);
    const scheduler = createScheduler({ orchestrator, clock, tickMs: 60_000 });
    scheduler.start();
    await clock.advance(10_000);
    await scheduler.stop();
    const dates = await logical(store, 'seconds');
    expect(dates).toEqual(Array.from({ length: 10 }, (_, i) => new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString()));
    expect((await store.listRuns({ graph: 'seconds', status: 'succeeded', limit: 100 })).length).toBe(10);
  });

  it('should create runs only while leading, and a run per logical date when two schedulers lead at once', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 2, 30));
    const g = graph({ id: 'two', schedule: { cron: '0 * * * *', start: new Date(Date.UTC(2026, 0, 1)) }, tasks: [task({ id: 't', run: () => undefined })] });
    const first = await setup([g], clock);
    const second = await setup([g], clock, first.store);
    let leads = false;
    const follower: Leadership = { holds: () => Promise.resolve(leads), release: () => Promise.resolve() };
    const a = createScheduler({ orchestrator: first.orchestrator, clock });
    const b = createScheduler({ orchestrator: second.orchestrator, clock, leadership: follower });
    expect(await b.tick()).toEqual([]);
    expect(b.leading).toBe(false);
    leads = true;
    const [ra, rb] = await Promise.all([a.tick(), b.tick()]);
    expect(ra.length + rb.length).toBe(2);
    expect(await logical(first.store, 'two')).toEqual(['2026-01-01T00:00:00.000Z', '2026-01-01T01:00:00.000Z']);
  });
});
