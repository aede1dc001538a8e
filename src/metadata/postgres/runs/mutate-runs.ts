/** Compare-and-set over runs: lock their rows (in run id order), read them and their tasks, apply what `decide` chose, commit. */
import type { Pool, PoolClient } from 'pg';
import { attemptValues, runValues, taskValues, toOrchRun, toOrchTask, type StoredOrchRun, type StoredOrchTask } from '../../run-rows.ts';
import type { MutateTools, RunSnapshot, RunsMutation } from '../../run-store.ts';

type Decide<T> = (snapshots: ReadonlyMap<string, RunSnapshot>, tools: MutateTools) => Promise<RunsMutation<T>> | RunsMutation<T>;

export async function mutateRuns<T>(pool: Pool, s: string, runIds: readonly string[], decide: Decide<T>): Promise<T> {
  const ids = [...new Set(runIds)];
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const runs = await client.query<StoredOrchRun>(`SELECT * FROM ${s}.tributary_orch_runs WHERE run_id = ANY($1::text[]) ORDER BY run_id FOR UPDATE`, [ids]);
    const tasks = await client.query<StoredOrchTask>(`SELECT * FROM ${s}.tributary_orch_tasks WHERE run_id = ANY($1::text[]) ORDER BY run_id, task_id`, [ids]);
    const snapshots = new Map<string, RunSnapshot>(runs.rows.map((row) => [row.run_id, { run: toOrchRun(row), tasks: [] }]));
    for (const row of tasks.rows) snapshots.get(row.run_id)?.tasks.push(toOrchTask(row));
    const tools: MutateTools = {
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

async function apply<T>(client: PoolClient, s: string, mutation: RunsMutation<T>): Promise<void> {
  const runs = (mutation.runs ?? []).map(runValues);
  if (runs.length > 0) {
    // runValues order: run_id ... status (4) ... started_ms (12), finished_ms (13)
    await client.query(
      `UPDATE ${s}.tributary_orch_runs r SET status = x.status, started_ms = x.started_ms, finished_ms = x.finished_ms
       FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS x(run_id, status, started_ms, finished_ms) WHERE r.run_id = x.run_id`,
      [0, 4, 12, 13].map((i) => runs.map((values) => values[i])),
    );
  }
  const tasks = (mutation.tasks ?? []).map(taskValues);
  if (tasks.length > 0) {
    await client.query(
      `UPDATE ${s}.tributary_orch_tasks t SET status = x.status, attempt = x.attempt, retry_from = x.retry_from, run_at_ms = x.run_at_ms,
         lease_owner = x.lease_owner, lease_expires_ms = x.lease_expires_ms, started_ms = x.started_ms, finished_ms = x.finished_ms,
         output = x.output, error_code = x.error_code, error_message = x.error_message
       FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::bigint[], $7::text[], $8::bigint[], $9::bigint[], $10::bigint[], $11::text[], $12::text[], $13::text[])
         AS x(run_id, task_id, status, attempt, retry_from, run_at_ms, lease_owner, lease_expires_ms, started_ms, finished_ms, output, error_code, error_message)
       WHERE t.run_id = x.run_id AND t.task_id = x.task_id`,
      // taskValues order: run_id, task_id, status, attempt, retry_from, upstream, pool, run_at_ms, lease_owner, lease_expires_ms, started_ms, finished_ms, output, error_code, error_message
      [0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 12, 13, 14].map((i) => tasks.map((values) => values[i])),
    );
  }
  const attempts = (mutation.attempts ?? []).map(attemptValues);
  if (attempts.length > 0) {
    await client.query(
      `INSERT INTO ${s}.tributary_orch_attempts (run_id, task_id, attempt, status, worker, started_ms, finished_ms, error_code, error_message, logs, output)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::text[], $11::text[])
       ON CONFLICT (run_id, task_id, attempt) DO UPDATE SET status = excluded.status, worker = excluded.worker, started_ms = excluded.started_ms,
         finished_ms = excluded.finished_ms, error_code = excluded.error_code, error_message = excluded.error_message, logs = excluded.logs, output = excluded.output`,
      attempts[0]!.map((_, i) => attempts.map((values) => values[i])),
    );
  }
}
