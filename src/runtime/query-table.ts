/**
 * A pipeline context's `queryTable`: one read of a lake table (processed or curated zone) by DuckDB
 * SQL over `t`, with the tables attached for that read only (as a scheduled batch run attaches them),
 * so that a view's batch half and the commands beside `tributary dev` can each attach them in turn.
 */
import type { Config } from '../config/schema.ts';
import type { TableZone } from '../lake/tables/tables.ts';

export async function queryLakeTable(config: Readonly<Config>, cwd: string, zone: TableZone, dataset: string, sql: string): Promise<Record<string, unknown>[]> {
  const { openLakeTables, tablesSettings } = await import('../lake/tables/open-tables.ts');
  const { query } = await import('../lake/tables/sql.ts');
  const tables = await openLakeTables(tablesSettings(config, cwd));
  try {
    if (!(await tables.exists(zone, dataset))) return [];
    const connection = await tables.instance.connect();
    try {
      return await query(connection, `WITH t AS (SELECT * FROM ${tables.relation(zone, dataset)}) ${sql}`);
    } finally {
      connection.closeSync();
    }
  } finally {
    await tables.close();
  }
}
