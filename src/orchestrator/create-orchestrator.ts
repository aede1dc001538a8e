/**
 * The orchestrator's core: creates runs, hands their ready attempts to the executor, runs attempts
 * it is handed (start by compare-and-set, heartbeat the lease, record the outcome), and sweeps
 * expired leases and lost attempts. The same code runs in every process; which parts a process uses
 * (scheduling, working, both) is the caller's choice.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { TributaryError } from '../errors.ts';
import type { NewRun, RunStore } from '../metadata/run-store.ts';
import { systemClock, type Clock } from '../retry/clock.ts';
import { retryPolicy, type RetryPolicy } from '../retry/retry-policy.ts';
import { postAlert } from './alert.ts';
import { findGraph } from './define.ts';
import type { AttemptRef, Executor, Graph, OrchestratorEvent, RunRecord, TriggerOptions } from './orchestrator.ts';
import { runTask, type LogSink } from './run-task.ts';
import { fireTimes } from './schedule.ts';
import { groupCommit, LATER, MutationSet } from './group-commit.ts';
import { cancelRun, finishAttempt, isTerminalRun, retryRun, startAttempt, type FinishResult, type Outcome, type StartResult } from './transitions.ts';

export interface OrchestratorOptions<Areas> {
  graphs: readonly Graph<Areas>[];
  store: RunStore;
  executor: Executor;
  /** What tasks get as `ctx.areas` (the runtime's log, lake, state...). */
  areas?: Areas;
  clock?: Clock;
  random?: () => number;
  /** Pool name → slots. A task naming a pool not listed here runs without a limit. */
  pools?: Readonly<Record<string, number>>;
  /** Per graph, overrides its maxActiveRuns in this process (e.g. `backfill --concurrency`). */
  maxActiveRuns?: Readonly<Record<string, number>>;
  /** An attempt whose lease is not renewed for this long is failed and retried (default 30 s). */
  leaseMs?: number;
  /** Lease renewal interval (default a third of leaseMs). */
  heartbeatMs?: number;
  /** A queued attempt that has not started this long after it was due is dispatched again (default leaseMs). */
  redispatchAfterMs?: number;
  /** How long an attempt waits when its pool is full before it tries again (default 1 s). */
  poolRetryMs?: number;
  workerId?: string;
  onEvent?: (event: OrchestratorEvent) => void;
  /** Every line a task logs, as it logs it (the lines are also kept with the attempt). */
  onLog?: LogSink;
  fetch?: typeof fetch;
}

export interface Orchestrator<Areas = Record<string, unknown>> {
  readonly graphs: readonly Graph<Areas>[];
  readonly store: RunStore;
  readonly workerId: string;
  /** Begin running the attempts the executor delivers. */
  start(): Promise<void>;
  /** Create one run and start it when the graph has a free slot; undefined when its key exists already. */
  trigger(graphId: string, options?: TriggerOptions): Promise<RunRecord | undefined>;
  /** Create many runs at once (backfills, catchup); returns those that did not exist. */
  createRuns(graphId: string, runs: readonly TriggerOptions[], extra?: { backfill?: string }): Promise<RunRecord[]>;
  /** Start queued runs of a graph (all graphs when omitted) as slots allow; returns the attempts dispatched. */
  activate(graphId?: string): Promise<number>;
  /** Data-aware trigger: start a run of every graph whose `on` names this dataset or topic. */
  notify(name: string, options?: { key?: string; params?: TriggerOptions['params'] }): Promise<RunRecord[]>;
  cancel(runId: string): Promise<boolean>;
  /** Run a failed or cancelled run's unfinished tasks again. */
  retry(runId: string): Promise<boolean>;
  /** Fail expired leases, re-dispatch lost attempts, start runs waiting for slots. */
  sweep(options?: { redispatchAll?: boolean }): Promise<{ expired: number; redispatched: number }>;
  /** Resolves with the run once it has finished. */
  waitForRun(runId: string, options?: { pollMs?: number; signal?: AbortSignal }): Promise<RunRecord>;
  /**
   * Stop taking attempts and wait for those running here. With `abortAfterMs`, the ones still
   * running after it have their signal aborted (a retryable failure: they run again by their policy,
   * in another process or after a restart).
   */
  stop(options?: { abortAfterMs?: number }): Promise<void>;
}

