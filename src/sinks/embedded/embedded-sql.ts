/**
 * The SQLite statements of the embedded sink and the conversion of values to and from SQLite's
 * storage classes. Tables are STRICT (SQLite itself refuses a value of the wrong storage class)
 * and WITHOUT ROWID (rows live in key order, and key columns cannot be NULL).
 *
 * Storage: text and json as TEXT (json stringified), integer and bigint as INTEGER, double as REAL,
 * boolean as INTEGER 0/1, timestamp as INTEGER milliseconds since the epoch (exact, and orders as
 * time does).
 */
import type { SQLInputValue, SQLOutputValue } from 'node:sqlite';
import type { ColumnType, Row, TableSpec } from '../sink.ts';
import { fromInt64 } from '../rows.ts';
import { POSITIONS_TABLE, columnType, orderedColumns, quote } from '../table-spec.ts';

export const STORAGE: Readonly<Record<ColumnType, string>> = {
  text: 'TEXT',
  integer: 'INTEGER',
  bigint: 'INTEGER',
  double: 'REAL',
  boolean: 'INTEGER',
  timestamp: 'INTEGER',
  json: 'TEXT',
};

export function createTableSql(spec: TableSpec): string {
  const columns = orderedColumns(spec).map((column) => `${quote(column)} ${STORAGE[columnType(spec, column)]}${spec.key.includes(column) ? ' NOT NULL' : ''}`);
  return `CREATE TABLE IF NOT EXISTS ${quote(spec.name)} (${columns.join(', ')}, PRIMARY KEY (${spec.key.map(quote).join(', ')})) STRICT, WITHOUT ROWID`;
}

export const createPositionsSql = `CREATE TABLE IF NOT EXISTS ${POSITIONS_TABLE} (
  job TEXT NOT NULL, tbl TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
  PRIMARY KEY (job, tbl, topic, partition)) STRICT, WITHOUT ROWID`;

/** One row in, replacing the row with the same key: every non-key column takes the new value. */
export function upsertSql(spec: TableSpec): string {
  const columns = orderedColumns(spec);
  const others = columns.filter((column) => !spec.key.includes(column));
  const onConflict = others.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${others.map((c) => `${quote(c)} = excluded.${quote(c)}`).join(', ')}`;
  return `INSERT INTO ${quote(spec.name)} (${columns.map(quote).join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ON CONFLICT (${spec.key.map(quote).join(', ')}) ${onConflict}`;
}

/** One row out by its key; binds the key columns in key order. */
export function deleteSql(spec: TableSpec): string {
  return `DELETE FROM ${quote(spec.name)} WHERE ${spec.key.map((c) => `${quote(c)} = ?`).join(' AND ')}`;
}

export const savePositionSql = `INSERT INTO ${POSITIONS_TABLE} (job, tbl, topic, partition, next_offset) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (job, tbl, topic, partition) DO UPDATE SET next_offset = excluded.next_offset`;

export const readPositionsSql = `SELECT topic, partition, next_offset FROM ${POSITIONS_TABLE} WHERE job = ? AND tbl = ? ORDER BY topic, partition`;

export function scanSql(spec: TableSpec): string {
  return `SELECT ${orderedColumns(spec).map(quote).join(', ')} FROM ${quote(spec.name)} ORDER BY ${spec.key.map(quote).join(', ')}`;
}

export const tableInfoSql = 'SELECT name, type, pk FROM pragma_table_info(?)';

/** A checked value as the bind parameter SQLite stores. Integers bind as int64, never as doubles. */
export function toSqlite(type: ColumnType, value: unknown): SQLInputValue {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'integer':
    case 'bigint':
      return BigInt(value as number | bigint);
    case 'boolean':
      return value ? 1n : 0n;
    case 'timestamp':
      return BigInt((value as Date).getTime());
    case 'json':
      return JSON.stringify(value);
    case 'double':
      return value as number;
    case 'text':
      return value as string;
  }
}

/** A stored value back as the JS value that was written; statements read integers as bigints. */
export function fromSqlite(type: ColumnType, value: SQLOutputValue): unknown {
  if (value === null) return null;
  switch (type) {
    case 'integer':
    case 'double':
      return Number(value);
    case 'bigint':
      return fromInt64(value as bigint);
    case 'boolean':
      return value === 1n || value === 1;
    case 'timestamp':
      return new Date(Number(value));
    case 'json':
      return JSON.parse(value as string) as unknown;
    case 'text':
      return value;
  }
}

export function rowToSqlite(spec: TableSpec, columns: readonly string[], row: Row): SQLInputValue[] {
  return columns.map((column) => toSqlite(columnType(spec, column), row[column]));
}

export function rowFromSqlite(spec: TableSpec, columns: readonly string[], stored: Record<string, SQLOutputValue>): Row {
  const row: Record<string, unknown> = {};
  for (const column of columns) row[column] = fromSqlite(columnType(spec, column), stored[column] ?? null);
  return row;
}
