/** Insert runs and their pending tasks in one statement per batch; a key the graph already has inserts nothing. */
import type { Pool } from 'pg';
import type { RunRecord } from '../../../orchestrator/orchestrator.ts';
import type { NewRun } from '../../run-store.ts';

const BATCH = 5000;

export async function createRuns(pool: Pool, s: string, runs: readonly NewRun[]): Promise<RunRecord[]> {
  const created: RunRecord[] = [];
  for (let i = 0; i < runs.length; i += BATCH) created.push(...(await createBatch(pool, s, runs.slice(i, i + BATCH))));
  return created;
}

async function createBatch(pool: Pool, s: string, runs: readonly NewRun[]): Promise<RunRecord[]> {
  const col = <T>(pick: (run: NewRun) => T) => runs.map(pick);
  const tasks = runs.flatMap((run) => run.tasks.map((t) => ({ runId: run.runId, ...t })));
  const result = await pool.query<{ run_id: string }>(
    `WITH r AS (
       INSERT INTO ${s}.tributary_orch_runs (run_id, graph, run_key, trigger, status, logical_ms, interval_start_ms, interval_end_ms, partition_key, params, backfill, created_ms)
       SELECT x.run_id, x.graph, x.run_key, x.trigger, 'queued', x.logical_ms, x.interval_start_ms, x.interval_end_ms, x.partition_key, x.params, x.backfill, x.created_ms
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::text[], $11::bigint[])
         AS x(run_id, graph, run_key, trigger, logical_ms, interval_start_ms, interval_end_ms, partition_key, params, backfill, created_ms)
       ON CONFLICT (graph, run_key) DO NOTHING RETURNING run_id
     ), t AS (
       INSERT INTO ${s}.tributary_orch_tasks (run_id, task_id, status, attempt, retry_from, upstream, pool)
       SELECT x.run_id, x.task_id, 'pending', 0, 1, x.upstream, x.pool
       FROM unnest($12::text[], $13::text[], $14::text[], $15::text[]) AS x(run_id, task_id, upstream, pool) JOIN r USING (run_id)
     )
     SELECT run_id FROM r`,
    [
      col((r) => r.runId), col((r) => r.graph), col((r) => r.key), col((r) => r.trigger), col((r) => r.logicalDate?.getTime() ?? null),
      col((r) => r.interval?.start.getTime() ?? null), col((r) => r.interval?.end.getTime() ?? null), col((r) => r.partition ?? null),
      col((r) => JSON.stringify(r.params)), col((r) => r.backfill ?? null), col((r) => r.created.getTime()),
      tasks.map((t) => t.runId), tasks.map((t) => t.taskId), tasks.map((t) => JSON.stringify(t.upstream)), tasks.map((t) => t.pool ?? null),
    ],
  );
  const ids = new Set(result.rows.map((row) => row.run_id));
  return runs.filter((run) => ids.has(run.runId)).map(({ tasks: _tasks, ...run }) => ({ ...run, status: 'queued' as const }));
}
