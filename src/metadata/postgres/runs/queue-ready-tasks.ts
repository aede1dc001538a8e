/** Inside a transaction: queue the pending tasks of these runs whose upstream tasks all succeeded. */
import type { PoolClient } from 'pg';
import type { AttemptRef } from '../../../orchestrator/orchestrator.ts';

export async function queueReadyTasks(client: PoolClient, s: string, runIds: string[], nowMs: number): Promise<AttemptRef[]> {
  if (runIds.length === 0) return [];
  const result = await client.query<{ run_id: string; task_id: string; attempt: number }>(
    `UPDATE ${s}.tributary_orch_tasks t SET status = 'queued', attempt = t.attempt + 1, run_at_ms = $2
     WHERE t.run_id = ANY($1::text[]) AND t.status = 'pending'
       AND (t.upstream = '[]' OR NOT EXISTS (SELECT 1 FROM ${s}.tributary_orch_tasks d
                       WHERE d.run_id = t.run_id AND d.task_id IN (SELECT jsonb_array_elements_text(t.upstream::jsonb)) AND d.status <> 'succeeded'))
     RETURNING t.run_id, t.task_id, t.attempt`,
    [runIds, nowMs],
  );
  // In the order the runs were given (oldest logical date first), as RETURNING has none.
  const rank = new Map(runIds.map((id, i) => [id, i]));
  result.rows.sort((a, b) => rank.get(a.run_id)! - rank.get(b.run_id)! || (a.task_id < b.task_id ? -1 : 1));
  return result.rows.map((row) => ({ runId: row.run_id, taskId: row.task_id, attempt: Number(row.attempt) }));
}
