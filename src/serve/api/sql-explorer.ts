/**
 * The SQL explorer's engine: one `SELECT` at a time over the lake's tables, on a DuckDB instance of
 * its own that can reach nothing else.
 *
 * Each query gets a fresh in-memory DuckDB instance (so nothing one query sets or creates outlives
 * it, and the lake's catalog is held only while a query runs, never in the way of a batch run) that:
 * 1. attaches the lake's catalog READ_ONLY (writes into lake tables fail);
 * 2. then turns `enable_external_access` off, with only the lake's data directory allowed (no
 *    `read_csv('/etc/passwd')`, no ATTACH of another file, no INSTALL/LOAD), no extension autoload,
 *    a memory limit and one thread, and locks the configuration (`SET` and `PRAGMA` fail after it);
 * 3. refuses before running anything: more than one statement, a query past `maxSqlChars`, and any
 *    statement that is not a `SELECT` (DuckDB's own parse, not a regular expression);
 * 4. interrupts the query at `timeoutMs`, and reads at most `maxRows` rows of its result.
 *
 * With a `RealtimeSource`, the serving layer's real-time views are readable too, as
 * `realtime.<view>` (copies made for the query, realtime-tables.ts), and listed for completion.
 *
 * Errors: SQL_REFUSED (refused before running), SQL_FAILED (DuckDB's error, first line),
 * SQL_TIMEOUT; LAKE_UNAVAILABLE when the catalog cannot be attached (retryable: a batch run may hold it).
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { TributaryError } from '../../errors.ts';
import { attachStatements, dataPathOf, duckSettings, TABLES_ALIAS } from '../../lake/tables/open-tables.ts';
import { firstLine, literal } from '../../lake/tables/sql.ts';
import type { TablesSettings } from '../../lake/tables/tables.ts';
import { loadRealtime, REALTIME_SCHEMA, type RealtimeSource } from './realtime-tables.ts';

export interface SqlLimits {
  maxSqlChars: number;
  maxRows: number;
  timeoutMs: number;
  memoryLimit: string;
}

export const DEFAULT_SQL_LIMITS: SqlLimits = { maxSqlChars: 20_000, maxRows: 10_000, timeoutMs: 15_000, memoryLimit: '512MB' };

export type SqlCell = string | number | boolean | null | SqlCell[] | { [key: string]: SqlCell };

export interface SqlResult {
  columns: Array<{ name: string; type: string }>;
  rows: SqlCell[][];
  /** More rows than `maxRows`: only the first `maxRows` are here. */
  truncated: boolean;
  elapsedMs: number;
}

export interface SqlTable {
  schema: string;
  name: string;
  columns: Array<{ name: string; type: string }>;
}

export interface SqlExplorer {
  run(sql: string): Promise<SqlResult>;
  /** The tables and columns a query can read, for completion. */
  tables(): Promise<SqlTable[]>;
}

const refused = (message: string) => new TributaryError('SQL_REFUSED', message);

/** One SELECT, or why not, decided by DuckDB's parser on the locked connection. */
async function checkStatement(connection: DuckDBConnection, sql: string, limits: SqlLimits) {
  if (sql.length > limits.maxSqlChars) throw refused(`the query is ${sql.length} characters long; the limit is ${limits.maxSqlChars}`);
  if (sql.trim() === '') throw refused('the query is empty: send one SELECT');
  let extracted;
  try {
    extracted = await connection.extractStatements(sql);
  } catch (error) {
    throw new TributaryError('SQL_FAILED', `the query does not parse: ${firstLine(error)}`, { cause: error });
  }
  if (extracted.count !== 1) throw refused(`the query holds ${extracted.count} statements; send exactly one SELECT`);
  let prepared;
  try {
    prepared = await extracted.prepare(0);
  } catch (error) {
    throw failed(error);
  }
  const { StatementType } = await import('@duckdb/node-api');
  if (prepared.statementType !== StatementType.SELECT) {
    throw refused(`only SELECT may run here; this is a ${StatementType[prepared.statementType] ?? 'statement of another kind'} statement`);
  }
  return prepared;
}

function failed(error: unknown): TributaryError {
  if (error instanceof TributaryError) return error;
  return new TributaryError('SQL_FAILED', firstLine(error), { cause: error });
}

export function toCell(value: unknown): SqlCell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(toCell);
  if (typeof value === 'object') {
    // DuckDB's own values (timestamps, decimals, lists, structs) print as SQL would.
    if (Object.getPrototypeOf(value) !== Object.prototype) return (value as { toString(): string }).toString();
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toCell(v)]));
  }
  return null;
}

