/**
 * The lake tables a batch job keeps beside its output, written in the same transaction as the output
 * so that the three never disagree:
 * - `lake.batch_inputs.<zone>_<dataset>`: the current inputs the output was computed from, one row
 *   per resource (its file, etag, and the output partitions its rows went to). The next run compares
 *   the current set with it (the incremental rule, docs/batch.md).
 * - `lake.quarantine.<zone>_<dataset>`: the malformed rows of the current inputs, keyed by input file
 *   and row; each run replaces them, so a row is there once however often its file is read.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { ident, literal, query } from '../lake/tables/sql.ts';
import type { Column, LakeTables, TableZone } from '../lake/tables/tables.ts';

export const INPUTS_SCHEMA = 'batch_inputs';
export const QUARANTINE_SCHEMA = 'quarantine';

export const inputsColumns: Column[] = [
  { name: 'input', type: 'VARCHAR' },
  { name: 'resource', type: 'VARCHAR' },
  { name: 'file', type: 'VARCHAR' },
  { name: 'etag', type: 'VARCHAR' },
  { name: 'partitions', type: 'VARCHAR[]' },
  { name: 'run_id', type: 'VARCHAR' },
];

/** The quarantine's columns: `file` and `row` (or `line`, for a line the CSV reader rejected) are the key. */
export const quarantineColumns: Column[] = [
  { name: 'file', type: 'VARCHAR' },
  { name: 'row', type: 'BIGINT' },
  { name: 'line', type: 'BIGINT' },
  { name: 'error', type: 'VARCHAR' },
  { name: 'record', type: 'VARCHAR' },
  { name: 'run_id', type: 'VARCHAR' },
];

export interface InputState {
  input: string;
  resource: string;
  file: string;
  etag: string;
  /** Output partition values the resource's rows went to; null when the job's rows do not say (no `_file`). */
  partitions: string[] | null;
  runId: string;
}

export const companionName = (zone: TableZone, dataset: string): string => `${zone}_${dataset}`;

export function inputsTable(tables: LakeTables, zone: TableZone, dataset: string): string {
  return `${ident(tables.alias)}.${ident(INPUTS_SCHEMA)}.${ident(companionName(zone, dataset))}`;
}

export function quarantineTable(tables: LakeTables, zone: TableZone, dataset: string): string {
  return `${ident(tables.alias)}.${ident(QUARANTINE_SCHEMA)}.${ident(companionName(zone, dataset))}`;
}

async function tableExists(connection: DuckDBConnection, tables: LakeTables, schema: string, name: string): Promise<boolean> {
  const found = await query(connection, `SELECT 1 FROM duckdb_tables() WHERE database_name = ${literal(tables.alias)} AND schema_name = ${literal(schema)} AND table_name = ${literal(name)}`);
  return found.length > 0;
}

/** The inputs the output was last computed from; undefined when it never was. */
export async function readInputState(tables: LakeTables, zone: TableZone, dataset: string): Promise<InputState[] | undefined> {
  const c = await tables.instance.connect();
  try {
    if (!(await tableExists(c, tables, INPUTS_SCHEMA, companionName(zone, dataset)))) return undefined;
    const found = await query(c, `SELECT * FROM ${inputsTable(tables, zone, dataset)} ORDER BY input, resource`);
    return found.map((r) => ({
      input: String(r.input),
      resource: String(r.resource),
      file: String(r.file),
      etag: String(r.etag),
      partitions: Array.isArray(r.partitions) ? r.partitions.map(String) : null,
      runId: String(r.run_id),
    }));
  } finally {
    c.closeSync();
  }
}

/** Inside the run's transaction: makes both tables exist (on the output's first run, in its snapshot). */
export async function ensureCompanions(connection: DuckDBConnection, tables: LakeTables, zone: TableZone, dataset: string): Promise<void> {
  const name = companionName(zone, dataset);
  for (const [schema, columns] of [[INPUTS_SCHEMA, inputsColumns], [QUARANTINE_SCHEMA, quarantineColumns]] as const) {
    await connection.run(`CREATE SCHEMA IF NOT EXISTS ${ident(tables.alias)}.${ident(schema)}`);
    await connection.run(`CREATE TABLE IF NOT EXISTS ${ident(tables.alias)}.${ident(schema)}.${ident(name)} (${columns.map((c) => `${ident(c.name)} ${c.type}`).join(', ')})`);
  }
}

/** Inside the run's transaction: the new input state, replacing the old. */
export async function writeInputState(connection: DuckDBConnection, tables: LakeTables, zone: TableZone, dataset: string, state: readonly InputState[]): Promise<void> {
  const table = inputsTable(tables, zone, dataset);
  await connection.run(`DELETE FROM ${table}`);
  if (state.length === 0) return;
  const values = state.map(
    (s) => `(${[s.input, s.resource, s.file, s.etag].map(literal).join(', ')}, ${s.partitions ? `[${s.partitions.map(literal).join(', ')}]::VARCHAR[]` : 'NULL'}, ${literal(s.runId)})`,
  );
  await connection.run(`INSERT INTO ${table} VALUES ${values.join(', ')}`);
}

/** Inside the run's transaction: the quarantine becomes the rows of `select` (columns file, row, line, error, record). */
export async function replaceQuarantine(connection: DuckDBConnection, tables: LakeTables, zone: TableZone, dataset: string, select: string | undefined, runId: string): Promise<void> {
  const table = quarantineTable(tables, zone, dataset);
  await connection.run(`DELETE FROM ${table}`);
  if (select) await connection.run(`INSERT INTO ${table} SELECT file, "row", line, error, record, ${literal(runId)} AS run_id FROM (${select})`);
}
