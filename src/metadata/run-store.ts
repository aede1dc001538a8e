/**
 * The orchestrator's part of the metadata store: graph runs, their tasks and every task attempt.
 *
 * Glossary: see src/orchestrator/orchestrator.ts (run, task, attempt, lease, key).
 *
 * Lifecycle: `openEmbeddedRunStore` / `openPostgresRunStore` (tables created if missing) → calls → `close()`.
 *
 * Guarantees:
 * - `createRuns` inserts a run and all its tasks, or nothing when the graph already has a run with
 *   that key (unique on graph + key); it returns only the runs it created.
 * - `mutateRun` is a compare-and-set over one run: it reads the run and its tasks under a lock that
 *   every other `mutateRun` of that run waits for, lets `decide` choose the changes, and writes them
 *   in the same transaction. `decide` may ask how many tasks of a pool run now (locked as well).
 * - `activateRuns` moves a graph's oldest queued runs to running while fewer than `maxActive` run,
 *   and queues their ready tasks, in one transaction serialised per graph.
 *
 * Errors: METADATA_UNAVAILABLE (retryable when another try may succeed), METADATA_CLOSED.
 */
import type { AttemptRecord, AttemptRef, JsonValue, RunDetail, RunRecord, RunStatus, TaskRecord } from '../orchestrator/orchestrator.ts';

/** `mutateRun` on top of `mutateRuns`, for stores that implement the latter. */
export async function mutateOneRun<T>(
  store: Pick<RunStore, 'mutateRuns'>,
  runId: string,
  decide: (snapshot: RunSnapshot, tools: MutateTools) => Promise<RunMutation<T>> | RunMutation<T>,
): Promise<T | undefined> {
  return store.mutateRuns([runId], async (snapshots, tools): Promise<RunsMutation<T | undefined>> => {
    const snapshot = snapshots.get(runId);
    if (!snapshot) return { result: undefined };
    const m = await decide(snapshot, tools);
    return { ...(m.run ? { runs: [m.run] } : {}), ...(m.tasks ? { tasks: m.tasks } : {}), ...(m.attempts ? { attempts: m.attempts } : {}), result: m.result };
  });
}

export interface NewRun extends Omit<RunRecord, 'status' | 'started' | 'finished'> {
  tasks: { taskId: string; upstream: string[]; pool?: string }[];
}

export interface RunSnapshot {
  run: RunRecord;
  tasks: TaskRecord[];
}

export interface RunMutation<T> {
  run?: RunRecord;
  /** Changed tasks, whole. */
  tasks?: TaskRecord[];
  /** Attempts to insert or replace, whole. */
  attempts?: AttemptRecord[];
  result: T;
}

/** Changes to many runs at once: whole records of what changed. */
export interface RunsMutation<T> {
  runs?: RunRecord[];
  tasks?: TaskRecord[];
  attempts?: AttemptRecord[];
  result: T;
}

export interface MutateTools {
  /** Tasks of `pool` running now, in any run; the pool stays locked until the mutation commits. */
  poolRunning: (pool: string) => Promise<number>;
  /** With `skipLocked`: runs that exist but another transaction holds; their changes must wait for a later call. */
  busy: ReadonlySet<string>;
}

export interface RunFilter {
  graph?: string;
  status?: RunStatus;
  backfill?: string;
  limit?: number;
  /** Skip this many of the newest first (a page further back). */
  offset?: number;
}

export interface RunActivity {
  runs: Array<{ graph: string; status: 'queued' | 'running'; count: number }>;
  dueTasks: Array<{ graph: string; count: number }>;
}

export interface ExpiredLease {
  ref: AttemptRef;
  graph: string;
  owner: string;
}

export interface RunStore {
  readonly backend: 'embedded' | 'postgres';
  createRuns(runs: readonly NewRun[]): Promise<RunRecord[]>;
  activateRuns(graph: string, maxActive: number, nowMs: number): Promise<AttemptRef[]>;
  /**
   * `mutateRun` over many runs in one transaction (their locks taken in run id order), so a worker
   * records many attempts' starts or ends at once. Runs that do not exist are absent from the map.
   */
  mutateRuns<T>(
    runIds: readonly string[],
    decide: (snapshots: ReadonlyMap<string, RunSnapshot>, tools: MutateTools) => Promise<RunsMutation<T>> | RunsMutation<T>,
    options?: { skipLocked?: boolean },
  ): Promise<T>;
  /** Undefined when the run does not exist. */
  mutateRun<T>(runId: string, decide: (snapshot: RunSnapshot, tools: MutateTools) => Promise<RunMutation<T>> | RunMutation<T>): Promise<T | undefined>;
  /** Extend a running attempt's lease; false when the task is no longer running under this owner and attempt. */
  renewLease(ref: AttemptRef, owner: string, expiresMs: number): Promise<boolean>;
  expiredLeases(nowMs: number, limit: number): Promise<ExpiredLease[]>;
  /** Attempts queued to start before `beforeMs` that have not started: possibly lost by an executor. */
  staleQueued(beforeMs: number, limit: number): Promise<AttemptRef[]>;
  /** Graphs that have queued runs waiting for a slot. */
  graphsWithQueuedRuns(): Promise<string[]>;
  /** Per graph, the runs queued or running and the tasks queued and due by `nowMs` (the queue's depth). */
  activity(nowMs: number): Promise<RunActivity>;
  /** The newest logical date among the graph's runs of this trigger. */
  latestLogical(graph: string, trigger: RunRecord['trigger']): Promise<number | undefined>;
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;
  runDetail(runId: string): Promise<RunDetail | undefined>;
  close(): Promise<void>;
}

export type { JsonValue };
