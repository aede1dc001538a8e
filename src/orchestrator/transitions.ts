/**
 * How a run changes, as pure functions of its snapshot: the store applies what they return in one
 * transaction (see RunStore.mutateRun). Every function checks the state it expects first, so a
 * duplicate or late call changes nothing.
 */
import type { RunMutation, RunSnapshot } from '../metadata/run-store.ts';
import { decideRetry, type RetryPolicy } from '../retry/retry-policy.ts';
import type { AttemptRecord, AttemptRef, JsonValue, LogLine, RunError, RunRecord, RunStatus, TaskRecord, TaskStatus } from './orchestrator.ts';

const TERMINAL: ReadonlySet<TaskStatus> = new Set(['succeeded', 'failed', 'upstream_failed', 'cancelled']);
export const isTerminalRun = (status: RunStatus) => status === 'succeeded' || status === 'failed' || status === 'cancelled';

export type StartResult =
  /** `readyMs`: when the attempt could first start (the later of its run's start and its queue time or backoff). */
  | { kind: 'started'; run: RunRecord; upstream: Record<string, JsonValue>; readyMs: number }
  | { kind: 'stale' }
  | { kind: 'early'; runAt: number }
  | { kind: 'pool-full'; pool: string };

export interface StartOptions {
  owner: string;
  nowMs: number;
  leaseMs: number;
  /** Slots of the task's pool, when it has one. */
  poolSlots?: number;
  poolRunning: (pool: string) => Promise<number>;
}

export async function startAttempt(snap: RunSnapshot, ref: AttemptRef, o: StartOptions): Promise<RunMutation<StartResult>> {
  const task = snap.tasks.find((t) => t.taskId === ref.taskId);
  if (!task || task.status !== 'queued' || task.attempt !== ref.attempt || snap.run.status !== 'running') return { result: { kind: 'stale' } };
  if (task.runAt && task.runAt.getTime() > o.nowMs) return { result: { kind: 'early', runAt: task.runAt.getTime() } };
  if (task.pool !== undefined && o.poolSlots !== undefined && (await o.poolRunning(task.pool)) >= o.poolSlots) return { result: { kind: 'pool-full', pool: task.pool } };
  const now = new Date(o.nowMs);
  const running: TaskRecord = { ...task, status: 'running', leaseOwner: o.owner, leaseExpires: new Date(o.nowMs + o.leaseMs), started: now };
  delete running.finished;
  const attempt: AttemptRecord = { runId: ref.runId, taskId: ref.taskId, attempt: ref.attempt, status: 'running', worker: o.owner, started: now, logs: [] };
  const upstream: Record<string, JsonValue> = {};
  for (const name of task.upstream) upstream[name] = snap.tasks.find((t) => t.taskId === name)?.output ?? null;
  const readyMs = Math.max(task.runAt?.getTime() ?? 0, snap.run.started?.getTime() ?? 0) || o.nowMs;
  return { tasks: [running], attempts: [attempt], result: { kind: 'started', run: snap.run, upstream, readyMs } };
}

export type Outcome = { ok: true; output?: JsonValue; logs: LogLine[] } | { ok: false; error: RunError; retryable: boolean; logs: LogLine[] };

export interface FinishResult {
  /** False when the attempt no longer held its task (lease expired, run cancelled): nothing changed. */
  recorded: boolean;
  dispatch: AttemptRef[];
  retryInMs?: number;
  /** Set when this change ended the run. */
  runFinished?: RunStatus;
  run: RunRecord;
}

export interface FinishOptions {
  owner: string;
  nowMs: number;
  policy: RetryPolicy;
  random?: () => number;
  /** Only for a lease expiry: the attempt must still be running under `owner` with its lease past. */
  expiredOnly?: boolean;
}

