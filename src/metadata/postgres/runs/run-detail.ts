/** One run with its tasks and every attempt (logs included). */
import type { Pool } from 'pg';
import type { RunDetail } from '../../../orchestrator/orchestrator.ts';
import { toOrchAttempt, toOrchRun, toOrchTask, type StoredOrchAttempt, type StoredOrchRun, type StoredOrchTask } from '../../run-rows.ts';

export async function runDetail(pool: Pool, s: string, runId: string): Promise<RunDetail | undefined> {
  const run = await pool.query<StoredOrchRun>(`SELECT * FROM ${s}.tributary_orch_runs WHERE run_id = $1`, [runId]);
  if (!run.rows[0]) return undefined;
  const tasks = await pool.query<StoredOrchTask>(`SELECT * FROM ${s}.tributary_orch_tasks WHERE run_id = $1 ORDER BY started_ms NULLS LAST, task_id`, [runId]);
  const attempts = await pool.query<StoredOrchAttempt>(`SELECT * FROM ${s}.tributary_orch_attempts WHERE run_id = $1 ORDER BY started_ms, task_id, attempt`, [runId]);
  return { run: toOrchRun(run.rows[0]), tasks: tasks.rows.map(toOrchTask), attempts: attempts.rows.map(toOrchAttempt) };
}
