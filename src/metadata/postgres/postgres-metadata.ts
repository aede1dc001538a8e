/**
 * The PostgreSQL metadata store, on node-postgres: the table `tributary_batch_runs` in `<schema>`,
 * created if missing. Values travel as bind parameters only; the
 * schema name, the one identifier in the SQL, is checked against a strict pattern and quoted.
 *
 * A pool of at most two connections; `finishRun` holds one for its transaction.
 */
import type { Pool, PoolClient } from 'pg';
import { TributaryError, isTributaryError } from '../../errors.ts';
import type { MetadataStore, RunFinish, RunRecord, RunStart } from '../metadata.ts';
import { checkFinish, checkStart, notRunning, toRunRecord, type StoredRun } from '../rows.ts';

export interface PostgresMetadataOptions {
  url: string;
  password?: string;
  /** Schema of the tables, created if missing; default public. */
  schema?: string;
  connectTimeoutMs?: number;
}

/** Connection-level failures a later attempt may get past. */
const TRANSIENT = /^(08|53|57P0|40001|40P01)/;

function toMetadataError(error: unknown, operation: string): unknown {
  if (isTributaryError(error)) return error;
  const e = error as { code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(error);
  const code = typeof e.code === 'string' ? e.code : '';
  const retryable = code === '' || code.startsWith('E') || TRANSIENT.test(code);
  return new TributaryError('METADATA_UNAVAILABLE', `postgres metadata: ${operation} failed: ${message}${code ? ` (${code})` : ''}`, { cause: error, retryable });
}

export async function openPostgresMetadataStore(options: PostgresMetadataOptions): Promise<MetadataStore> {
  const schema = options.schema ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new TributaryError('CONFIG_INVALID', `postgres metadata: schema ${JSON.stringify(schema)} must be a lower-case identifier`);
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: options.url,
    max: 2,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    ...(options.password === undefined ? {} : { password: options.password }),
  });
  // An idle client's error (the server went away) must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  const s = `"${schema}"`;
  try {
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await pool.query(`CREATE TABLE IF NOT EXISTS ${s}.tributary_batch_runs (
      run_id text PRIMARY KEY, job text NOT NULL, unit text NOT NULL, status text NOT NULL,
      started_ms bigint NOT NULL, finished_ms bigint,
      rows_read bigint NOT NULL DEFAULT 0, rows_written bigint NOT NULL DEFAULT 0,
      rows_quarantined bigint NOT NULL DEFAULT 0, rows_filtered bigint NOT NULL DEFAULT 0,
      files bigint NOT NULL DEFAULT 0, error text)`);
    await pool.query(`CREATE INDEX IF NOT EXISTS tributary_batch_runs_job ON ${s}.tributary_batch_runs (job, started_ms)`);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw toMetadataError(error, 'open');
  }
  return new PostgresMetadataStore(pool, s);
}

class PostgresMetadataStore implements MetadataStore {
  readonly backend = 'postgres';
  private readonly pool: Pool;
  private readonly s: string;
  private closed = false;

  constructor(pool: Pool, schema: string) {
    this.pool = pool;
    this.s = schema;
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new TributaryError('METADATA_CLOSED', `postgres metadata: ${operation} after close`);
    try {
      return await fn();
    } catch (error) {
      throw toMetadataError(error, operation);
    }
  }

  startRun(run: RunStart): Promise<void> {
    return this.call('startRun', async () => {
      checkStart(run);
      const result = await this.pool.query(
        `INSERT INTO ${this.s}.tributary_batch_runs (run_id, job, unit, status, started_ms) VALUES ($1, $2, $3, 'running', $4) ON CONFLICT (run_id) DO NOTHING`,
        [run.runId, run.job, run.unit, run.started.getTime()],
      );
      if (result.rowCount !== 1) throw new TributaryError('INTERNAL', `metadata: run ${run.runId} has already started`);
    });
  }

  finishRun(runId: string, finish: RunFinish): Promise<void> {
    return this.call('finishRun', async () => {
      checkFinish(runId, finish);
      const client: PoolClient = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const { read, written, quarantined, filtered, files } = finish.counts;
        const updated = await client.query<{ job: string }>(
          `UPDATE ${this.s}.tributary_batch_runs SET status = $2, finished_ms = $3, rows_read = $4, rows_written = $5, rows_quarantined = $6, rows_filtered = $7, files = $8, error = $9
           WHERE run_id = $1 AND status = 'running' RETURNING job`,
          [runId, finish.status, finish.finished.getTime(), read, written, quarantined, filtered, files, finish.error ?? null],
        );
        if (updated.rows[0]?.job === undefined) throw notRunning(runId);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    });
  }

  failRunning(job: string, finished: Date, error: string): Promise<string[]> {
    return this.call('failRunning', async () => {
      const result = await this.pool.query<{ run_id: string }>(
        `UPDATE ${this.s}.tributary_batch_runs SET status = 'failed', finished_ms = $2, error = $3 WHERE job = $1 AND status = 'running' RETURNING run_id`,
        [job, finished.getTime(), error],
      );
      return result.rows.map((row) => row.run_id).sort();
    });
  }

  runs(job: string, options: { limit?: number } = {}): Promise<RunRecord[]> {
    return this.call('runs', async () => {
      const result = await this.pool.query<StoredRun>(`SELECT * FROM ${this.s}.tributary_batch_runs WHERE job = $1 ORDER BY started_ms DESC, run_id DESC LIMIT $2`, [job, options.limit ?? 100]);
      return result.rows.map(toRunRecord);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
