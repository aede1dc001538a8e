/** The newest logical date among a graph's runs of one trigger. */
import type { Pool } from 'pg';
import type { RunTrigger } from '../../../orchestrator/orchestrator.ts';

export async function latestLogical(pool: Pool, s: string, graph: string, trigger: RunTrigger): Promise<number | undefined> {
  const result = await pool.query<{ m: string | null }>(`SELECT max(logical_ms) AS m FROM ${s}.tributary_orch_runs WHERE graph = $1 AND trigger = $2`, [graph, trigger]);
  const m = result.rows[0]?.m;
  return m === null || m === undefined ? undefined : Number(m);
}
