/**
 * DuckDB for batch jobs: the instance the lake's tables are attached to (tables/open-tables.ts, loaded
 * lazily, so importing the batch layer does not load the native module), one connection per run;
 * DuckDB's errors turned into BATCH_QUERY_FAILED with the statement's first line.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { TributaryError, isTributaryError } from '../errors.ts';
import type { Column } from '../lake/manifest.ts';

export { ident, literal } from '../lake/tables/sql.ts';

export interface DuckOptions {
  /** Worker threads DuckDB may use; default 2 (this project's machines have two cores). */
  threads?: number;
  /** DuckDB's memory_limit, e.g. "2GB"; default DuckDB's (80% of RAM). */
  memoryLimit?: string;
  /** A directory DuckDB may spill to when a query outgrows memory. */
  tempDirectory?: string;
}

/** DuckDB settings for a batch run's instance (given to openLakeTables). */
export function batchSettings(options: DuckOptions = {}): Record<string, string> {
  return {
    threads: String(options.threads ?? 2),
    // A table's rows have no order: without this, DuckDB keeps the insertion order and writes the
    // table's files on one thread.
    preserve_insertion_order: 'false',
    ...(options.memoryLimit ? { memory_limit: options.memoryLimit } : {}),
    ...(options.tempDirectory ? { temp_directory: options.tempDirectory } : {}),
  };
}

/** Runs `sql`, turning a DuckDB error into BATCH_QUERY_FAILED (or `code`) naming `what`. */
export async function exec(connection: DuckDBConnection, sql: string, what: string, code: 'BATCH_QUERY_FAILED' | 'BATCH_INPUT_INVALID' = 'BATCH_QUERY_FAILED'): Promise<void> {
  try {
    await connection.run(sql);
  } catch (error) {
    throw queryError(error, sql, what, code);
  }
}

/** Rows of `sql` as plain JavaScript objects (BIGINT as bigint). */
export async function rows(connection: DuckDBConnection, sql: string, what: string): Promise<Record<string, unknown>[]> {
  try {
    const reader = await connection.runAndReadAll(sql);
    return reader.getRowObjectsJS();
  } catch (error) {
    throw queryError(error, sql, what, 'BATCH_QUERY_FAILED');
  }
}

/** The columns of a relation (a view's name, or a parenthesised SELECT), by DESCRIBE. */
export async function columnsOf(connection: DuckDBConnection, relation: string, what = 'describing the result'): Promise<Column[]> {
  const described = await rows(connection, `DESCRIBE ${relation}`, what);
  return described.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}

export function queryError(error: unknown, sql: string, what: string, code: 'BATCH_QUERY_FAILED' | 'BATCH_INPUT_INVALID'): unknown {
  if (isTributaryError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const first = sql.trim().split('\n')[0]?.slice(0, 160) ?? '';
  return new TributaryError(code, `${what}: ${message.split('\n')[0]} (statement: ${first}${first.length < sql.trim().length ? ' …' : ''})`, { cause: error });
}
