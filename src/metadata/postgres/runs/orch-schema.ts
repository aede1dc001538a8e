/** The run store's tables in PostgreSQL, created if missing (in one transaction, under a lock, so two processes starting at once do not race). */
import type { Pool } from 'pg';

export async function migrateRunTables(pool: Pool, s: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${s}:orch:migrate`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.tributary_orch_runs (
      run_id text PRIMARY KEY, graph text NOT NULL, run_key text NOT NULL, trigger text NOT NULL, status text NOT NULL,
      logical_ms bigint, interval_start_ms bigint, interval_end_ms bigint, partition_key text, params text NOT NULL,
      backfill text, created_ms bigint NOT NULL, started_ms bigint, finished_ms bigint, UNIQUE (graph, run_key))`);
    await client.query(`CREATE INDEX IF NOT EXISTS tributary_orch_runs_graph_status ON ${s}.tributary_orch_runs (graph, status, logical_ms)`);
    await client.query(`CREATE INDEX IF NOT EXISTS tributary_orch_runs_created ON ${s}.tributary_orch_runs (created_ms)`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.tributary_orch_tasks (
      run_id text NOT NULL, task_id text NOT NULL, status text NOT NULL, attempt integer NOT NULL, retry_from integer NOT NULL,
      upstream text NOT NULL, pool text, run_at_ms bigint, lease_owner text, lease_expires_ms bigint,
      started_ms bigint, finished_ms bigint, output text, error_code text, error_message text, PRIMARY KEY (run_id, task_id))`);
    await client.query(`CREATE INDEX IF NOT EXISTS tributary_orch_tasks_running ON ${s}.tributary_orch_tasks (lease_expires_ms) WHERE status = 'running'`);
    await client.query(`CREATE INDEX IF NOT EXISTS tributary_orch_tasks_queued ON ${s}.tributary_orch_tasks (run_at_ms) WHERE status = 'queued'`);
    await client.query(`CREATE INDEX IF NOT EXISTS tributary_orch_tasks_pool ON ${s}.tributary_orch_tasks (pool) WHERE status = 'running' AND pool IS NOT NULL`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.tributary_orch_attempts (
      run_id text NOT NULL, task_id text NOT NULL, attempt integer NOT NULL, status text NOT NULL, worker text NOT NULL,
      started_ms bigint NOT NULL, finished_ms bigint, error_code text, error_message text, logs text NOT NULL, output text,
      PRIMARY KEY (run_id, task_id, attempt))`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
