/** Start a graph's oldest queued runs while fewer than maxActive run, and queue their ready tasks; serialised per graph by an advisory lock. */
import type { Pool } from 'pg';
import type { AttemptRef } from '../../../orchestrator/orchestrator.ts';
import { queueReadyTasks } from './queue-ready-tasks.ts';

export async function activateRuns(pool: Pool, s: string, graph: string, maxActive: number, nowMs: number): Promise<AttemptRef[]> {
  // Most calls (after each finished run) find nothing queued: answer those without the graph's lock.
  const waiting = await pool.query(`SELECT 1 FROM ${s}.tributary_orch_runs WHERE graph = $1 AND status = 'queued' LIMIT 1`, [graph]);
  if (waiting.rowCount === 0) return [];
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${s}:orch:graph:${graph}`]);
    const started = await client.query<{ run_id: string; logical_ms: string | null; created_ms: string }>(
      `WITH picked AS (
         SELECT run_id FROM ${s}.tributary_orch_runs WHERE graph = $1 AND status = 'queued'
         ORDER BY logical_ms, created_ms, run_id
         LIMIT greatest(0, $2 - (SELECT count(*) FROM ${s}.tributary_orch_runs WHERE graph = $1 AND status = 'running'))
         FOR UPDATE SKIP LOCKED
       )
       UPDATE ${s}.tributary_orch_runs r SET status = 'running', started_ms = coalesce(r.started_ms, $3)
       FROM picked WHERE r.run_id = picked.run_id RETURNING r.run_id, r.logical_ms, r.created_ms`,
      [graph, maxActive, nowMs],
    );
    const order = started.rows.sort((a, b) => Number(a.logical_ms ?? 0) - Number(b.logical_ms ?? 0) || Number(a.created_ms) - Number(b.created_ms));
    const refs = await queueReadyTasks(client, s, order.map((row) => row.run_id), nowMs);
    await client.query('COMMIT');
    return refs;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
