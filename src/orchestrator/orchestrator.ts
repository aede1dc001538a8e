/**
 * The orchestrator: task graphs, their schedules, runs, retries and backfills, and the executors
 * that run the tasks (in this process, or on any number of workers through PostgreSQL).
 *
 * Glossary:
 * - task: a typed function `run(ctx, input)` with an id, a retry policy and a timeout. It returns a
 *   small JSON output (a row count, a snapshot id) that its downstream tasks receive as `input`.
 * - graph: tasks plus their dependencies (`after` on a task, or the graph's `dependencies`), with an
 *   optional schedule and pool. Declared as a plain value (`graph({...})`), never registered globally.
 * - run: one execution of a graph, for one logical date (a data interval) or one partition key, or a
 *   manual one. A run's key (`logical:<iso>`, `partition:<key>`, `manual:<id>`) is unique per graph.
 * - task attempt: one try of one task of one run, numbered from 1. A lease (owner, expiry) marks who
 *   runs it; the owner renews it by heartbeats.
 * - logical date and data interval: as in Airflow, the run for [start, end) is started once `end`
 *   has passed, and its logical date is `start`.
 * - pool: a named number of slots shared by all graphs; a task of a pool starts only when a slot is free.
 * - executor: what hands ready attempts to code that runs them: in-process (the embedded default),
 *   or a graphile-worker queue on PostgreSQL that every `tributary worker` takes from.
 *
 * Lifecycle: `createOrchestrator({ graphs, store, executor, ... })` → `start()` (the executor begins
 * taking attempts) → `trigger()` / `scheduler.start()` / `backfill()` → `stop()`. A scheduler only
 * creates runs; workers run their tasks; both may live in one process (`tributary dev`) or apart.
 *
 * Guarantees:
 * - One run per graph and key: two schedulers, a restart or a backfill over dates that already ran
 *   never create a second run for a logical date (a unique constraint decides).
 * - One recorded success per task per run: an attempt starts only from `queued` with its own number
 *   (a compare-and-set in the store), and its result is recorded only while its lease is held, so
 *   duplicate deliveries and late results of an expired lease are discarded. The task's body itself
 *   runs at least once: a worker that dies after the work but before recording it makes the work run
 *   again. Tasks with effects outside the lake and the sinks' upserts must be idempotent.
 * - Nothing stays `running`: a lease not renewed for `leaseMs` (default 30 s) is expired by the next
 *   sweep (every `sweepMs`), the attempt recorded as failed with ORCHESTRATOR_LEASE_EXPIRED, and the
 *   task retried by its policy.
 * - `maxActiveRuns` per graph and pool slots hold across processes (the store serialises the checks).
 *
 * Errors (TributaryError codes): ORCHESTRATOR_GRAPH_INVALID (a declaration that cannot run),
 * ORCHESTRATOR_GRAPH_NOT_FOUND, ORCHESTRATOR_RUN_NOT_FOUND; recorded on attempts:
 * ORCHESTRATOR_TASK_FAILED (a plain error, retried), ORCHESTRATOR_TASK_TIMEOUT, ORCHESTRATOR_LEASE_EXPIRED,
 * ORCHESTRATOR_CANCELLED, or the task's own TributaryError code (retried only when it is retryable);
 * METADATA_UNAVAILABLE when the store cannot be reached.
 */
import type { RetryOptions } from '../retry/retry-policy.ts';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What a task may log; each line is also captured into the attempt's record. */
export interface TaskLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface DataInterval {
  start: Date;
  end: Date;
}

/** What a task attempt is given. `Areas` is filled by the runtime (the log, the lake, the state...). */
export interface TaskContext<Areas = Record<string, unknown>> {
  readonly runId: string;
  readonly graphId: string;
  readonly taskId: string;
  readonly attempt: number;
  /** The run's logical date (the start of its data interval); undefined for a partition or manual run without one. */
  readonly logicalDate: Date | undefined;
  readonly interval: DataInterval | undefined;
  /** The partition key of a partitioned run (e.g. a lake partition `dt=2026-11-21`). */
  readonly partition: string | undefined;
  readonly params: Readonly<Record<string, JsonValue>>;
  /** The outputs of this task's upstream tasks, by task id. */
  readonly upstream: Readonly<Record<string, JsonValue>>;
  /** Aborted on timeout, on cancellation, and when the lease is lost: stop soon and throw. */
  readonly signal: AbortSignal;
  readonly logger: TaskLogger;
  readonly areas: Areas;
}

export interface TaskOptions<Areas = Record<string, unknown>> {
  id: string;
  /** Task ids of this graph that must succeed first. */
  after?: readonly string[];
  retry?: RetryOptions;
  /** Longest one attempt may run; default none. */
  timeoutMs?: number;
  /** Overrides the graph's pool. */
  pool?: string;
  run(ctx: TaskContext<Areas>, input: Readonly<Record<string, JsonValue>>): Promise<JsonValue | void> | JsonValue | void;
}

export interface Task<Areas = Record<string, unknown>> extends Readonly<TaskOptions<Areas>> {
  readonly kind: 'task';
}

export interface CronSchedule {
  cron: string;
  /** IANA time zone the cron expression is read in; default UTC. */
  timezone?: string;
  /** Create the runs of intervals missed while no scheduler ran (default true). */
  catchup?: boolean;
  /** First logical date; without it, the first run is the latest interval that has ended. */
  start?: Date;
  /**
   * While the graph has a run queued or running, make no scheduled run (default false): one at a
   * time, a slow run delays the next instead of queueing more behind it. With catchup off, the
   * latest interval that has ended gets the run once it is free.
   */
  skipWhileActive?: boolean;
}

