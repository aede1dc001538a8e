/**
 * Saved dashboards in PostgreSQL: the table `tributary_ui_dashboards` in `<schema>`, created if
 * missing; values as bind parameters, the schema name checked against a strict pattern and quoted.
 */
import type { Pool } from 'pg';
import { TributaryError, isTributaryError } from '../../errors.ts';
import { checkDashboard, toSavedDashboard, type DashboardStore, type StoredDashboard } from '../dashboard-store.ts';

function unavailable(error: unknown, operation: string): unknown {
  if (isTributaryError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TributaryError('METADATA_UNAVAILABLE', `postgres dashboards: ${operation} failed: ${message}`, { cause: error, retryable: true });
}

export async function openPostgresDashboardStore(options: { url: string; password?: string; schema?: string }): Promise<DashboardStore> {
  const schema = options.schema ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new TributaryError('CONFIG_INVALID', `postgres dashboards: schema ${JSON.stringify(schema)} must be a lower-case identifier`);
  const { default: pg } = await import('pg');
  const pool: Pool = new pg.Pool({ connectionString: options.url, max: 2, connectionTimeoutMillis: 10_000, ...(options.password === undefined ? {} : { password: options.password }) });
  pool.on('error', () => undefined);
  const table = `"${schema}".tributary_ui_dashboards`;
  try {
    await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (name text PRIMARY KEY, title text NOT NULL, charts jsonb NOT NULL, updated_ms bigint NOT NULL)`);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw unavailable(error, 'open');
  }
  let closed = false;
  const call = async <T>(operation: string, fn: () => Promise<T>): Promise<T> => {
    if (closed) throw new TributaryError('METADATA_CLOSED', `postgres dashboards: ${operation} after close`);
    try {
      return await fn();
    } catch (error) {
      throw unavailable(error, operation);
    }
  };
  // jsonb comes back parsed: as text again for the one row reader.
  const rows = (r: { rows: Array<Omit<StoredDashboard, 'charts'> & { charts: unknown }> }) => r.rows.map((row) => toSavedDashboard({ ...row, charts: JSON.stringify(row.charts) }));
  return {
    list: () => call('list', async () => rows(await pool.query(`SELECT * FROM ${table} ORDER BY name`))),
    get: (name) => call('get', async () => rows(await pool.query(`SELECT * FROM ${table} WHERE name = $1`, [name]))[0]),
    save: (dashboard, at = new Date()) =>
      call('save', async () => {
        const checked = checkDashboard(dashboard);
        await pool.query(`INSERT INTO ${table} (name, title, charts, updated_ms) VALUES ($1, $2, $3::jsonb, $4) ON CONFLICT (name) DO UPDATE SET title = excluded.title, charts = excluded.charts, updated_ms = excluded.updated_ms`, [checked.name, checked.title, JSON.stringify(checked.charts), at.getTime()]);
        return { ...checked, updated: new Date(at.getTime()) };
      }),
    remove: (name) => call('remove', async () => ((await pool.query(`DELETE FROM ${table} WHERE name = $1`, [name])).rowCount ?? 0) > 0),
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
