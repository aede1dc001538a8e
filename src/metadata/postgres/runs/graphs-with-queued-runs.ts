/** Graphs with runs waiting for a slot. */
import type { Pool } from 'pg';

export async function graphsWithQueuedRuns(pool: Pool, s: string): Promise<string[]> {
  const result = await pool.query<{ graph: string }>(`SELECT DISTINCT graph FROM ${s}.tributary_orch_runs WHERE status = 'queued'`);
  return result.rows.map((row) => row.graph);
}
