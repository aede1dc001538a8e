/** Reading what a pipeline run left in the lake's tables and the run history, as its config places them. */
import { loadConfig } from '../../src/config/load.ts';
import { openLakeTables, tablesSettings } from '../../src/lake/tables/open-tables.ts';
import { query } from '../../src/lake/tables/sql.ts';
import type { LakeTables, TableZone } from '../../src/lake/tables/tables.ts';
import type { RunRecord } from '../../src/metadata/metadata.ts';
import { openMetadataStore } from '../../src/metadata/open-metadata.ts';

/** Rows of a lake table by SQL over `t`, as the example's config (env) places the tables. */
export async function tableRows(cwd: string, zone: TableZone, dataset: string, sql: string, env: Record<string, string> = {}): Promise<Record<string, unknown>[]> {
  const { config } = await loadConfig({ cwd, env });
  const tables = await openLakeTables(tablesSettings(config, cwd));
  try {
    const c = await tables.instance.connect();
    try {
      return await query(c, `WITH t AS (SELECT * FROM ${tables.relation(zone, dataset)}) ${sql}`);
    } finally {
      c.closeSync();
    }
  } finally {
    await tables.close();
  }
}

/**
 * Attach the lake's tables once, creating the catalog. Several batch jobs attaching a new PostgreSQL
 * catalog at the same moment race to create it (one gets "duplicate key … pg_namespace", and the
 * catalog can be left half made); the example's own schedules never start them together.
 */
export async function createCatalog(cwd: string, env: Record<string, string>): Promise<void> {
  const { config } = await loadConfig({ cwd, env });
  await (await openLakeTables(tablesSettings(config, cwd))).close();
}

export async function batchRuns(cwd: string, job: string, env: Record<string, string> = {}): Promise<RunRecord[]> {
  const { config } = await loadConfig({ cwd, env });
  const metadata = await openMetadataStore(config, { cwd });
  try {
    return await metadata.runs(job, { limit: 1000 });
  } finally {
    await metadata.close();
  }
}

/** The lake's tables of a test's own directory (embedded catalog, files under `<dir>/lake/tables`), attached for each call as the runtime's `ctx.withTables` does. */
export function embeddedTables(dir: string): <T>(fn: (tables: LakeTables) => Promise<T>) => Promise<T> {
  return async (fn) => {
    const tables = await openLakeTables({ catalog: { kind: 'duckdb', file: `${dir}/lake-tables.ducklake` }, data: { kind: 'fs', dir: `${dir}/lake/tables` } });
    try {
      return await fn(tables);
    } finally {
      await tables.close();
    }
  };
}
