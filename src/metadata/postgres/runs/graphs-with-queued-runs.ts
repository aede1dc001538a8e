/** Graphs with runs waiting for a slot, and what is queued and running per graph. */
import type { Pool } from 'pg';
import type { RunActivity } from '../../run-store.ts';

export async function graphsWithQueuedRuns(pool: Pool, s: string): Promise<string[]> {
  const result = await pool.query<{ graph: string }>(`SELECT DISTINCT graph FROM ${s}.tributary_orch_runs WHERE status = 'queued'`);
  return result.rows.map((row) => row.graph);
}

export async function runActivity(pool: Pool, s: string, nowMs: number): Promise<RunActivity> {
  const [runs, tasks] = await Promise.all([
    pool.query<{ graph: string; status: 'queued' | 'running'; n: string }>(
      `SELECT graph, status, count(*) AS n FROM ${s}.tributary_orch_runs WHERE status IN ('queued', 'running') GROUP BY graph, status`,
    ),
    pool.query<{ graph: string; n: string }>(
      `SELECT r.graph, count(*) AS n FROM ${s}.tributary_orch_tasks t JOIN ${s}.tributary_orch_runs r ON r.run_id = t.run_id
        WHERE t.status = 'queued' AND (t.run_at_ms IS NULL OR t.run_at_ms <= $1) GROUP BY r.graph`,
      [nowMs],
    ),
  ]);
  return {
    runs: runs.rows.map((row) => ({ graph: row.graph, status: row.status, count: Number(row.n) })),
    dueTasks: tasks.rows.map((row) => ({ graph: row.graph, count: Number(row.n) })),
  };
}
