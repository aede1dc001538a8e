/**
 * Checking a TableSpec once, when a sink is created, and quoting its names for SQL and CQL.
 * Names never come from anywhere but a checked spec (or a checked option such as a schema or a
 * keyspace), so quoting a name is enough to put it into a statement; values always travel as bind
 * parameters.
 */
import { TributaryError } from '../errors.ts';
import type { ColumnType, TableSpec } from './sink.ts';

export const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** The bookkeeping table of the exactly-once sinks; a spec may not take its name. */
export const POSITIONS_TABLE = 'tributary_sink_positions';

const COLUMN_TYPES: ReadonlySet<string> = new Set<ColumnType>(['text', 'integer', 'bigint', 'double', 'boolean', 'timestamp', 'json']);

/**
 * Throws SINK_REJECTED unless `name` is a lower-case identifier of at most `maxLength` characters.
 * `maxLength` is the store's own limit: PostgreSQL silently truncates names past 63 bytes, which
 * would make two long names collide, and Cassandra refuses table names past 48.
 */
export function checkIdentifier(name: string, what: string, maxLength: number): void {
  if (typeof name !== 'string' || !IDENTIFIER.test(name) || name.length > maxLength) {
    throw new TributaryError('SINK_REJECTED', `invalid ${what} ${JSON.stringify(name)}: use 1 to ${maxLength} lower-case letters, digits and underscores, not starting with a digit`);
  }
}

/** Double quotes work for PostgreSQL, SQLite and CQL alike; a checked name holds no quote to escape. */
export function quote(name: string): string {
  if (!IDENTIFIER.test(name)) throw new TributaryError('INTERNAL', `refusing to quote unchecked identifier ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/**
 * Throws SINK_REJECTED unless the spec is usable: valid names, known column types, a key of one or
 * more distinct columns of the table, and no json key column (its equality differs between stores).
 */
export function checkTableSpec(spec: TableSpec, maxIdentifierLength: number): void {
  checkIdentifier(spec.name, 'table name', maxIdentifierLength);
  if (spec.name === POSITIONS_TABLE) {
    throw new TributaryError('SINK_REJECTED', `table name ${POSITIONS_TABLE} is reserved for the sinks' own bookkeeping`);
  }
  const columns = Object.entries(spec.columns ?? {});
  if (columns.length === 0) throw new TributaryError('SINK_REJECTED', `table ${spec.name} has no columns`);
  for (const [column, type] of columns) {
    checkIdentifier(column, `column name in table ${spec.name}`, maxIdentifierLength);
    if (!COLUMN_TYPES.has(type)) {
      throw new TributaryError('SINK_REJECTED', `table ${spec.name}, column ${column}: unknown type ${JSON.stringify(type)} (expected one of ${[...COLUMN_TYPES].join(', ')})`);
    }
  }
  // Checked through an unknown copy: Array.isArray would narrow spec.key itself to any[].
  const key: unknown = spec.key;
  if (!Array.isArray(key) || key.length === 0) throw new TributaryError('SINK_REJECTED', `table ${spec.name} has no key columns`);
  if (new Set(spec.key).size !== spec.key.length) throw new TributaryError('SINK_REJECTED', `table ${spec.name} lists a key column twice`);
  for (const column of spec.key) {
    const type = spec.columns[column];
    if (type === undefined) throw new TributaryError('SINK_REJECTED', `table ${spec.name}: key column ${column} is not one of its columns`);
    if (type === 'json') throw new TributaryError('SINK_REJECTED', `table ${spec.name}: key column ${column} cannot be of type json`);
  }
}

/** The spec's columns, key columns first (in key order), then the others in spec order. */
export function orderedColumns(spec: TableSpec): string[] {
  return [...spec.key, ...Object.keys(spec.columns).filter((column) => !spec.key.includes(column))];
}

/** The column's type; the spec was checked, so every name the caller passes is in it. */
export function columnType(spec: TableSpec, column: string): ColumnType {
  const type = spec.columns[column];
  if (type === undefined) throw new TributaryError('INTERNAL', `table ${spec.name} has no column ${column}`);
  return type;
}

/** Throws INTERNAL without a job name: positions are stored per job, so a sink cannot work without one. */
export function checkContext(sink: string, ctx: { job: string }): void {
  if (typeof ctx?.job !== 'string' || ctx.job === '') throw new TributaryError('INTERNAL', `${sink} sink: the sink context needs a job name`);
}
