/** Retries, backoff, timeouts, heartbeats, maxActiveRuns and pools, on a fake clock: no real sleeping. */
import { afterEach, describe, expect, it } from 'vitest';
import { TributaryError } from '../../src/errors.ts';
import { openEmbeddedRunStore } from '../../src/metadata/embedded/embedded-run-store.ts';
import type { RunStore } from '../../src/metadata/run-store.ts';
import { createOrchestrator, type OrchestratorOptions } from '../../src/orchestrator/create-orchestrator.ts';
import { graph, task } from '../../src/orchestrator/define.ts';
import { createInProcessExecutor } from '../../src/orchestrator/in-process/in-process-executor.ts';
import type { Graph } from '../../src/orchestrator/orchestrator.ts';
import { FakeClock, flush } from '../support/fake-clock.ts';

const stores: RunStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

async function setup(graphs: Graph[], extra: Partial<OrchestratorOptions<Record<string, unknown>>> = {}) {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const store = await openEmbeddedRunStore({ file: ':memory:' });
  stores.push(store);
  const executor = createInProcessExecutor({ clock, concurrency: 16 });
  const orchestrator = createOrchestrator({ graphs, store, executor, clock, ...extra });
  await orchestrator.start();
  return { clock, store, orchestrator, executor };
}

const statusOf = async (store: RunStore, runId: string) => (await store.runDetail(runId))!.run.status;

