/**
 * What the extract needs of a database, and its drivers (mysql2, pg, node:sqlite in
 * extract-sqlite.ts), each loaded only when used.
 *
 * Values come back JSON-safe and lossless: timestamps as the database's own text (microseconds
 * kept; a JavaScript Date would cut them to milliseconds and break a cursor on `updated_at`), 64-bit
 * integers and decimals as text, binary as base64. Cursor values go back to the database as they came.
 */
import type { RowDataPacket } from 'mysql2';
import { TributaryError } from '../../errors.ts';
import { quoteTable, type Dialect, type TableName } from './extract-sql.ts';

export interface ColumnInfo {
  name: string;
  nullable: boolean;
}

export interface TableInfo {
  columns: ColumnInfo[];
  primaryKey: string[];
}

export type Row = Record<string, unknown>;

export interface ExtractDriver {
  readonly dialect: Dialect;
  /** undefined when the table does not exist. */
  describe(table: TableName): Promise<TableInfo | undefined>;
  query(sql: string, values: readonly unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  url: string;
  password?: string;
}

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR']);

/** A lost or refused connection (retryable), as opposed to an error in the statement. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return error instanceof Error && /Connection terminated|connection is in closed state|Client was closed/i.test(error.message);
  // SQLSTATE class 08: connection exception; 57P0x: the server is shutting down.
  return NETWORK.has(code) || code.startsWith('08') || code.startsWith('57P0');
}

function jsonSafe(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  return value;
}

export function jsonSafeRow(row: Row): Row {
  const out: Row = {};
  for (const [column, value] of Object.entries(row)) out[column] = jsonSafe(value);
  return out;
}

async function connectMysql(options: ConnectOptions): Promise<ExtractDriver> {
  const { default: mysql } = await import('mysql2/promise');
  const connection = await mysql.createConnection({
    uri: options.url,
    ...(options.password === undefined ? {} : { password: options.password }),
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
  return {
    dialect: 'mysql',
    async describe(table) {
      const [columns] = await connection.execute<RowDataPacket[]>(
        `SELECT COLUMN_NAME AS name, IS_NULLABLE AS nullable FROM information_schema.COLUMNS
          WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
        [table.schema ?? null, table.name],
      );
      if (columns.length === 0) return undefined;
      const [key] = await connection.execute<RowDataPacket[]>(
        `SELECT COLUMN_NAME AS name FROM information_schema.KEY_COLUMN_USAGE
          WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION`,
        [table.schema ?? null, table.name],
      );
      return { columns: columns.map((c) => ({ name: String(c.name), nullable: c.nullable === 'YES' })), primaryKey: key.map((k) => String(k.name)) };
    },
    async query(sql, values) {
      const [rows] = await connection.execute<RowDataPacket[]>(sql, values as (string | number | null)[]);
      return rows;
    },
    close: () => connection.end(),
  };
}

async function connectPostgres(options: ConnectOptions): Promise<ExtractDriver> {
  const { default: pg } = await import('pg');
  // timestamp, timestamptz, date, time, timetz, int8: the server's text, not a Date or a lossy number.
  const asText = new Set([1114, 1184, 1082, 1083, 1266, 20]);
  const client = new pg.Client({
    connectionString: options.url,
    ...(options.password === undefined ? {} : { password: options.password }),
    types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (asText.has(oid) ? (value: string) => value : (pg.types.getTypeParser(oid, format) as (value: string) => unknown))) as typeof pg.types.getTypeParser },
  });
  // An idle client whose server goes away emits 'error'; the next query fails and reconnects.
  client.on('error', () => undefined);
  await client.connect();
  return {
    dialect: 'postgres',
    async describe(table) {
      const columns = await client.query<{ name: string; nullable: string }>(
        `SELECT column_name AS name, is_nullable AS nullable FROM information_schema.columns
          WHERE table_schema = COALESCE($1::text, current_schema()) AND table_name = $2 ORDER BY ordinal_position`,
        [table.schema ?? null, table.name],
      );
      if (columns.rows.length === 0) return undefined;
      const key = await client.query<{ name: string }>(
        `SELECT a.attname AS name FROM pg_index i
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
          WHERE i.indrelid = to_regclass($1) AND i.indisprimary
          ORDER BY array_position(i.indkey::int2[], a.attnum)`,
        [quoteTable('postgres', table)],
      );
      return { columns: columns.rows.map((c) => ({ name: c.name, nullable: c.nullable === 'YES' })), primaryKey: key.rows.map((k) => k.name) };
    },
    async query(sql, values) {
      return (await client.query<Row>(sql, values as unknown[])).rows;
    },
    close: () => client.end(),
  };
}

export async function connectDriver(dialect: Dialect, options: ConnectOptions): Promise<ExtractDriver> {
  try {
    if (dialect === 'sqlite') return await (await import('./extract-sqlite.ts')).connectSqlite(options);
    return dialect === 'mysql' ? await connectMysql(options) : await connectPostgres(options);
  } catch (error) {
    const where = options.url.replace(/\/\/[^@/]*@/, '//');
    if (isConnectionError(error)) throw new TributaryError('SOURCE_UNAVAILABLE', `cannot connect to ${dialect} at ${where}: ${(error as Error).message}`, { cause: error });
    throw new TributaryError('SOURCE_INVALID_RESPONSE', `${dialect} at ${where} refused the connection: ${(error as Error).message}`, { cause: error });
  }
}
