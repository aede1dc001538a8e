/** Queued attempts that should have started before `beforeMs`: an executor may have lost them. */
import type { Pool } from 'pg';
import type { AttemptRef } from '../../../orchestrator/orchestrator.ts';

export async function staleQueued(pool: Pool, s: string, beforeMs: number, limit: number): Promise<AttemptRef[]> {
  const result = await pool.query<{ run_id: string; task_id: string; attempt: number }>(
    `SELECT run_id, task_id, attempt FROM ${s}.tributary_orch_tasks WHERE status = 'queued' AND run_at_ms < $1 LIMIT $2`,
    [beforeMs, limit],
  );
  return result.rows.map((row) => ({ runId: row.run_id, taskId: row.task_id, attempt: Number(row.attempt) }));
}
