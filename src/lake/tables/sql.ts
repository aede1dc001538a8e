/** SQL quoting and DuckDB calls shared by the lake's tables and the batch layer. */
import type { DuckDBConnection } from '@duckdb/node-api';

export const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;
export const literal = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/** Rows of `sql` as plain JavaScript objects (BIGINT as bigint). */
export async function query(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJS();
}

/** A DuckDB error's first line, without the statement echo. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
