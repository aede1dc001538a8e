/**
 * A pipeline context's `queryTable` and `withTables`: one read of a lake table (processed or curated
 * zone) by DuckDB SQL over `t`, or one use of the lake's tables, with the tables attached for that
 * call only (as a scheduled batch run attaches them), so that a view's batch half and the commands
 * beside `tributary dev` can each attach them in turn.
 */
import type { Config } from '../config/schema.ts';
import { TributaryError } from '../errors.ts';
import type { AsOf, LakeTables, TableZone } from '../lake/tables/tables.ts';

export async function withLakeTables<T>(config: Readonly<Config>, cwd: string, fn: (tables: LakeTables) => Promise<T>): Promise<T> {
  const { openLakeTables, tablesSettings } = await import('../lake/tables/open-tables.ts');
  const tables = await openLakeTables(tablesSettings(config, cwd));
  try {
    return await fn(tables);
  } finally {
    await tables.close();
  }
}

/** With `asOf`, `t` holds the table's rows at that snapshot; LAKE_NOT_FOUND when the table did not exist then. */
export async function queryLakeTable(config: Readonly<Config>, cwd: string, zone: TableZone, dataset: string, sql: string, asOf?: AsOf): Promise<Record<string, unknown>[]> {
  const { query } = await import('../lake/tables/sql.ts');
  return withLakeTables(config, cwd, async (tables) => {
    if (!(await tables.exists(zone, dataset))) {
      if (asOf) throw new TributaryError('LAKE_NOT_FOUND', `No table ${zone}.${dataset} in the lake, so none as of that snapshot`);
      return [];
    }
    // Checks that the table existed at the snapshot (LAKE_NOT_FOUND naming it otherwise).
    if (asOf) await tables.columns(zone, dataset, asOf);
    const connection = await tables.instance.connect();
    try {
      return await query(connection, `WITH t AS (SELECT * FROM ${tables.relation(zone, dataset, asOf)}) ${sql}`);
    } finally {
      connection.closeSync();
    }
  });
}