describe('orchestrator limits on a fake clock', () => {
  it('should wait the exponential backoff between attempts of a failing task', async () => {
    const startedAt: number[] = [];
    const g = graph({
      id: 'backoff',
      tasks: [
        task({
          id: 't', retry: { maxAttempts: 4, initialDelayMs: 1000, factor: 2, jitter: 0 },
          run: (ctx) => {
            startedAt.push(ctx.attempt);
            if (ctx.attempt < 4) throw new TributaryError('LAKE_UNAVAILABLE', 'try later');
          },
        }),
      ],
    });
    const { clock, store, orchestrator } = await setup([g]);
    const t0 = clock.now();
    const run = await orchestrator.trigger('backoff');
    await flush();
    expect(startedAt).toEqual([1]);
    await clock.advance(999);
    expect(startedAt).toEqual([1]);
    await clock.advance(1);
    expect(startedAt).toEqual([1, 2]);
    await clock.advance(2000);
    expect(startedAt).toEqual([1, 2, 3]);
    await clock.advance(4000);
    expect(await statusOf(store, run!.runId)).toBe('succeeded');
    const { attempts } = (await store.runDetail(run!.runId))!;
    expect(attempts.map((a) => a.started.getTime() - t0)).toEqual([0, 1000, 3000, 7000]);
  });

  it('should draw the jitter from the injected random source', async () => {
    const g = graph({
      id: 'jitter',
      tasks: [task({ id: 't', retry: { maxAttempts: 2, initialDelayMs: 1000, jitter: 1 }, run: (ctx) => { if (ctx.attempt === 1) throw new Error('flaky'); } })],
    });
    const { clock, store, orchestrator } = await setup([g], { random: () => 0.75 });
    const t0 = clock.now();
    const run = await orchestrator.trigger('jitter');
    await clock.advance(249);
    expect(await statusOf(store, run!.runId)).toBe('running');
    await clock.advance(1);
    expect(await statusOf(store, run!.runId)).toBe('succeeded');
    expect((await store.runDetail(run!.runId))!.attempts.map((a) => a.started.getTime() - t0)).toEqual([0, 250]);
  });

  it('should stop retrying when the attempts are used up and fail the run', async () => {
    let calls = 0;
    const g = graph({ id: 'exhaust', tasks: [task({ id: 't', retry: { maxAttempts: 3, initialDelayMs: 10, jitter: 0 }, run: () => { calls++; throw new Error('always'); } })] });
    const { clock, store, orchestrator } = await setup([g]);
    const run = await orchestrator.trigger('exhaust');
    await clock.advance(60_000);
    expect(calls).toBe(3);
    expect(await statusOf(store, run!.runId)).toBe('failed');
    expect((await store.runDetail(run!.runId))!.tasks[0]!.error?.code).toBe('ORCHESTRATOR_TASK_FAILED');
  });

  it('should time a task out at exactly its timeout', async () => {
    const g = graph({
      id: 'timeout',
      tasks: [task({ id: 't', timeoutMs: 5000, retry: { maxAttempts: 1 }, run: (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))) })],
    });
    const { clock, store, orchestrator } = await setup([g]);
    const run = await orchestrator.trigger('timeout');
    await clock.advance(4999);
    expect(await statusOf(store, run!.runId)).toBe('running');
    await clock.advance(1);
    expect(await statusOf(store, run!.runId)).toBe('failed');
    expect((await store.runDetail(run!.runId))!.attempts[0]!.error?.code).toBe('ORCHESTRATOR_TASK_TIMEOUT');
  });

  it('should keep the lease of a long task alive by heartbeats while sweeps run', async () => {
    const g = graph({ id: 'long', tasks: [task({ id: 't', run: (ctx) => clock.sleep(100_000, ctx.signal) })] });
    const { clock, store, orchestrator } = await setup([g], { leaseMs: 30_000 });
    const run = await orchestrator.trigger('long');
    for (let i = 0; i < 10; i++) {
      await clock.advance(10_000);
      expect((await orchestrator.sweep()).expired).toBe(0);
    }
    await clock.advance(1);
    expect(await statusOf(store, run!.runId)).toBe('succeeded');
    expect((await store.runDetail(run!.runId))!.attempts).toHaveLength(1);
  });

  it('should run at most maxActiveRuns runs of a graph at once and start the queued ones in logical order', async () => {
    let active = 0;
    let most = 0;
    const order: number[] = [];
    const g = graph({
      id: 'limited', maxActiveRuns: 2,
      tasks: [
        task({
          id: 't',
          run: async (ctx) => {
            order.push(ctx.logicalDate!.getTime());
            most = Math.max(most, ++active);
            await clock.sleep(1000);
            active--;
          },
        }),
      ],
    });
    const { clock, store, orchestrator } = await setup([g]);
    const dates = [5, 3, 1, 4, 2].map((d) => new Date(Date.UTC(2025, 0, d)));
    await orchestrator.createRuns('limited', dates.map((logicalDate) => ({ logicalDate, trigger: 'backfill' as const })));
    await orchestrator.activate('limited');
    await flush();
    expect((await store.listRuns({ graph: 'limited', status: 'running' })).length).toBe(2);
    expect((await store.listRuns({ graph: 'limited', status: 'queued' })).length).toBe(3);
    await clock.advance(3000);
    expect((await store.listRuns({ graph: 'limited', status: 'succeeded' })).length).toBe(5);
    expect(most).toBe(2);
    expect(order).toEqual([1, 2, 3, 4, 5].map((d) => Date.UTC(2025, 0, d)));
  });

  it('should share a pool between graphs and never run more of its tasks than it has slots', async () => {
    let active = 0;
    let most = 0;
    const body = async () => {
      most = Math.max(most, ++active);
      await clock.sleep(1000);
      active--;
    };
    const a = graph({ id: 'a', pool: 'db', tasks: [task({ id: 'x', run: body }), task({ id: 'y', run: body })] });
    const b = graph({ id: 'b', tasks: [task({ id: 'z', pool: 'db', run: body }), task({ id: 'free', run: () => undefined })] });
    const { clock, store, orchestrator } = await setup([a, b], { pools: { db: 1 }, poolRetryMs: 100 });
    const runA = await orchestrator.trigger('a');
    const runB = await orchestrator.trigger('b');
    await flush();
    expect(active).toBe(1);
    await clock.advance(5000);
    expect(most).toBe(1);
    expect(await statusOf(store, runA!.runId)).toBe('succeeded');
    expect(await statusOf(store, runB!.runId)).toBe('succeeded');
  });

  it('should reject a graph whose pool is not declared', async () => {
    const g = graph({ id: 'nopool', pool: 'missing', tasks: [task({ id: 't', run: () => undefined })] });
    await expect(setup([g], { pools: { other: 2 } })).rejects.toMatchObject({ code: 'ORCHESTRATOR_GRAPH_INVALID' });
  });

  it('should post the run, the task, the error and the log tail to the alerts webhook when a run fails for good', async () => {
    const posted: unknown[] = [];
    const fakeFetch = ((_url: string, init: { body: string }) => {
      posted.push(JSON.parse(init.body));
      return Promise.resolve(new Response(null, { status: 204 }));
    }) as unknown as typeof fetch;
    const g = graph({
      id: 'alerting', alertWebhook: 'http://127.0.0.1:9/alerts',
      tasks: [task({ id: 'boom', retry: { maxAttempts: 1 }, run: (ctx) => { ctx.logger.warn('about to fail'); throw new TributaryError('BATCH_QUERY_FAILED', 'bad sql'); } })],
    });
    const { clock, orchestrator } = await setup([g], { fetch: fakeFetch });
    const run = await orchestrator.trigger('alerting');
    await clock.advance(1);
    expect(posted).toHaveLength(1);
    expect(posted[0]).toMatchObject({ type: 'orchestrator:run:failed', taskId: 'boom', error: { code: 'BATCH_QUERY_FAILED' }, run: { runId: run!.runId, status: 'failed' } });
    expect((posted[0] as { logTail: { message: string }[] }).logTail.map((l) => l.message)).toEqual(['about to fail', 'bad sql']);
  });

  it('should start a run of each graph listening to a dataset when notified', async () => {
    const g = graph({ id: 'on-data', on: ['lake:raw/orders'], tasks: [task({ id: 't', run: (ctx) => ctx.params.dataset as string })] });
    const other = graph({ id: 'unrelated', tasks: [task({ id: 't', run: () => undefined })] });
    const { clock, store, orchestrator } = await setup([g, other]);
    const runs = await orchestrator.notify('lake:raw/orders', { key: 'snapshot-7' });
    expect(runs.map((r) => r.graph)).toEqual(['on-data']);
    expect(await orchestrator.notify('lake:raw/orders', { key: 'snapshot-7' })).toEqual([]);
    await clock.advance(1);
    const detail = (await store.runDetail(runs[0]!.runId))!;
    expect(detail.run.trigger).toBe('data');
    expect(detail.tasks[0]!.output).toBe('lake:raw/orders');
  });
});