export interface IntervalSchedule {
  everyMs: number;
  catchup?: boolean;
  start?: Date;
  /** As CronSchedule's. */
  skipWhileActive?: boolean;
}

export type Schedule = CronSchedule | IntervalSchedule;

export interface GraphOptions<Areas = Record<string, unknown>> {
  id: string;
  tasks: readonly Task<Areas>[];
  /** Task id → the task ids it waits for (merged with each task's `after`). */
  dependencies?: Readonly<Record<string, readonly string[]>>;
  schedule?: Schedule;
  /** Runs of this graph running at once (default 16); more wait as `queued`. */
  maxActiveRuns?: number;
  /** Pool every task of the graph takes a slot of, unless the task names its own. */
  pool?: string;
  /** Data-aware triggers: a run starts when the runtime calls `notify(name)` for one of these. */
  on?: readonly string[];
  /** Posted as JSON when a run fails for good (run, task, error, log tail). */
  alertWebhook?: string;
}

export interface Graph<Areas = Record<string, unknown>> extends Readonly<Omit<GraphOptions<Areas>, 'dependencies'>> {
  readonly kind: 'graph';
  /** Task id → upstream task ids, complete and checked (no unknown id, no cycle). */
  readonly upstream: Readonly<Record<string, readonly string[]>>;
  /** Task ids in an order where every task comes after its upstream tasks. */
  readonly order: readonly string[];
  readonly maxActiveRuns: number;
  task(id: string): Task<Areas>;
}

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type TaskStatus = 'pending' | 'queued' | 'running' | 'succeeded' | 'failed' | 'upstream_failed' | 'cancelled';
export type RunTrigger = 'schedule' | 'manual' | 'backfill' | 'data';

export interface RunError {
  code: string;
  message: string;
}

export interface LogLine {
  ts: number;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields?: Record<string, unknown>;
}

export interface RunRecord {
  runId: string;
  graph: string;
  key: string;
  trigger: RunTrigger;
  status: RunStatus;
  logicalDate?: Date;
  interval?: DataInterval;
  partition?: string;
  params: Record<string, JsonValue>;
  backfill?: string;
  created: Date;
  started?: Date;
  finished?: Date;
}

export interface TaskRecord {
  runId: string;
  taskId: string;
  status: TaskStatus;
  /** The attempt running, or the one to start next when queued; 0 before the first. */
  attempt: number;
  /** The first attempt of the current retry budget (a manual retry starts a new one). */
  retryFrom: number;
  upstream: string[];
  pool?: string;
  /** A queued attempt starts at this time or later. */
  runAt?: Date;
  output?: JsonValue;
  error?: RunError;
  leaseOwner?: string;
  leaseExpires?: Date;
  started?: Date;
  finished?: Date;
}

export interface AttemptRecord {
  runId: string;
  taskId: string;
  attempt: number;
  status: 'running' | 'succeeded' | 'failed';
  worker: string;
  started: Date;
  finished?: Date;
  error?: RunError;
  logs: LogLine[];
  output?: JsonValue;
}

/** One attempt handed to an executor. */
export interface AttemptRef {
  runId: string;
  taskId: string;
  attempt: number;
  /** Not before this time (ms since the epoch): a retry's backoff. */
  runAt?: number;
}

/**
 * Hands ready attempts to code that runs them. Delivery is at least once: the orchestrator drops a
 * duplicate or stale attempt by itself, so an executor may deliver one twice but must not lose one
 * it accepted (the sweep re-dispatches attempts that stay queued, for the case it does).
 */
export interface Executor {
  readonly kind: 'in-process' | 'postgres';
  /** Begin delivering attempts to `handle`. A process that only schedules never calls this. */
  start(handle: (ref: AttemptRef) => Promise<void>): Promise<void>;
  /** `again`: these attempts may have been dispatched before and still wait (a sweep); do not queue a second copy. */
  dispatch(refs: readonly AttemptRef[], options?: { again?: boolean }): Promise<void>;
  /** Stop taking attempts and wait for the ones running. */
  stop(): Promise<void>;
}

export interface TriggerOptions {
  logicalDate?: Date;
  interval?: DataInterval;
  partition?: string;
  params?: Record<string, JsonValue>;
  /** The run's unique key; default from the logical date, the partition, or a new id. */
  key?: string;
  trigger?: RunTrigger;
}

/** The part of a run's detail `runs show` prints. */
export interface RunDetail {
  run: RunRecord;
  tasks: TaskRecord[];
  attempts: AttemptRecord[];
}

/** Orchestrator events, named `area:noun:verb`. */
export type OrchestratorEvent =
  | { type: 'orchestrator:run:created'; run: RunRecord }
  | { type: 'orchestrator:run:finished'; runId: string; graph: string; status: RunStatus }
  /** `waitedMs`: from the moment the attempt could start (its run started, its upstream finished, its backoff ended) until it did. */
  | { type: 'orchestrator:attempt:started'; ref: AttemptRef; graph: string; worker: string; waitedMs: number }
  | { type: 'orchestrator:attempt:finished'; ref: AttemptRef; graph: string; status: 'succeeded' | 'failed'; error?: RunError; retryInMs?: number }
  | { type: 'orchestrator:lease:expired'; ref: AttemptRef; owner: string };
