/**
 * The conformance suite every executor passes (with its run store): graphs run to the end, outputs
 * flow downstream, retries, timeouts, cancellation, duplicate deliveries and dead workers behave as
 * src/orchestrator/orchestrator.ts promises. Real time, short delays; the assertions never depend on speed.
 */
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { TributaryError } from '../../src/errors.ts';
import { registerOrchestratorMetrics } from '../../src/metrics/orchestrator-metrics.ts';
import type { Orchestrator } from '../../src/orchestrator/create-orchestrator.ts';
import { graph, task } from '../../src/orchestrator/define.ts';
import type { Graph, OrchestratorEvent } from '../../src/orchestrator/orchestrator.ts';
import { startAttempt } from '../../src/orchestrator/transitions.ts';

export interface ContractHarness {
  orchestrator: Orchestrator;
  close(): Promise<void>;
}

export type HarnessFactory = (options: { graphs: readonly Graph[]; leaseMs?: number; onEvent?: (event: OrchestratorEvent) => void }) => Promise<ContractHarness>;

const fast = { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 50, jitter: 0 };

export function describeExecutorContract(name: string, factory: HarnessFactory): void {
  describe(`${name} executor contract`, () => {
    const open: ContractHarness[] = [];
    const start = async (graphs: Graph[], leaseMs?: number, onEvent?: (event: OrchestratorEvent) => void) => {
      const harness = await factory({ graphs, ...(leaseMs === undefined ? {} : { leaseMs }), ...(onEvent ? { onEvent } : {}) });
      open.push(harness);
      await harness.orchestrator.start();
      return harness.orchestrator;
    };
    afterEach(async () => {
      for (const harness of open.splice(0)) await harness.close();
    });

    it('should run a chain in order and pass each output downstream', async () => {
      const seen: unknown[] = [];
      const g = graph({
        id: 'chain',
        tasks: [
          task({ id: 'a', run: () => ({ rows: 2 }) }),
          task({ id: 'b', after: ['a'], run: (_ctx, input) => ({ rows: (input.a as { rows: number }).rows * 10 }) }),
          task({ id: 'c', after: ['b'], run: (ctx) => void seen.push(ctx.upstream) }),
        ],
      });
      const o = await start([g]);
      const run = await o.trigger('chain');
      expect((await o.waitForRun(run!.runId)).status).toBe('succeeded');
      expect(seen).toEqual([{ b: { rows: 20 } }]);
      const detail = await o.store.runDetail(run!.runId);
      expect(detail!.tasks.map((t) => [t.taskId, t.status, t.attempt]).sort()).toEqual([['a', 'succeeded', 1], ['b', 'succeeded', 1], ['c', 'succeeded', 1]]);
      expect(detail!.tasks.find((t) => t.taskId === 'b')!.output).toEqual({ rows: 20 });
    });

    it('should run every task of a fan-out and fan-in exactly once', async () => {
      const counts = new Map<string, number>();
      const body = (id: string) => () => void counts.set(id, (counts.get(id) ?? 0) + 1);
      const leaves = Array.from({ length: 12 }, (_, i) => task({ id: `leaf-${i}`, after: ['root'], run: body(`leaf-${i}`) }));
      const g = graph({ id: 'fan', tasks: [task({ id: 'root', run: body('root') }), ...leaves, task({ id: 'join', after: leaves.map((l) => l.id), run: body('join') })] });
      const o = await start([g]);
      const run = await o.trigger('fan');
      expect((await o.waitForRun(run!.runId)).status).toBe('succeeded');
      expect([...counts.values()]).toEqual(Array.from({ length: 14 }, () => 1));
    });

    it('should retry a retryable failure and keep each attempt with its error and logs', async () => {
      let calls = 0;
      const g = graph({
        id: 'flaky',
        tasks: [
          task({
            id: 'f', retry: fast,
            run: (ctx) => {
              calls++;
              ctx.logger.info(`attempt ${ctx.attempt}`);
              if (ctx.attempt === 1) throw new TributaryError('SOURCE_UNAVAILABLE', 'upstream down');
              return 'ok';
            },
          }),
        ],
      });
      const o = await start([g]);
      const run = await o.trigger('flaky');
      expect((await o.waitForRun(run!.runId)).status).toBe('succeeded');
      expect(calls).toBe(2);
      const { attempts } = (await o.store.runDetail(run!.runId))!;
      expect(attempts.map((a) => [a.attempt, a.status, a.error?.code])).toEqual([[1, 'failed', 'SOURCE_UNAVAILABLE'], [2, 'succeeded', undefined]]);
      expect(attempts[0]!.logs.map((l) => l.message)).toEqual(['attempt 1', 'upstream down']);
      expect(attempts[1]!.output).toBe('ok');
    });

    it('should fail at once on an error whose code is not retryable and mark the downstream tasks upstream_failed', async () => {
      let calls = 0;
      const g = graph({
        id: 'fatal',
        tasks: [
          task({ id: 'bad', retry: fast, run: () => { calls++; throw new TributaryError('BATCH_INPUT_INVALID', 'no such column'); } }),
          task({ id: 'next', after: ['bad'], run: () => 'never' }),
          task({ id: 'other', run: () => 'fine' }),
        ],
      });
      const o = await start([g]);
      const run = await o.trigger('fatal');
      expect((await o.waitForRun(run!.runId)).status).toBe('failed');
      expect(calls).toBe(1);
      const { tasks } = (await o.store.runDetail(run!.runId))!;
      expect(Object.fromEntries(tasks.map((t) => [t.taskId, t.status]))).toEqual({ bad: 'failed', next: 'upstream_failed', other: 'succeeded' });
      expect(tasks.find((t) => t.taskId === 'bad')!.error).toEqual({ code: 'BATCH_INPUT_INVALID', message: 'no such column' });
    });

    it('should abort a task that runs past its timeout and record ORCHESTRATOR_TASK_TIMEOUT', async () => {
      let aborted = false;
      const g = graph({
        id: 'slow',
        tasks: [
          task({
            id: 's', timeoutMs: 50, retry: { maxAttempts: 1 },
            run: (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => { aborted = true; reject(new Error('stopped')); })),
          }),
        ],
      });
      const o = await start([g]);
      const run = await o.trigger('slow');
      expect((await o.waitForRun(run!.runId)).status).toBe('failed');
      expect(aborted).toBe(true);
      expect((await o.store.runDetail(run!.runId))!.attempts[0]!.error?.code).toBe('ORCHESTRATOR_TASK_TIMEOUT');
    });

    it('should run a task once when its attempt is delivered twice', async () => {
      let calls = 0;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const g = graph({ id: 'dup', tasks: [task({ id: 'd', run: async () => { calls++; await gate; } })] });
      const o = await start([g]);
      const run = await o.trigger('dup');
      await o.sweep({ redispatchAll: true });
      await o.sweep({ redispatchAll: true });
      release();
      expect((await o.waitForRun(run!.runId)).status).toBe('succeeded');
      expect(calls).toBe(1);
      expect((await o.store.runDetail(run!.runId))!.attempts).toHaveLength(1);
    });

    it('should abort a running task when its run is cancelled, and run it again on retry', async () => {
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      let calls = 0;
      const g = graph({
        id: 'cancel',
        tasks: [
          task({
            id: 'wait', retry: fast,
            run: (ctx) => {
              calls++;
              if (calls > 1) return 'second';
              started();
              return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)));
            },
          }),
        ],
      });
      const o = await start([g]);
      const run = await o.trigger('cancel');
      await running;
      expect(await o.cancel(run!.runId)).toBe(true);
      expect((await o.waitForRun(run!.runId)).status).toBe('cancelled');
      expect(await o.retry(run!.runId)).toBe(true);
      expect((await o.waitForRun(run!.runId)).status).toBe('succeeded');
      const { attempts } = (await o.store.runDetail(run!.runId))!;
      expect(attempts.map((a) => [a.attempt, a.status, a.error?.code])).toEqual([[1, 'failed', 'ORCHESTRATOR_CANCELLED'], [2, 'succeeded', undefined]]);
    });

    it('should fail the attempt of a worker that stopped renewing its lease and retry the task', async () => {
      let calls = 0;
      const g = graph({ id: 'dead', tasks: [task({ id: 't', retry: fast, run: () => void calls++ })] });
      const o = await start([g], 200);
      const [run] = await o.createRuns('dead', [{}]);
      // A worker that took the attempt and died: it started it under its own name and never came back.
      const refs = await o.store.activateRuns('dead', 1, Date.now());
      expect(refs).toHaveLength(1);
      await o.store.mutateRun(run!.runId, (snap, tools) => startAttempt(snap, refs[0]!, { owner: 'dead-worker', nowMs: Date.now(), leaseMs: 50, poolRunning: tools.poolRunning }));
      while ((await o.sweep()).expired === 0) await new Promise((resolve) => setTimeout(resolve, 25));
      expect((await o.waitForRun(run!.runId)).status).toBe('succeeded');
      expect(calls).toBe(1);
      const { attempts, tasks } = (await o.store.runDetail(run!.runId))!;
      expect(attempts.map((a) => [a.attempt, a.status, a.worker, a.error?.code])).toEqual([
        [1, 'failed', 'dead-worker', 'ORCHESTRATOR_LEASE_EXPIRED'],
        [2, 'succeeded', o.workerId, undefined],
      ]);
      expect(tasks[0]!.leaseOwner).toBeUndefined();
    });

    it('should create one run per key however often it is triggered', async () => {
      const g = graph({ id: 'keyed', tasks: [task({ id: 't', run: () => undefined })] });
      const o = await start([g]);
      const first = await o.trigger('keyed', { key: 'logical:2026-01-01T00:00:00.000Z', trigger: 'schedule', logicalDate: new Date('2026-01-01T00:00:00Z') });
      const again = await o.trigger('keyed', { key: 'logical:2026-01-01T00:00:00.000Z', trigger: 'schedule', logicalDate: new Date('2026-01-01T00:00:00Z') });
      expect(first).toBeDefined();
      expect(again).toBeUndefined();
      await o.waitForRun(first!.runId);
      expect(await o.store.listRuns({ graph: 'keyed' })).toHaveLength(1);
    });
    it("should report the store's queued and running runs and queue depth, and count this process's attempts, runs and timings", async () => {
      const registry = new Registry();
      const events: { observe?: (event: OrchestratorEvent) => void } = {};
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const metered = graph({
        id: 'metered',
        maxActiveRuns: 1,
        tasks: [
          task({ id: 'a', retry: fast, run: (ctx) => { if (ctx.attempt === 1) throw new TributaryError('SOURCE_UNAVAILABLE', 'first try fails'); } }),
          task({ id: 'b', after: ['a'], run: () => gate }),
        ],
      });
      const slow = { maxAttempts: 2, initialDelayMs: 600_000, maxDelayMs: 600_000, jitter: 0 };
      const backoff = graph({ id: 'backoff', tasks: [task({ id: 'x', retry: slow, run: () => { throw new TributaryError('SOURCE_UNAVAILABLE', 'down for now'); } })] });
      const o = await start([metered, backoff], undefined, (event) => events.observe?.(event));
      events.observe = (await registerOrchestratorMetrics(registry, o.store)).observe;
      const value = async (name: string, labels: Record<string, string>) =>
        (await registry.getMetricsAsJSON())
          .flatMap((m) => m.values.map((v) => ({ ...v, metricName: (v as { metricName?: string }).metricName ?? m.name })))
          .find((v) => v.metricName === name && Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;

      const first = await o.trigger('metered');
      const second = await o.trigger('metered');
      const waiting = await o.trigger('backoff');
      // b holds the first run open, so the second waits for the slot; x waits out its backoff.
      await until(async () => (await value('tributary_orchestrator_attempts_total', { graph: 'metered', status: 'succeeded' })) === 1);
      await until(async () => (await value('tributary_orchestrator_attempts_total', { graph: 'backoff', status: 'failed' })) === 1);
      expect(await value('tributary_orchestrator_runs', { graph: 'metered', state: 'running' })).toBe(1);
      expect(await value('tributary_orchestrator_runs', { graph: 'metered', state: 'queued' })).toBe(1);
      expect(await value('tributary_orchestrator_runs', { graph: 'backoff', state: 'running' })).toBe(1);
      expect(await value('tributary_orchestrator_queue_depth', { graph: 'backoff' })).toBeUndefined();
      const later = await o.store.activity(Date.now() + 700_000);
      expect(later.dueTasks.filter((t) => t.graph === 'backoff')).toEqual([{ graph: 'backoff', count: 1 }]);

      release();
      expect((await o.waitForRun(first!.runId)).status).toBe('succeeded');
      expect((await o.waitForRun(second!.runId)).status).toBe('succeeded');
      await until(async () => (await value('tributary_orchestrator_runs_finished_total', { graph: 'metered', status: 'succeeded' })) === 2);
      expect(await value('tributary_orchestrator_attempts_total', { graph: 'metered', status: 'failed' })).toBe(2);
      expect(await value('tributary_orchestrator_attempts_total', { graph: 'metered', status: 'succeeded' })).toBe(4);
      expect(await value('tributary_orchestrator_task_wait_seconds_count', { graph: 'metered' })).toBe(6);
      expect(await value('tributary_orchestrator_task_duration_seconds_count', { graph: 'metered', status: 'failed' })).toBe(2);
      expect(await value('tributary_orchestrator_task_duration_seconds_count', { graph: 'metered', status: 'succeeded' })).toBe(4);
      expect(await value('tributary_orchestrator_runs', { graph: 'metered', state: 'running' })).toBeUndefined();
      expect(await o.cancel(waiting!.runId)).toBe(true);
    });
  });
}

async function until(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
