/**
 * The CQL statements of the Cassandra sink and the conversion of values to and from CQL types.
 * The first key column is the partition key, the others clustering columns. json is stored as its
 * JSON text. The client runs with `useBigIntAsLong`, so bigint columns take and give JS bigints.
 */
import type { ColumnType, Row, TableSpec } from '../sink.ts';
import { fromInt64 } from '../rows.ts';
import { columnType, orderedColumns, quote } from '../table-spec.ts';

export const CQL_TYPES: Readonly<Record<ColumnType, string>> = {
  text: 'text',
  integer: 'int',
  bigint: 'bigint',
  double: 'double',
  boolean: 'boolean',
  timestamp: 'timestamp',
  json: 'text',
};

export interface CassandraStatements {
  createKeyspace: string;
  createTable: string;
  insert: string;
  /** Binds the key columns in key order. */
  delete: string;
  scan: string;
}

/** The replication map as a CQL literal; its keys and values were checked by checkReplication. */
function replicationLiteral(replication: Readonly<Record<string, string | number>>): string {
  return `{${Object.entries(replication).map(([k, v]) => `'${k}': '${String(v)}'`).join(', ')}}`;
}

export function cassandraStatements(keyspace: string, spec: TableSpec, replication: Readonly<Record<string, string | number>>): CassandraStatements {
  const table = `${quote(keyspace)}.${quote(spec.name)}`;
  const columns = orderedColumns(spec);
  const list = columns.map(quote).join(', ');
  const [partitionKey, ...clustering] = spec.key.map(quote);
  const primaryKey = [`(${partitionKey})`, ...clustering].join(', ');
  return {
    createKeyspace: `CREATE KEYSPACE IF NOT EXISTS ${quote(keyspace)} WITH replication = ${replicationLiteral(replication)}`,
    createTable: `CREATE TABLE IF NOT EXISTS ${table} (${columns.map((c) => `${quote(c)} ${CQL_TYPES[columnType(spec, c)]}`).join(', ')}, PRIMARY KEY (${primaryKey}))`,
    insert: `INSERT INTO ${table} (${list}) VALUES (${columns.map(() => '?').join(', ')})`,
    delete: `DELETE FROM ${table} WHERE ${spec.key.map((c) => `${quote(c)} = ?`).join(' AND ')}`,
    scan: `SELECT ${list} FROM ${table}`,
  };
}

export const tableColumnsCql = 'SELECT column_name, kind, position, type FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?';

/** A checked value as the bind parameter the driver encodes for the column's CQL type. */
export function toCassandra(type: ColumnType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (type === 'bigint') return BigInt(value as number | bigint);
  if (type === 'json') return JSON.stringify(value);
  return value;
}

/** A value the driver decoded back as the JS value that was written. */
export function fromCassandra(type: ColumnType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (type === 'bigint') return fromInt64(value as bigint);
  if (type === 'json') return JSON.parse(value as string) as unknown;
  return value;
}

export function rowToCassandra(spec: TableSpec, columns: readonly string[], row: Row): unknown[] {
  return columns.map((column) => toCassandra(columnType(spec, column), row[column]));
}

/** A rough size of a row's parameters, enough to keep batches well under the server's mutation limit. */
export function estimateBytes(params: readonly unknown[]): number {
  let bytes = 0;
  for (const value of params) bytes += typeof value === 'string' ? Buffer.byteLength(value, 'utf8') + 4 : 12;
  return bytes;
}
