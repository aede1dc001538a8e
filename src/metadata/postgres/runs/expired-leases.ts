/** Running attempts whose lease ran out. */
import type { Pool } from 'pg';
import type { ExpiredLease } from '../../run-store.ts';

export async function expiredLeases(pool: Pool, s: string, nowMs: number, limit: number): Promise<ExpiredLease[]> {
  const result = await pool.query<{ run_id: string; task_id: string; attempt: number; lease_owner: string; graph: string }>(
    `SELECT t.run_id, t.task_id, t.attempt, t.lease_owner, r.graph FROM ${s}.tributary_orch_tasks t JOIN ${s}.tributary_orch_runs r ON r.run_id = t.run_id
     WHERE t.status = 'running' AND t.lease_expires_ms < $1 LIMIT $2`,
    [nowMs, limit],
  );
  return result.rows.map((row) => ({ ref: { runId: row.run_id, taskId: row.task_id, attempt: Number(row.attempt) }, graph: row.graph, owner: row.lease_owner }));
}
