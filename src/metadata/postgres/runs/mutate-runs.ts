/** Compare-and-set over runs: lock their rows (in run id order), read them and their tasks, apply what `decide` chose, commit. */
import type { Pool, PoolClient } from 'pg';
import { attemptValues, runValues, taskValues, toOrchRun, toOrchTask, type StoredOrchRun, type StoredOrchTask } from '../../run-rows.ts';
import type { MutateTools, RunSnapshot, RunsMutation } from '../../run-store.ts';

type Decide<T> = (snapshots: ReadonlyMap<string, RunSnapshot>, tools: MutateTools) => Promise<RunsMutation<T>> | RunsMutation<T>;

export async function mutateRuns<T>(pool: Pool, s: string, runIds: readonly string[], decide: Decide<T>, skipLocked = false): Promise<T> {
  const ids = [...new Set(runIds)];
  const client = await pool.connect();
  try {
    // The batch's rows come as arrays (unnest), which the planner guesses at 100 rows whatever their
    // number; left to itself it hash-joins them with a scan of the whole tasks table. Index lookups it is.
    await client.query('BEGIN; SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off');
    // One round trip: the locked runs, each with its tasks as JSON (column names as keys).
    const read = await client.query<{ run: string; tasks: string | null }>(
      `WITH r AS (SELECT * FROM ${s}.tributary_orch_runs WHERE run_id = ANY($1::text[]) ORDER BY run_id FOR UPDATE${skipLocked ? ' SKIP LOCKED' : ''})
       SELECT row_to_json(r)::text AS run, (SELECT json_agg(t ORDER BY t.task_id)::text FROM ${s}.tributary_orch_tasks t WHERE t.run_id = r.run_id) AS tasks FROM r`,
      [ids],
    );
    const snapshots = new Map<string, RunSnapshot>();
    for (const row of read.rows) {
      const run = toOrchRun(JSON.parse(row.run) as StoredOrchRun);
      snapshots.set(run.runId, { run, tasks: row.tasks === null ? [] : (JSON.parse(row.tasks) as StoredOrchTask[]).map(toOrchTask) });
    }
    const missing = ids.filter((id) => !snapshots.has(id));
    const busy = new Set<string>();
    if (skipLocked && missing.length > 0) {
      const exist = await client.query<{ run_id: string }>(`SELECT run_id FROM ${s}.tributary_orch_runs WHERE run_id = ANY($1::text[])`, [missing]);
      for (const row of exist.rows) busy.add(row.run_id);
    }
    const tools: MutateTools = {
      busy,
      async poolRunning(name) {
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${s}:orch:pool:${name}`]);
        const counted = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${s}.tributary_orch_tasks WHERE status = 'running' AND pool = $1`, [name]);
        return Number(counted.rows[0]!.n);
      },
    };
    const mutation = await decide(snapshots, tools);
    await apply(client, s, mutation);
    await client.query('COMMIT');
    return mutation.result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Every change in one statement: the runs, the tasks and the attempts, each from arrays (empty ones change nothing). */
async function apply<T>(client: PoolClient, s: string, mutation: RunsMutation<T>): Promise<void> {
  const runs = (mutation.runs ?? []).map(runValues);
  const tasks = (mutation.tasks ?? []).map(taskValues);
  const attempts = (mutation.attempts ?? []).map(attemptValues);
  if (runs.length + tasks.length + attempts.length === 0) return;
  const columns = (rows: unknown[][], indexes: number[]) => indexes.map((i) => rows.map((values) => values[i]));
  await client.query(
    `WITH r AS (
       UPDATE ${s}.tributary_orch_runs r SET status = x.status, started_ms = x.started_ms, finished_ms = x.finished_ms
       FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS x(run_id, status, started_ms, finished_ms) WHERE r.run_id = x.run_id
       RETURNING 1
     ), t AS (
       UPDATE ${s}.tributary_orch_tasks t SET status = x.status, attempt = x.attempt, retry_from = x.retry_from, run_at_ms = x.run_at_ms,
         lease_owner = x.lease_owner, lease_expires_ms = x.lease_expires_ms, started_ms = x.started_ms, finished_ms = x.finished_ms,
         output = x.output, error_code = x.error_code, error_message = x.error_message
       FROM unnest($5::text[], $6::text[], $7::text[], $8::int[], $9::int[], $10::bigint[], $11::text[], $12::bigint[], $13::bigint[], $14::bigint[], $15::text[], $16::text[], $17::text[])
         AS x(run_id, task_id, status, attempt, retry_from, run_at_ms, lease_owner, lease_expires_ms, started_ms, finished_ms, output, error_code, error_message)
       WHERE t.run_id = x.run_id AND t.task_id = x.task_id
       RETURNING 1
     ), a AS (
       INSERT INTO ${s}.tributary_orch_attempts (run_id, task_id, attempt, status, worker, started_ms, finished_ms, error_code, error_message, logs, output)
       SELECT * FROM unnest($18::text[], $19::text[], $20::int[], $21::text[], $22::text[], $23::bigint[], $24::bigint[], $25::text[], $26::text[], $27::text[], $28::text[])
       ON CONFLICT (run_id, task_id, attempt) DO UPDATE SET status = excluded.status, worker = excluded.worker, started_ms = excluded.started_ms,
         finished_ms = excluded.finished_ms, error_code = excluded.error_code, error_message = excluded.error_message, logs = excluded.logs, output = excluded.output
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM r) AS runs, (SELECT count(*) FROM t) AS tasks, (SELECT count(*) FROM a) AS attempts`,
    [
      // runValues order: run_id (0), status (4), started_ms (12), finished_ms (13)
      ...columns(runs, [0, 4, 12, 13]),
      // taskValues order: run_id, task_id, status, attempt, retry_from, upstream, pool, run_at_ms, lease_owner, lease_expires_ms, started_ms, finished_ms, output, error_code, error_message
      ...columns(tasks, [0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 12, 13, 14]),
      ...columns(attempts, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
    ],
  );
}
