/** Extend a running attempt's lease, only while this owner still holds that attempt. */
import type { Pool } from 'pg';
import type { AttemptRef } from '../../../orchestrator/orchestrator.ts';

export async function renewLease(pool: Pool, s: string, ref: AttemptRef, owner: string, expiresMs: number): Promise<boolean> {
  const result = await pool.query(
    `UPDATE ${s}.tributary_orch_tasks SET lease_expires_ms = $5 WHERE run_id = $1 AND task_id = $2 AND attempt = $3 AND lease_owner = $4 AND status = 'running'`,
    [ref.runId, ref.taskId, ref.attempt, owner, expiresMs],
  );
  return result.rowCount === 1;
}