/**
 * Runs `use` on a fresh in-memory DuckDB that has the lake's catalog attached READ_ONLY, external
 * access off (only the lake's data directory allowed), no extension autoload, one thread, the
 * memory limit, and its configuration locked; closed afterwards, so the catalog is held only while
 * `use` runs. `prepare` runs before the lock, on the attached lake (to add tables of the instance's
 * own). LAKE_UNAVAILABLE (retryable) when the catalog cannot be attached.
 */
export async function withReadOnlyLake<T>(settings: TablesSettings, memoryLimit: string, use: (connection: DuckDBConnection) => Promise<T>, prepare?: (connection: DuckDBConnection) => Promise<void>): Promise<T> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const duck = await duckSettings(settings);
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(':memory:', { ...duck, threads: '1', memory_limit: memoryLimit });
  } catch (error) {
    throw new TributaryError('LAKE_UNAVAILABLE', `cannot start DuckDB to read the lake: ${firstLine(error)}`, { cause: error, retryable: true });
  }
  const connection = await instance.connect();
  try {
    try {
      const [attach, ...before] = attachStatements(settings).reverse();
      for (const statement of before.reverse()) await connection.run(statement);
      await connection.run(attach!.replace(/\)$/, ', READ_ONLY)'));
    } catch (error) {
      throw new TributaryError('LAKE_UNAVAILABLE', `cannot attach the lake's tables read-only: ${firstLine(error)}`, { cause: error, retryable: true });
    }
    await prepare?.(connection);
    const data = dataPathOf(settings);
    await connection.run(`SET allowed_directories = [${literal(data)}]`);
    await connection.run(`SET enable_external_access = false`);
    await connection.run(`SET autoinstall_known_extensions = false`);
    await connection.run(`SET autoload_known_extensions = false`);
    await connection.run(`SET lock_configuration = true`);
    return await use(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export function sqlExplorer(settings: TablesSettings, limits: SqlLimits = DEFAULT_SQL_LIMITS, realtime?: RealtimeSource): SqlExplorer {
  const withRealtime = async (connection: DuckDBConnection) => {
    if (realtime) await loadRealtime(connection, await realtime());
  };
  // The real-time views are copied in only for a query that names them.
  const withLocked = <T>(use: (connection: DuckDBConnection) => Promise<T>, sql?: string): Promise<T> =>
    withReadOnlyLake(settings, limits.memoryLimit, use, sql === undefined || new RegExp(`\\b${REALTIME_SCHEMA}\\s*\\.`, 'i').test(sql) ? withRealtime : undefined);

  return {
    run: (sql) =>
      withLocked(async (connection) => {
        const started = performance.now();
        const prepared = await checkStatement(connection, sql, limits);
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          connection.interrupt();
        }, limits.timeoutMs);
        try {
          const reader = await prepared.streamAndReadUntil(limits.maxRows + 1);
          const names = reader.columnNames();
          const types = reader.columnTypes().map((t) => t.toString());
          const all = reader.getRows();
          const rows = all.slice(0, limits.maxRows).map((row) => row.map((v) => toCell(v)));
          return { columns: names.map((name, i) => ({ name, type: types[i]! })), rows, truncated: all.length > limits.maxRows || !reader.done, elapsedMs: Math.round(performance.now() - started) };
        } catch (error) {
          if (timedOut) throw new TributaryError('SQL_TIMEOUT', `the query ran past its limit of ${limits.timeoutMs} ms and was stopped`, { cause: error });
          throw failed(error);
        } finally {
          clearTimeout(timer);
        }
      }, sql),
    tables: () =>
      withLocked(async (connection) => {
        const reader = await connection.runAndReadAll(
          `SELECT database_name, schema_name, table_name, column_name, data_type FROM duckdb_columns()
           WHERE database_name = ${literal(TABLES_ALIAS)} OR (NOT internal AND schema_name = ${literal(REALTIME_SCHEMA)}) ORDER BY database_name = ${literal(TABLES_ALIAS)} DESC, schema_name, table_name, column_index`,
        );
        const tables = new Map<string, SqlTable>();
        for (const [database, schema, name, column, type] of reader.getRows() as string[][]) {
          const qualified = database === TABLES_ALIAS ? `${TABLES_ALIAS}.${schema}` : schema!;
          const key = `${qualified}.${name}`;
          if (!tables.has(key)) tables.set(key, { schema: qualified, name: name!, columns: [] });
          tables.get(key)!.columns.push({ name: column!, type: type! });
        }
        return [...tables.values()];
      }),
  };
}