const newId = (prefix: string) => `${prefix}${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;

export function runKey(trigger: TriggerOptions['trigger'], options: TriggerOptions, runId: string): string {
  if (options.key !== undefined) return options.key;
  if (trigger === 'manual' || trigger === 'data') return `${trigger}:${runId}`;
  if (options.partition !== undefined) return `partition:${options.partition}`;
  if (options.logicalDate !== undefined) return `logical:${options.logicalDate.toISOString()}`;
  return `${trigger ?? 'manual'}:${runId}`;
}

export function createOrchestrator<Areas = Record<string, unknown>>(options: OrchestratorOptions<Areas>): Orchestrator<Areas> {
  const { store, executor, graphs } = options;
  const clock = options.clock ?? systemClock;
  const leaseMs = options.leaseMs ?? 30_000;
  const heartbeatMs = options.heartbeatMs ?? Math.max(1, Math.floor(leaseMs / 3));
  const redispatchAfterMs = options.redispatchAfterMs ?? leaseMs;
  const poolRetryMs = options.poolRetryMs ?? 1000;
  const workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const emit = (event: OrchestratorEvent) => options.onEvent?.(event);
  const local = new Map<string, AbortController>();
  const waiters = new Map<string, Set<() => void>>();
  const policies = new Map<string, RetryPolicy>();
  const defaultPolicy = retryPolicy();
  const pools = options.pools ?? {};
  for (const g of graphs) {
    for (const t of g.tasks) {
      const pool = t.pool ?? g.pool;
      if (pool !== undefined && options.pools && pools[pool] === undefined) {
        throw new TributaryError('ORCHESTRATOR_GRAPH_INVALID', `graph ${g.id}: task ${t.id} takes a slot of pool ${pool}, which is not declared (pools: ${Object.keys(pools).join(', ') || 'none'})`);
      }
    }
  }
  const policyOf = (graphId: string, taskId: string): RetryPolicy => {
    const key = `${graphId}\u0000${taskId}`;
    let policy = policies.get(key);
    if (!policy) {
      const g = graphs.find((x) => x.id === graphId);
      const t = g?.tasks.find((x) => x.id === taskId);
      policy = t ? retryPolicy(t.retry) : defaultPolicy;
      policies.set(key, policy);
    }
    return policy;
  };
  const refKey = (ref: AttemptRef) => `${ref.runId}\u0000${ref.taskId}\u0000${ref.attempt}`;

  async function dispatch(refs: readonly AttemptRef[], again = false): Promise<void> {
    if (refs.length > 0) await executor.dispatch(refs, again ? { again } : undefined);
  }

  async function activate(graphId?: string): Promise<number> {
    let count = 0;
    for (const g of graphId === undefined ? graphs : [findGraph(graphs, graphId)]) {
      const refs = await store.activateRuns(g.id, options.maxActiveRuns?.[g.id] ?? g.maxActiveRuns, clock.now());
      await dispatch(refs);
      count += refs.length;
    }
    return count;
  }

  interface FinishItem {
    graphId: string;
    ref: AttemptRef;
    outcome: Outcome;
    owner: string;
    expiredOnly?: boolean;
  }

  /** Record many attempts' ends in one transaction, then dispatch what became ready and start queued runs. */
  const finish = groupCommit<FinishItem, FinishResult | undefined>(async (items) => {
    const now = clock.now();
    const results = await store.mutateRuns(items.map((i) => i.ref.runId), (snaps, tools) => {
      const set = new MutationSet();
      const out = items.map((item): FinishResult | undefined | typeof LATER => {
        if (tools.busy.has(item.ref.runId)) return LATER;
        const snap = snaps.get(item.ref.runId);
        if (!snap) return undefined;
        const m = finishAttempt(snap, item.ref, item.outcome, {
          owner: item.owner, nowMs: now, policy: policyOf(snap.run.graph, item.ref.taskId),
          ...(item.expiredOnly ? { expiredOnly: true } : {}), ...(options.random ? { random: options.random } : {}),
        });
        set.add(snap, m);
        return m.result;
      });
      return set.mutation(out);
    }, { skipLocked: true });
    await dispatch(results.flatMap((r) => (r !== LATER && r?.recorded ? r.dispatch : [])));
    const toActivate = new Set<string>();
    for (const [i, result] of results.entries()) {
      const { ref, outcome, graphId, expiredOnly } = items[i]!;
      if (result === LATER || !result?.recorded) continue;
      if (expiredOnly) emit({ type: 'orchestrator:lease:expired', ref, owner: items[i]!.owner });
      emit({
        type: 'orchestrator:attempt:finished', ref, graph: graphId, status: outcome.ok ? 'succeeded' : 'failed',
        ...(outcome.ok ? {} : { error: outcome.error }), ...(result.retryInMs === undefined ? {} : { retryInMs: result.retryInMs }),
      });
      if (result.runFinished === undefined) continue;
      emit({ type: 'orchestrator:run:finished', runId: ref.runId, graph: graphId, status: result.runFinished });
      for (const wake of waiters.get(ref.runId) ?? []) wake();
      const g = graphs.find((x) => x.id === graphId);
      if (result.runFinished === 'failed' && g?.alertWebhook && !outcome.ok) {
        await postAlert(options.fetch ?? fetch, g.alertWebhook, { run: result.run, taskId: ref.taskId, attempt: ref.attempt, error: outcome.error, logTail: outcome.logs.slice(-20) });
      }
      if (g) toActivate.add(g.id);
    }
    for (const graphId of toActivate) await activate(graphId);
    return results;
  });

  type Started = { result: StartResult; graph: Graph<Areas> | undefined };

  /** Start many attempts in one transaction (each a compare-and-set; pools counted with the ones started before it). */
  const begin = groupCommit<AttemptRef, Started>((refs) => {
    const now = clock.now();
    return store.mutateRuns(refs.map((r) => r.runId), async (snaps, tools) => {
      const set = new MutationSet();
      const poolCounts = new Map<string, number>();
      const poolRunning = async (pool: string) => {
        if (!poolCounts.has(pool)) poolCounts.set(pool, await tools.poolRunning(pool));
        return poolCounts.get(pool)!;
      };
      const out: (Started | typeof LATER)[] = [];
      for (const ref of refs) {
        if (tools.busy.has(ref.runId)) {
          out.push(LATER);
          continue;
        }
        const snap = snaps.get(ref.runId);
        const graph = snap ? graphs.find((x) => x.id === snap.run.graph) : undefined;
        if (!snap || !graph) {
          out.push({ result: { kind: 'stale' }, graph });
          continue;
        }
        const task = snap.tasks.find((t) => t.taskId === ref.taskId);
        const slots = task?.pool === undefined ? undefined : pools[task.pool];
        const m = await startAttempt(snap, ref, { owner: workerId, nowMs: now, leaseMs, ...(slots === undefined ? {} : { poolSlots: slots }), poolRunning });
        if (m.result.kind === 'started' && task?.pool !== undefined) poolCounts.set(task.pool, (await poolRunning(task.pool)) + 1);
        set.add(snap, m);
        out.push({ result: m.result, graph });
      }
      return set.mutation(out);
    }, { skipLocked: true });
  });

  async function heartbeat(ref: AttemptRef, controller: AbortController, stop: AbortSignal): Promise<void> {
    while (!stop.aborted) {
      try {
        await clock.sleep(heartbeatMs, stop);
      } catch {
        return;
      }
      const held = await store.renewLease(ref, workerId, clock.now() + leaseMs).catch(() => true);
      if (!held && !stop.aborted) controller.abort(new TributaryError('ORCHESTRATOR_LEASE_EXPIRED', `task ${ref.taskId} of run ${ref.runId} lost its lease (expired, or the run was cancelled)`));
    }
  }

  async function handle(ref: AttemptRef): Promise<void> {
    const { result: started, graph } = await begin(ref);
    if (started.kind === 'stale' || !graph) return;
    if (started.kind === 'early') return dispatch([{ ...ref, runAt: started.runAt }]);
    if (started.kind === 'pool-full') return dispatch([{ ...ref, runAt: clock.now() + poolRetryMs }]);
    emit({ type: 'orchestrator:attempt:started', ref, graph: graph.id, worker: workerId, waitedMs: Math.max(0, clock.now() - started.readyMs) });
    const { run, upstream } = started;
    const controller = new AbortController();
    const stopBeat = new AbortController();
    local.set(refKey(ref), controller);
    const beat = heartbeat(ref, controller, stopBeat.signal);
    let outcome: Outcome;
    try {
      outcome = await runTask({
        task: graph.task(ref.taskId),
        clock,
        signal: controller.signal,
        ...(options.onLog ? { forward: options.onLog } : {}),
        context: {
          runId: run.runId, graphId: run.graph, taskId: ref.taskId, attempt: ref.attempt, logicalDate: run.logicalDate, interval: run.interval,
          partition: run.partition, params: run.params, upstream, areas: options.areas ?? ({} as Areas),
        },
      });
    } finally {
      stopBeat.abort();
      await beat;
      local.delete(refKey(ref));
    }
    await finish({ graphId: run.graph, ref, outcome, owner: workerId });
  }

  async function createRuns(graphId: string, runs: readonly TriggerOptions[], extra: { backfill?: string } = {}): Promise<RunRecord[]> {
    const g = findGraph(graphs, graphId);
    const times = g.schedule ? fireTimes(g.schedule) : undefined;
    const created = clock.now();
    const rows: NewRun[] = runs.map((o) => {
      const runId = newId('r');
      const trigger = o.trigger ?? 'manual';
      const end = o.logicalDate && !o.interval ? times?.next(o.logicalDate.getTime()) : undefined;
      const interval = o.interval ?? (o.logicalDate && end !== undefined ? { start: o.logicalDate, end: new Date(end) } : undefined);
      return {
        runId, graph: g.id, key: runKey(trigger, o, runId), trigger, params: o.params ?? {}, created: new Date(created),
        ...(o.logicalDate ? { logicalDate: o.logicalDate } : interval ? { logicalDate: interval.start } : {}),
        ...(interval ? { interval } : {}),
        ...(o.partition === undefined ? {} : { partition: o.partition }),
        ...(extra.backfill === undefined ? {} : { backfill: extra.backfill }),
        tasks: g.order.map((taskId) => {
          const pool = g.task(taskId).pool ?? g.pool;
          return { taskId, upstream: [...(g.upstream[taskId] ?? [])], ...(pool === undefined ? {} : { pool }) };
        }),
      };
    });
    const made = await store.createRuns(rows);
    for (const run of made) emit({ type: 'orchestrator:run:created', run });
    return made;
  }

  return {
    graphs,
    store,
    workerId,
    start: () => executor.start(handle),
    async trigger(graphId, o = {}) {
      const [run] = await createRuns(graphId, [o]);
      await activate(graphId);
      return run;
    },
    createRuns,
    activate,
    async notify(name, o = {}) {
      const out: RunRecord[] = [];
      for (const g of graphs.filter((x) => x.on?.includes(name))) {
        const [run] = await createRuns(g.id, [{ trigger: 'data', params: { dataset: name, ...o.params }, ...(o.key === undefined ? {} : { key: `data:${name}:${o.key}` }) }]);
        if (run) out.push(run);
        await activate(g.id);
      }
      return out;
    },
    async cancel(runId) {
      const result = await store.mutateRun(runId, (snap) => cancelRun(snap, clock.now()));
      if (!result) throw new TributaryError('ORCHESTRATOR_RUN_NOT_FOUND', `no run ${runId}`);
      for (const ref of result.running) local.get(refKey(ref))?.abort(new TributaryError('ORCHESTRATOR_CANCELLED', `run ${runId} was cancelled`));
      if (result.cancelled) for (const wake of waiters.get(runId) ?? []) wake();
      return result.cancelled;
    },
    async retry(runId) {
      let graphId = '';
      const result = await store.mutateRun(runId, (snap) => {
        graphId = snap.run.graph;
        return retryRun(snap);
      });
      if (result === undefined) throw new TributaryError('ORCHESTRATOR_RUN_NOT_FOUND', `no run ${runId}`);
      if (result && graphs.some((g) => g.id === graphId)) await activate(graphId);
      return result;
    },
    async sweep(o = {}) {
      const now = clock.now();
      const expired = await store.expiredLeases(now, 1000);
      await Promise.all(
        expired.map((lease) => {
          const error = { code: 'ORCHESTRATOR_LEASE_EXPIRED', message: `worker ${lease.owner} stopped renewing the lease of task ${lease.ref.taskId} (attempt ${lease.ref.attempt})` };
          return finish({ graphId: lease.graph, ref: lease.ref, outcome: { ok: false, error, retryable: true, logs: [] }, owner: lease.owner, expiredOnly: true });
        }),
      );
      const stale = await store.staleQueued(o.redispatchAll ? Number.MAX_SAFE_INTEGER : now - redispatchAfterMs, 5000);
      await dispatch(stale, true);
      for (const graphId of await store.graphsWithQueuedRuns()) if (graphs.some((g) => g.id === graphId)) await activate(graphId);
      return { expired: expired.length, redispatched: stale.length };
    },
    async waitForRun(runId, o = {}) {
      const pollMs = o.pollMs ?? 250;
      for (;;) {
        const detail = await store.runDetail(runId);
        if (!detail) throw new TributaryError('ORCHESTRATOR_RUN_NOT_FOUND', `no run ${runId}`);
        if (isTerminalRun(detail.run.status)) return detail.run;
        const wake = new AbortController();
        const set = waiters.get(runId) ?? new Set();
        const onWake = () => wake.abort();
        set.add(onWake);
        waiters.set(runId, set);
        const onAbort = () => wake.abort();
        o.signal?.addEventListener('abort', onAbort, { once: true });
        await clock.sleep(pollMs, wake.signal).catch(() => undefined);
        set.delete(onWake);
        o.signal?.removeEventListener('abort', onAbort);
        if (o.signal?.aborted) throw o.signal.reason as Error;
      }
    },
    async stop(o = {}) {
      const timer = o.abortAfterMs === undefined ? undefined : setTimeout(() => {
        for (const controller of local.values()) controller.abort(new TributaryError('ORCHESTRATOR_TASK_FAILED', `the process running it (${workerId}) stopped`));
      }, o.abortAfterMs);
      try {
        await executor.stop();
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