export function finishAttempt(snap: RunSnapshot, ref: AttemptRef, outcome: Outcome, o: FinishOptions): RunMutation<FinishResult> {
  const task = snap.tasks.find((t) => t.taskId === ref.taskId);
  const holds = task && task.status === 'running' && task.attempt === ref.attempt && task.leaseOwner === o.owner;
  const expired = !o.expiredOnly || (task?.leaseExpires !== undefined && task.leaseExpires.getTime() < o.nowMs);
  if (!task || !holds || !expired) return { result: { recorded: false, dispatch: [], run: snap.run } };
  const now = new Date(o.nowMs);
  const tasks = new Map(snap.tasks.map((t) => [t.taskId, t]));
  const changed = new Map<string, TaskRecord>();
  const set = (t: TaskRecord) => {
    tasks.set(t.taskId, t);
    changed.set(t.taskId, t);
  };
  const attempt: AttemptRecord = {
    runId: ref.runId, taskId: ref.taskId, attempt: ref.attempt, status: outcome.ok ? 'succeeded' : 'failed', worker: o.owner,
    started: task.started ?? now, finished: now, logs: outcome.logs,
    ...(outcome.ok ? (outcome.output === undefined ? {} : { output: outcome.output }) : { error: outcome.error }),
  };
  const base = { ...task };
  delete base.leaseOwner;
  delete base.leaseExpires;
  const dispatch: AttemptRef[] = [];
  let retryInMs: number | undefined;
  if (outcome.ok) {
    const done: TaskRecord = { ...base, status: 'succeeded', finished: now };
    delete done.error;
    if (outcome.output === undefined) delete done.output;
    else done.output = outcome.output;
    set(done);
    for (const t of tasks.values()) {
      if (t.status === 'pending' && t.upstream.every((u) => tasks.get(u)?.status === 'succeeded')) {
        const queued: TaskRecord = { ...t, status: 'queued', attempt: t.attempt + 1, runAt: now };
        set(queued);
        dispatch.push({ runId: ref.runId, taskId: t.taskId, attempt: queued.attempt });
      }
    }
  } else {
    const budgetAttempt = task.attempt - task.retryFrom + 1;
    const decision = decideRetry(o.policy, budgetAttempt, { retryable: outcome.retryable, code: outcome.error.code }, o.random);
    const retry = outcome.retryable && decision.retry;
    if (retry && decision.retry) {
      retryInMs = decision.delayMs;
      const queued: TaskRecord = { ...base, status: 'queued', attempt: task.attempt + 1, runAt: new Date(o.nowMs + decision.delayMs), error: outcome.error };
      set(queued);
      dispatch.push({ runId: ref.runId, taskId: task.taskId, attempt: queued.attempt, runAt: o.nowMs + decision.delayMs });
    } else {
      set({ ...base, status: 'failed', finished: now, error: outcome.error });
      for (const t of downstreamOf(task.taskId, [...tasks.values()])) {
        if (t.status === 'pending') set({ ...t, status: 'upstream_failed', finished: now });
      }
    }
  }
  const { run, finished } = settleRun(snap.run, [...tasks.values()], now);
  return {
    tasks: [...changed.values()],
    attempts: [attempt],
    ...(finished ? { run } : {}),
    result: { recorded: true, dispatch, ...(retryInMs === undefined ? {} : { retryInMs }), ...(finished ? { runFinished: run.status } : {}), run },
  };
}

/** The run's end, once every task is terminal. */
function settleRun(run: RunRecord, tasks: TaskRecord[], now: Date): { run: RunRecord; finished: boolean } {
  if (isTerminalRun(run.status) || !tasks.every((t) => TERMINAL.has(t.status))) return { run, finished: false };
  const status: RunStatus = tasks.every((t) => t.status === 'succeeded') ? 'succeeded' : 'failed';
  return { run: { ...run, status, finished: now }, finished: true };
}

function downstreamOf(taskId: string, tasks: TaskRecord[]): TaskRecord[] {
  const out = new Map<string, TaskRecord>();
  const visit = (id: string) => {
    for (const t of tasks) {
      if (t.upstream.includes(id) && !out.has(t.taskId)) {
        out.set(t.taskId, t);
        visit(t.taskId);
      }
    }
  };
  visit(taskId);
  return [...out.values()];
}

export interface CancelResult {
  cancelled: boolean;
  /** Attempts that were running, whose workers should stop. */
  running: AttemptRef[];
}

export function cancelRun(snap: RunSnapshot, nowMs: number): RunMutation<CancelResult> {
  if (isTerminalRun(snap.run.status)) return { result: { cancelled: false, running: [] } };
  const now = new Date(nowMs);
  const tasks: TaskRecord[] = [];
  const attempts: AttemptRecord[] = [];
  const running: AttemptRef[] = [];
  for (const t of snap.tasks) {
    if (TERMINAL.has(t.status)) continue;
    const next: TaskRecord = { ...t, status: 'cancelled', finished: now };
    delete next.leaseOwner;
    delete next.leaseExpires;
    tasks.push(next);
    if (t.status === 'running') {
      running.push({ runId: t.runId, taskId: t.taskId, attempt: t.attempt });
      attempts.push({
        runId: t.runId, taskId: t.taskId, attempt: t.attempt, status: 'failed', worker: t.leaseOwner ?? '', started: t.started ?? now, finished: now,
        error: { code: 'ORCHESTRATOR_CANCELLED', message: 'the run was cancelled while the task ran' }, logs: [],
      });
    }
  }
  return { run: { ...snap.run, status: 'cancelled', finished: now }, tasks, attempts, result: { cancelled: true, running } };
}

/** Clear a finished run's failed, upstream-failed and cancelled tasks so they run again (with a new retry budget). */
export function retryRun(snap: RunSnapshot): RunMutation<boolean> {
  if (snap.run.status !== 'failed' && snap.run.status !== 'cancelled') return { result: false };
  const tasks: TaskRecord[] = [];
  for (const t of snap.tasks) {
    if (t.status === 'succeeded') continue;
    const next: TaskRecord = { ...t, status: 'pending', retryFrom: t.attempt + 1 };
    for (const key of ['error', 'finished', 'leaseOwner', 'leaseExpires', 'runAt', 'output'] as const) delete next[key];
    tasks.push(next);
  }
  const run: RunRecord = { ...snap.run, status: 'queued' };
  delete run.finished;
  return { run, tasks, result: true };
}
