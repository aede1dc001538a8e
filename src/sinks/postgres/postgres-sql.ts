/**
 * The statements of the PostgreSQL sink. Names are checked and quoted (table-spec.ts); every value
 * is a bind parameter or travels through COPY.
 *
 * A write stages its rows with COPY in a temporary table that lives as long as the connection and
 * empties itself at each commit (ON COMMIT DELETE ROWS: no catalog churn per write, unlike a
 * temporary table created and dropped per transaction), then upserts the last staged row per key.
 * Its deletes go first, as one statement: one array parameter per key column, unnested into rows.
 */
import type { ColumnType, Row, TableSpec } from '../sink.ts';
import { POSITIONS_TABLE, columnType, orderedColumns, quote } from '../table-spec.ts';

export const PG_TYPES: Readonly<Record<ColumnType, string>> = {
  text: 'text',
  integer: 'integer',
  bigint: 'bigint',
  double: 'double precision',
  boolean: 'boolean',
  timestamp: 'timestamptz',
  json: 'jsonb',
};

/** How information_schema.columns.data_type names each type. */
export const PG_DATA_TYPES: Readonly<Record<ColumnType, string>> = { ...PG_TYPES, timestamp: 'timestamp with time zone' };

const STAGING = 'pg_temp.tributary_staging';
/** The staging table's row index column: quoted with a '#', so no checked column name can take it. */
const SEQ = '"tributary#seq"';

export interface PostgresStatements {
  createTable: string;
  createPositions: string;
  createStaging: string;
  copy: string;
  upsert: string;
  /** Binds one array per key column (`deleteParams`). */
  delete: string;
  savePositions: string;
  readPositions: string;
  scan: string;
}

export function postgresStatements(schema: string, spec: TableSpec): PostgresStatements {
  const table = `${quote(schema)}.${quote(spec.name)}`;
  const positions = `${quote(schema)}.${POSITIONS_TABLE}`;
  const columns = orderedColumns(spec);
  const list = columns.map(quote).join(', ');
  const key = spec.key.map(quote).join(', ');
  const others = columns.filter((column) => !spec.key.includes(column));
  const typed = columns.map((column) => `${quote(column)} ${PG_TYPES[columnType(spec, column)]}`);
  const onConflict = others.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${others.map((c) => `${quote(c)} = EXCLUDED.${quote(c)}`).join(', ')}`;
  // Text keys in byte order, as the other sinks order them, whatever the database's collation.
  const order = spec.key.map((column) => (columnType(spec, column) === 'text' ? `${quote(column)} COLLATE "C"` : quote(column))).join(', ');
  // Timestamps leave as milliseconds since the epoch, so reading them back does not depend on the session's TimeZone or DateStyle.
  const select = columns.map((column) => (columnType(spec, column) === 'timestamp' ? `(extract(epoch FROM ${quote(column)}) * 1000)::bigint AS ${quote(column)}` : quote(column))).join(', ');
  return {
    createTable: `CREATE TABLE IF NOT EXISTS ${table} (${typed.join(', ')}, PRIMARY KEY (${key}))`,
    createPositions: `CREATE TABLE IF NOT EXISTS ${positions} (job text NOT NULL, tbl text NOT NULL, topic text NOT NULL, "partition" integer NOT NULL, next_offset bigint NOT NULL, PRIMARY KEY (job, tbl, topic, "partition"))`,
    createStaging: `CREATE TEMP TABLE IF NOT EXISTS tributary_staging (${SEQ} integer NOT NULL, ${typed.join(', ')}) ON COMMIT DELETE ROWS`,
    copy: `COPY ${STAGING} (${SEQ}, ${list}) FROM STDIN`,
    upsert: `INSERT INTO ${table} (${list}) SELECT DISTINCT ON (${key}) ${list} FROM ${STAGING} ORDER BY ${key}, ${SEQ} DESC ON CONFLICT (${key}) ${onConflict}`,
    delete: `DELETE FROM ${table} WHERE (${key}) IN (SELECT * FROM unnest(${spec.key.map((column, i) => `$${i + 1}::${PG_TYPES[columnType(spec, column)]}[]`).join(', ')}))`,
    savePositions: `INSERT INTO ${positions} (job, tbl, topic, "partition", next_offset)
      SELECT $1, $2, p.topic, p.part, p.next_offset FROM unnest($3::text[], $4::integer[], $5::bigint[]) AS p(topic, part, next_offset)
      ON CONFLICT (job, tbl, topic, "partition") DO UPDATE SET next_offset = EXCLUDED.next_offset`,
    readPositions: `SELECT topic, "partition", next_offset FROM ${positions} WHERE job = $1 AND tbl = $2 ORDER BY topic, "partition"`,
    scan: `SELECT ${select} FROM ${table} ORDER BY ${order}`,
  };
}

export const schemaExistsSql = 'SELECT 1 FROM pg_namespace WHERE nspname = $1';

export const tableColumnsSql = 'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2';

export const primaryKeySql = `SELECT k.column_name FROM information_schema.table_constraints c
  JOIN information_schema.key_column_usage k ON k.constraint_schema = c.constraint_schema AND k.constraint_name = c.constraint_name AND k.table_name = c.table_name
  WHERE c.table_schema = $1 AND c.table_name = $2 AND c.constraint_type = 'PRIMARY KEY' ORDER BY k.ordinal_position`;

/**
 * The delete statement's parameters: per key column, the checked values as the text PostgreSQL
 * reads for its type (node-postgres quotes each element of the array literal).
 */
export function deleteParams(spec: TableSpec, deletes: readonly Row[]): string[][] {
  return spec.key.map((column) => {
    const type = columnType(spec, column);
    return deletes.map((key) => keyText(type, key[column]));
  });
}

function keyText(type: ColumnType, value: unknown): string {
  switch (type) {
    case 'boolean':
      return value ? 't' : 'f';
    case 'timestamp':
      return (value as Date).toISOString();
    case 'text':
      return value as string;
    default:
      // integer, bigint, double (a key is never json): the shortest text that reads back as the same number.
      return (value as number | bigint).toString();
  }
}
