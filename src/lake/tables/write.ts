/**
 * Writing a table inside a transaction: create it with its schema and partitioning on first write,
 * evolve its schema (columns are only added, and keep their type), and replace partitions.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { TributaryError } from '../../errors.ts';
import { ident, literal, query } from './sql.ts';
import type { Column, LakeTables, TableZone } from './tables.ts';

export interface TableSpec {
  zone: TableZone;
  dataset: string;
  /** The columns the write brings, in order. */
  columns: readonly Column[];
  /** The partition column (one of `columns`), if the table is partitioned. */
  partitionBy?: string;
  /** Add columns the table lacks; otherwise a write with new columns is refused. */
  evolve: boolean;
}

function describe(columns: readonly Column[]): string {
  return columns.map((c) => `${c.name} ${c.type}`).join(', ') || '(none)';
}

/**
 * Creates the table, or checks (and with `evolve`, widens) its schema for this write. A column the
 * table has and the write lacks is read as null for the new rows. Returns the table's columns.
 */
export async function prepareTable(connection: DuckDBConnection, tables: LakeTables, spec: TableSpec): Promise<Column[]> {
  const name = tables.qualified(spec.zone, spec.dataset);
  const existing = await query(
    connection,
    `SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = ${literal(tables.alias)} AND schema_name = ${literal(spec.zone)} AND table_name = ${literal(spec.dataset)} ORDER BY column_index`,
  );
  if (existing.length === 0) {
    await connection.run(`CREATE TABLE ${name} (${spec.columns.map((c) => `${ident(c.name)} ${c.type}`).join(', ')})`);
    if (spec.partitionBy) await connection.run(`ALTER TABLE ${name} SET PARTITIONED BY (${ident(spec.partitionBy)})`);
    return [...spec.columns];
  }
  const current: Column[] = existing.map((r) => ({ name: String(r.column_name), type: String(r.data_type) }));
  const types = new Map(current.map((c) => [c.name, c.type]));
  const changed = spec.columns.find((c) => types.has(c.name) && types.get(c.name) !== c.type);
  if (changed) {
    throw new TributaryError('SCHEMA_VALIDATION', `${spec.zone}.${spec.dataset}: the write has column ${changed.name} ${changed.type}, but the table has it as ${types.get(changed.name)}; evolving a schema only adds columns`);
  }
  const added = spec.columns.filter((c) => !types.has(c.name));
  if (added.length && !spec.evolve) {
    throw new TributaryError('SCHEMA_VALIDATION', `${spec.zone}.${spec.dataset}: the write has columns [${describe(added)}] the table [${describe(current)}] lacks (schema drift policy "evolve" adds them)`);
  }
  for (const column of added) await connection.run(`ALTER TABLE ${name} ADD COLUMN ${ident(column.name)} ${column.type}`);
  return [...current, ...added];
}

/**
 * Deletes the rows of the given partition values (all rows: `'all'`), then inserts `select`'s rows
 * by column name; returns the rows inserted. One statement each, inside the caller's transaction.
 */
export async function replacePartitions(connection: DuckDBConnection, tables: LakeTables, spec: Pick<TableSpec, 'zone' | 'dataset' | 'partitionBy'>, values: readonly string[] | 'all', select: string): Promise<number> {
  const name = tables.qualified(spec.zone, spec.dataset);
  if (values === 'all' || !spec.partitionBy) await connection.run(`DELETE FROM ${name}`);
  else if (values.length) await connection.run(`DELETE FROM ${name} WHERE ${ident(spec.partitionBy)}::VARCHAR IN (${values.map(literal).join(', ')})`);
  else return 0;
  return Number((await connection.run(`INSERT INTO ${name} BY NAME ${select}`)).rowsChanged);
}
