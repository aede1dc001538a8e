/** Runs, newest first, filtered by graph, status and backfill. */
import type { Pool } from 'pg';
import type { RunRecord } from '../../../orchestrator/orchestrator.ts';
import { toOrchRun, type StoredOrchRun } from '../../run-rows.ts';
import type { RunFilter } from '../../run-store.ts';

export async function listRuns(pool: Pool, s: string, filter: RunFilter): Promise<RunRecord[]> {
  const result = await pool.query<StoredOrchRun>(
    `SELECT * FROM ${s}.tributary_orch_runs
     WHERE ($1::text IS NULL OR graph = $1) AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR backfill = $3)
     ORDER BY created_ms DESC, run_id DESC LIMIT $4 OFFSET $5`,
    [filter.graph ?? null, filter.status ?? null, filter.backfill ?? null, filter.limit ?? 100, filter.offset ?? 0],
  );
  return result.rows.map(toOrchRun);
}
