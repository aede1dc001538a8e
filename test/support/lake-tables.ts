/** Reading what a pipeline run left in the lake's tables and the run history, as its config places them. */
import { loadConfig } from '../../src/config/load.ts';
import { openLakeTables, tablesSettings } from '../../src/lake/tables/open-tables.ts';
import { query } from '../../src/lake/tables/sql.ts';
import type { TableZone } from '../../src/lake/tables/tables.ts';
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
