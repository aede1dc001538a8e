/**
 * The serving layer's real-time views in the SQL explorer: the rows each view answers now (a stream
 * job's table: at most 10,000, as `GET /query/<view>?limit=10000` has them) are copied into tables
 * `realtime.<view>` of the explorer's own in-memory DuckDB before its configuration is locked, so a
 * SELECT can read and join them with the lake's tables. They are copies for that one query: nothing
 * a query does reaches the sinks.
 *
 * Column types are taken from the values: whole numbers BIGINT, other numbers DOUBLE, true/false
 * BOOLEAN, anything else VARCHAR. A view that needs parameters, or that fails, is left out.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { ident } from '../../lake/tables/sql.ts';
import type { Cell, MergedView } from '../query/view.ts';

export const REALTIME_SCHEMA = 'realtime';
/** Rows of one view copied at most. */
export const MAX_REALTIME_ROWS = 10_000;

export interface RealtimeTable {
  name: string;
  columns: string[];
  rows: Record<string, Cell>[];
}

/** What the explorer reads the real-time views from. */
export type RealtimeSource = () => Promise<RealtimeTable[]>;

export function viewsSource(views: () => readonly MergedView[]): RealtimeSource {
  return async () => {
    const tables: RealtimeTable[] = [];
    for (const view of views()) {
      const params = view.params.safeParse({ limit: String(MAX_REALTIME_ROWS) }).success ? { limit: String(MAX_REALTIME_ROWS) } : {};
      if (!view.params.safeParse(params).success) continue;
      try {
        const result = await view.run(params);
        tables.push({ name: view.name, columns: result.columns, rows: result.rows.slice(0, MAX_REALTIME_ROWS) });
      } catch {
        // A view that cannot answer now is not in this query.
      }
    }
    return tables;
  };
}

type ColumnType = 'BIGINT' | 'DOUBLE' | 'BOOLEAN' | 'VARCHAR';

function typeOf(values: Cell[]): ColumnType {
  const present = values.filter((v) => v !== null);
  if (present.length > 0 && present.every((v) => typeof v === 'boolean')) return 'BOOLEAN';
  if (present.length > 0 && present.every((v) => typeof v === 'number' && Number.isSafeInteger(v))) return 'BIGINT';
  if (present.length > 0 && present.every((v) => typeof v === 'number')) return 'DOUBLE';
  return 'VARCHAR';
}

/** Creates `realtime.<view>` for each table, with its rows. */
export async function loadRealtime(connection: DuckDBConnection, tables: readonly RealtimeTable[]): Promise<void> {
  await connection.run(`CREATE SCHEMA IF NOT EXISTS ${ident(REALTIME_SCHEMA)}`);
  for (const table of tables) {
    const types = table.columns.map((c) => typeOf(table.rows.map((r) => r[c] ?? null)));
    await connection.run(`CREATE TABLE ${ident(REALTIME_SCHEMA)}.${ident(table.name)} (${table.columns.map((c, i) => `${ident(c)} ${types[i]}`).join(', ')})`);
    const appender = await connection.createAppender(table.name, REALTIME_SCHEMA);
    try {
      for (const row of table.rows) {
        table.columns.forEach((c, i) => {
          const v = row[c] ?? null;
          if (v === null) appender.appendNull();
          else if (types[i] === 'BOOLEAN') appender.appendBoolean(v as boolean);
          else if (types[i] === 'BIGINT') appender.appendBigInt(BigInt(v));
          else if (types[i] === 'DOUBLE') appender.appendDouble(v as number);
          else appender.appendVarchar(String(v));
        });
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }
}
