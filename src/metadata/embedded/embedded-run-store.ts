/**
 * The run store on the embedded SQLite file (node:sqlite), beside the batch history. Calls of this
 * process run one at a time (a promise chain), each mutation in one BEGIN IMMEDIATE transaction, so
 * other processes on the same file wait for the write lock.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { TributaryError, isTributaryError } from '../../errors.ts';
import type { AttemptRef, RunDetail, RunRecord } from '../../orchestrator/orchestrator.ts';
import {
  attemptColumns, attemptValues, newTaskValues, runColumns, runValues, taskColumns, taskValues, toOrchAttempt, toOrchRun, toOrchTask,
  type StoredOrchAttempt, type StoredOrchRun, type StoredOrchTask,
} from '../run-rows.ts';
import { mutateOneRun, type ExpiredLease, type MutateTools, type NewRun, type RunActivity, type RunFilter, type RunMutation, type RunSnapshot, type RunsMutation, type RunStore } from '../run-store.ts';

const schema = [
  `CREATE TABLE IF NOT EXISTS orch_runs (
    run_id TEXT PRIMARY KEY, graph TEXT NOT NULL, run_key TEXT NOT NULL, trigger TEXT NOT NULL, status TEXT NOT NULL,
    logical_ms INTEGER, interval_start_ms INTEGER, interval_end_ms INTEGER, partition_key TEXT, params TEXT NOT NULL,
    backfill TEXT, created_ms INTEGER NOT NULL, started_ms INTEGER, finished_ms INTEGER, UNIQUE (graph, run_key)
  ) STRICT`,
  'CREATE INDEX IF NOT EXISTS orch_runs_graph_status ON orch_runs (graph, status, logical_ms)',
  'CREATE INDEX IF NOT EXISTS orch_runs_created ON orch_runs (created_ms)',
  `CREATE TABLE IF NOT EXISTS orch_tasks (
    run_id TEXT NOT NULL, task_id TEXT NOT NULL, status TEXT NOT NULL, attempt INTEGER NOT NULL, retry_from INTEGER NOT NULL,
    upstream TEXT NOT NULL, pool TEXT, run_at_ms INTEGER, lease_owner TEXT, lease_expires_ms INTEGER,
    started_ms INTEGER, finished_ms INTEGER, output TEXT, error_code TEXT, error_message TEXT, PRIMARY KEY (run_id, task_id)
  ) STRICT, WITHOUT ROWID`,
  'CREATE INDEX IF NOT EXISTS orch_tasks_status ON orch_tasks (status, pool)',
  `CREATE TABLE IF NOT EXISTS orch_attempts (
    run_id TEXT NOT NULL, task_id TEXT NOT NULL, attempt INTEGER NOT NULL, status TEXT NOT NULL, worker TEXT NOT NULL,
    started_ms INTEGER NOT NULL, finished_ms INTEGER, error_code TEXT, error_message TEXT, logs TEXT NOT NULL, output TEXT,
    PRIMARY KEY (run_id, task_id, attempt)
  ) STRICT, WITHOUT ROWID`,
];

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');
const upsertTask = `INSERT OR REPLACE INTO orch_tasks (${taskColumns.join(', ')}) VALUES (${placeholders(taskColumns.length)})`;
const upsertAttempt = `INSERT OR REPLACE INTO orch_attempts (${attemptColumns.join(', ')}) VALUES (${placeholders(attemptColumns.length)})`;
const updateRun = `UPDATE orch_runs SET status = ?, started_ms = ?, finished_ms = ? WHERE run_id = ?`;
/** Pending tasks of running runs whose upstream tasks all succeeded. */
const readyTasks = `SELECT t.run_id, t.task_id, t.attempt FROM orch_tasks t JOIN orch_runs r ON r.run_id = t.run_id
  WHERE t.run_id IN (SELECT value FROM json_each(?)) AND t.status = 'pending' AND r.status = 'running'
  AND (t.upstream = '[]' OR NOT EXISTS (SELECT 1 FROM json_each(t.upstream) u JOIN orch_tasks d ON d.run_id = t.run_id AND d.task_id = u.value WHERE d.status <> 'succeeded'))
  ORDER BY r.logical_ms, r.created_ms, t.run_id, t.task_id`;

