/** Shared by the run store backends: the column lists, and stored rows turned back into records. */
import type { AttemptRecord, JsonValue, LogLine, RunRecord, TaskRecord } from '../orchestrator/orchestrator.ts';

type Num = number | string | bigint;
type MaybeNum = Num | null;

export interface StoredOrchRun {
  run_id: string;
  graph: string;
  run_key: string;
  trigger: string;
  status: string;
  logical_ms: MaybeNum;
  interval_start_ms: MaybeNum;
  interval_end_ms: MaybeNum;
  partition_key: string | null;
  params: string;
  backfill: string | null;
  created_ms: Num;
  started_ms: MaybeNum;
  finished_ms: MaybeNum;
}

export interface StoredOrchTask {
  run_id: string;
  task_id: string;
  status: string;
  attempt: Num;
  retry_from: Num;
  upstream: string;
  pool: string | null;
  run_at_ms: MaybeNum;
  lease_owner: string | null;
  lease_expires_ms: MaybeNum;
  started_ms: MaybeNum;
  finished_ms: MaybeNum;
  output: string | null;
  error_code: string | null;
  error_message: string | null;
}

export interface StoredOrchAttempt {
  run_id: string;
  task_id: string;
  attempt: Num;
  status: string;
  worker: string;
  started_ms: Num;
  finished_ms: MaybeNum;
  error_code: string | null;
  error_message: string | null;
  logs: string;
  output: string | null;
}

export const runColumns = ['run_id', 'graph', 'run_key', 'trigger', 'status', 'logical_ms', 'interval_start_ms', 'interval_end_ms', 'partition_key', 'params', 'backfill', 'created_ms', 'started_ms', 'finished_ms'] as const;
export const taskColumns = ['run_id', 'task_id', 'status', 'attempt', 'retry_from', 'upstream', 'pool', 'run_at_ms', 'lease_owner', 'lease_expires_ms', 'started_ms', 'finished_ms', 'output', 'error_code', 'error_message'] as const;
export const attemptColumns = ['run_id', 'task_id', 'attempt', 'status', 'worker', 'started_ms', 'finished_ms', 'error_code', 'error_message', 'logs', 'output'] as const;

const date = (v: MaybeNum): Date | undefined => (v === null ? undefined : new Date(Number(v)));
const ms = (d: Date | undefined): number | null => (d === undefined ? null : d.getTime());
const json = (v: JsonValue | undefined): string | null => (v === undefined ? null : JSON.stringify(v));
const parse = (v: string | null): JsonValue | undefined => (v === null ? undefined : (JSON.parse(v) as JsonValue));

export function toOrchRun(row: StoredOrchRun): RunRecord {
  const start = date(row.interval_start_ms);
  const end = date(row.interval_end_ms);
  return {
    runId: row.run_id,
    graph: row.graph,
    key: row.run_key,
    trigger: row.trigger as RunRecord['trigger'],
    status: row.status as RunRecord['status'],
    ...(row.logical_ms === null ? {} : { logicalDate: new Date(Number(row.logical_ms)) }),
    ...(start && end ? { interval: { start, end } } : {}),
    ...(row.partition_key === null ? {} : { partition: row.partition_key }),
    params: JSON.parse(row.params) as Record<string, JsonValue>,
    ...(row.backfill === null ? {} : { backfill: row.backfill }),
    created: new Date(Number(row.created_ms)),
    ...(row.started_ms === null ? {} : { started: new Date(Number(row.started_ms)) }),
    ...(row.finished_ms === null ? {} : { finished: new Date(Number(row.finished_ms)) }),
  };
}

export function runValues(run: RunRecord): unknown[] {
  return [
    run.runId, run.graph, run.key, run.trigger, run.status, ms(run.logicalDate), ms(run.interval?.start), ms(run.interval?.end),
    run.partition ?? null, JSON.stringify(run.params), run.backfill ?? null, run.created.getTime(), ms(run.started), ms(run.finished),
  ];
}

export function toOrchTask(row: StoredOrchTask): TaskRecord {
  const output = parse(row.output);
  return {
    runId: row.run_id,
    taskId: row.task_id,
    status: row.status as TaskRecord['status'],
    attempt: Number(row.attempt),
    retryFrom: Number(row.retry_from),
    upstream: JSON.parse(row.upstream) as string[],
    ...(row.pool === null ? {} : { pool: row.pool }),
    ...(row.run_at_ms === null ? {} : { runAt: new Date(Number(row.run_at_ms)) }),
    ...(output === undefined ? {} : { output }),
    ...(row.error_code === null ? {} : { error: { code: row.error_code, message: row.error_message ?? '' } }),
    ...(row.lease_owner === null ? {} : { leaseOwner: row.lease_owner }),
    ...(row.lease_expires_ms === null ? {} : { leaseExpires: new Date(Number(row.lease_expires_ms)) }),
    ...(row.started_ms === null ? {} : { started: new Date(Number(row.started_ms)) }),
    ...(row.finished_ms === null ? {} : { finished: new Date(Number(row.finished_ms)) }),
  };
}

export function taskValues(task: TaskRecord): unknown[] {
  return [
    task.runId, task.taskId, task.status, task.attempt, task.retryFrom, JSON.stringify(task.upstream), task.pool ?? null, ms(task.runAt),
    task.leaseOwner ?? null, ms(task.leaseExpires), ms(task.started), ms(task.finished), json(task.output), task.error?.code ?? null, task.error?.message ?? null,
  ];
}

export function toOrchAttempt(row: StoredOrchAttempt): AttemptRecord {
  const output = parse(row.output);
  return {
    runId: row.run_id,
    taskId: row.task_id,
    attempt: Number(row.attempt),
    status: row.status as AttemptRecord['status'],
    worker: row.worker,
    started: new Date(Number(row.started_ms)),
    ...(row.finished_ms === null ? {} : { finished: new Date(Number(row.finished_ms)) }),
    ...(row.error_code === null ? {} : { error: { code: row.error_code, message: row.error_message ?? '' } }),
    logs: JSON.parse(row.logs) as LogLine[],
    ...(output === undefined ? {} : { output }),
  };
}

export function attemptValues(a: AttemptRecord): unknown[] {
  return [a.runId, a.taskId, a.attempt, a.status, a.worker, a.started.getTime(), ms(a.finished), a.error?.code ?? null, a.error?.message ?? null, JSON.stringify(a.logs), json(a.output)];
}

/** A new run's task rows, all pending. */
export function newTaskValues(runId: string, task: { taskId: string; upstream: string[]; pool?: string }): unknown[] {
  return taskValues({ runId, taskId: task.taskId, status: 'pending', attempt: 0, retryFrom: 1, upstream: task.upstream, ...(task.pool === undefined ? {} : { pool: task.pool }) });
}