function toError(error: unknown, file: string, operation: string): Error {
  if (isTributaryError(error)) return error;
  const e = error as { errcode?: unknown; message?: unknown };
  const primary = typeof e.errcode === 'number' ? e.errcode & 0xff : undefined;
  return new TributaryError('METADATA_UNAVAILABLE', `embedded run store: ${operation} on ${file} failed: ${String(e.message ?? error)}`, { cause: error, retryable: primary === 5 || primary === 6 });
}

export async function openEmbeddedRunStore(options: { file: string; busyTimeoutMs?: number }): Promise<RunStore> {
  const file = options.file === ':memory:' ? options.file : path.resolve(options.file);
  try {
    if (file !== ':memory:') await mkdir(path.dirname(file), { recursive: true });
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(file, { timeout: options.busyTimeoutMs ?? 5000 });
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    for (const statement of schema) db.exec(statement);
    return new EmbeddedRunStore(db, file);
  } catch (error) {
    throw toError(error, file, 'open');
  }
}

class EmbeddedRunStore implements RunStore {
  readonly backend = 'embedded';
  private db: DatabaseSync | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly file: string;

  constructor(db: DatabaseSync, file: string) {
    this.db = db;
    this.file = file;
  }

  /** One call at a time; a transaction left open by a failure is rolled back. */
  private call<T>(operation: string, fn: (db: DatabaseSync) => Promise<T> | T): Promise<T> {
    const next = this.chain.then(async () => {
      const db = this.db;
      if (!db) throw new TributaryError('METADATA_CLOSED', `embedded run store: ${operation} after close (${this.file})`);
      try {
        return await fn(db);
      } catch (error) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw toError(error, this.file, operation);
      }
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  createRuns(runs: readonly NewRun[]): Promise<RunRecord[]> {
    return this.call('createRuns', (db) => {
      const insertRun = db.prepare(`INSERT INTO orch_runs (${runColumns.join(', ')}) VALUES (${placeholders(runColumns.length)}) ON CONFLICT (graph, run_key) DO NOTHING`);
      const insertTask = db.prepare(upsertTask);
      const created: RunRecord[] = [];
      db.exec('BEGIN IMMEDIATE');
      for (const run of runs) {
        const record: RunRecord = { ...run, status: 'queued' };
        if (insertRun.run(...(runValues(record) as SQLInputValue[])).changes !== 1) continue;
        for (const t of run.tasks) insertTask.run(...(newTaskValues(run.runId, t) as SQLInputValue[]));
        const { tasks: _tasks, ...rest } = run;
        created.push({ ...rest, status: 'queued' });
      }
      db.exec('COMMIT');
      return created;
    });
  }

  activateRuns(graph: string, maxActive: number, nowMs: number): Promise<AttemptRef[]> {
    return this.call('activateRuns', (db) => {
      if (!db.prepare(`SELECT 1 FROM orch_runs WHERE graph = ? AND status = 'queued' LIMIT 1`).get(graph)) return [];
      db.exec('BEGIN IMMEDIATE');
      const running = Number(db.prepare(`SELECT count(*) AS n FROM orch_runs WHERE graph = ? AND status = 'running'`).get(graph)!.n);
      const ids = db
        .prepare(`SELECT run_id FROM orch_runs WHERE graph = ? AND status = 'queued' ORDER BY logical_ms, created_ms, run_id LIMIT ?`)
        .all(graph, Math.max(0, maxActive - running))
        .map((row) => row.run_id as string);
      const start = db.prepare(`UPDATE orch_runs SET status = 'running', started_ms = coalesce(started_ms, ?) WHERE run_id = ?`);
      for (const id of ids) start.run(nowMs, id);
      const refs = queueReady(db, ids, nowMs);
      db.exec('COMMIT');
      return refs;
    });
  }

  mutateRun<T>(runId: string, decide: (snapshot: RunSnapshot, tools: MutateTools) => Promise<RunMutation<T>> | RunMutation<T>): Promise<T | undefined> {
    return mutateOneRun(this, runId, decide);
  }

  mutateRuns<T>(runIds: readonly string[], decide: (snapshots: ReadonlyMap<string, RunSnapshot>, tools: MutateTools) => Promise<RunsMutation<T>> | RunsMutation<T>): Promise<T> {
    return this.call('mutateRuns', async (db) => {
      db.exec('BEGIN IMMEDIATE');
      const snapshots = new Map<string, RunSnapshot>();
      const runStatement = db.prepare('SELECT * FROM orch_runs WHERE run_id = ?');
      const taskStatement = db.prepare('SELECT * FROM orch_tasks WHERE run_id = ? ORDER BY task_id');
      for (const runId of new Set(runIds)) {
        const row = runStatement.get(runId);
        if (row) snapshots.set(runId, { run: toOrchRun(row as unknown as StoredOrchRun), tasks: taskStatement.all(runId).map((t) => toOrchTask(t as unknown as StoredOrchTask)) });
      }
      // One writer at a time holds the whole file: nothing is ever busy.
      const tools: MutateTools = {
        busy: new Set(),
        poolRunning: (pool) => Promise.resolve(Number(db.prepare(`SELECT count(*) AS n FROM orch_tasks WHERE status = 'running' AND pool = ?`).get(pool)!.n)),
      };
      const mutation = await decide(snapshots, tools);
      const run = db.prepare(updateRun);
      for (const r of mutation.runs ?? []) run.run(r.status, r.started?.getTime() ?? null, r.finished?.getTime() ?? null, r.runId);
      const task = db.prepare(upsertTask);
      for (const t of mutation.tasks ?? []) task.run(...(taskValues(t) as SQLInputValue[]));
      const attempt = db.prepare(upsertAttempt);
      for (const a of mutation.attempts ?? []) attempt.run(...(attemptValues(a) as SQLInputValue[]));
      db.exec('COMMIT');
      return mutation.result;
    });
  }

  renewLease(ref: AttemptRef, owner: string, expiresMs: number): Promise<boolean> {
    return this.call('renewLease', (db) => {
      const result = db
        .prepare(`UPDATE orch_tasks SET lease_expires_ms = ? WHERE run_id = ? AND task_id = ? AND attempt = ? AND lease_owner = ? AND status = 'running'`)
        .run(expiresMs, ref.runId, ref.taskId, ref.attempt, owner);
      return result.changes === 1;
    });
  }

  expiredLeases(nowMs: number, limit: number): Promise<ExpiredLease[]> {
    return this.call('expiredLeases', (db) =>
      db
        .prepare(`SELECT t.run_id, t.task_id, t.attempt, t.lease_owner, r.graph FROM orch_tasks t JOIN orch_runs r ON r.run_id = t.run_id
          WHERE t.status = 'running' AND t.lease_expires_ms < ? LIMIT ?`)
        .all(nowMs, limit)
        .map((row) => ({ ref: { runId: row.run_id as string, taskId: row.task_id as string, attempt: Number(row.attempt) }, graph: row.graph as string, owner: row.lease_owner as string })),
    );
  }

  staleQueued(beforeMs: number, limit: number): Promise<AttemptRef[]> {
    return this.call('staleQueued', (db) =>
      db
        .prepare(`SELECT run_id, task_id, attempt, run_at_ms FROM orch_tasks WHERE status = 'queued' AND run_at_ms < ? LIMIT ?`)
        .all(beforeMs, limit)
        .map((row) => ({ runId: row.run_id as string, taskId: row.task_id as string, attempt: Number(row.attempt) })),
    );
  }

  graphsWithQueuedRuns(): Promise<string[]> {
    return this.call('graphsWithQueuedRuns', (db) => db.prepare(`SELECT DISTINCT graph FROM orch_runs WHERE status = 'queued'`).all().map((row) => row.graph as string));
  }

  activity(nowMs: number): Promise<RunActivity> {
    return this.call('activity', (db) => ({
      runs: db.prepare(`SELECT graph, status, count(*) AS n FROM orch_runs WHERE status IN ('queued', 'running') GROUP BY graph, status`).all()
        .map((row) => ({ graph: row.graph as string, status: row.status as 'queued' | 'running', count: Number(row.n) })),
      dueTasks: db.prepare(`SELECT r.graph, count(*) AS n FROM orch_tasks t JOIN orch_runs r ON r.run_id = t.run_id
          WHERE t.status = 'queued' AND (t.run_at_ms IS NULL OR t.run_at_ms <= ?) GROUP BY r.graph`).all(nowMs)
        .map((row) => ({ graph: row.graph as string, count: Number(row.n) })),
    }));
  }

  latestLogical(graph: string, trigger: RunRecord['trigger']): Promise<number | undefined> {
    return this.call('latestLogical', (db) => {
      const row = db.prepare('SELECT max(logical_ms) AS m FROM orch_runs WHERE graph = ? AND trigger = ?').get(graph, trigger);
      return row?.m === null || row?.m === undefined ? undefined : Number(row.m);
    });
  }

  listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.call('listRuns', (db) => {
      const where: string[] = [];
      const values: SQLInputValue[] = [];
      for (const [column, value] of [['graph', filter.graph], ['status', filter.status], ['backfill', filter.backfill]] as const) {
        if (value === undefined) continue;
        where.push(`${column} = ?`);
        values.push(value);
      }
      const sql = `SELECT * FROM orch_runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_ms DESC, run_id DESC LIMIT ? OFFSET ?`;
      return db.prepare(sql).all(...values, filter.limit ?? 100, filter.offset ?? 0).map((row) => toOrchRun(row as unknown as StoredOrchRun));
    });
  }

  runDetail(runId: string): Promise<RunDetail | undefined> {
    return this.call('runDetail', (db) => {
      const row = db.prepare('SELECT * FROM orch_runs WHERE run_id = ?').get(runId);
      if (!row) return undefined;
      return {
        run: toOrchRun(row as unknown as StoredOrchRun),
        tasks: db.prepare('SELECT * FROM orch_tasks WHERE run_id = ? ORDER BY started_ms, task_id').all(runId).map((t) => toOrchTask(t as unknown as StoredOrchTask)),
        attempts: db.prepare('SELECT * FROM orch_attempts WHERE run_id = ? ORDER BY started_ms, task_id, attempt').all(runId).map((a) => toOrchAttempt(a as unknown as StoredOrchAttempt)),
      };
    });
  }

  close(): Promise<void> {
    return this.chain.then(() => {
      this.db?.close();
      this.db = undefined;
    });
  }
}

/** Queue the ready tasks of these runs (inside the caller's transaction). */
function queueReady(db: DatabaseSync, runIds: string[], nowMs: number): AttemptRef[] {
  if (runIds.length === 0) return [];
  const ready = db.prepare(readyTasks).all(JSON.stringify(runIds));
  const queue = db.prepare(`UPDATE orch_tasks SET status = 'queued', attempt = attempt + 1, run_at_ms = ? WHERE run_id = ? AND task_id = ?`);
  return ready.map((row) => {
    queue.run(nowMs, row.run_id as string, row.task_id as string);
    return { runId: row.run_id as string, taskId: row.task_id as string, attempt: Number(row.attempt) + 1 };
  });
}
