/**
 * The transform step of a batch run: the job's SQL over the input views, with the row conventions
 * (`_error`, `_dropped`, the partition value `_part`) made explicit as the view `_result`; the error
 * budget; and the quarantine rows DuckDB's CSV reader rejected.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { TributaryError } from '../errors.ts';
import type { Column } from '../lake/manifest.ts';
import type { RunCounts } from '../metadata/metadata.ts';
import type { BatchInput, BatchJob, ErrorBudget } from './batch-job.ts';
import { columnsOf, exec, ident, literal, rows } from './duckdb.ts';
import type { ViewResult } from './inputs.ts';

export function budgetError(job: BatchJob, runId: string, counts: Pick<RunCounts, 'read' | 'quarantined'>, budget: ErrorBudget): TributaryError | undefined {
  const limits: string[] = [];
  if (budget.count !== undefined && counts.quarantined > budget.count) {
    limits.push(`the budget is ${budget.count} rows, exceeded by ${counts.quarantined - budget.count}`);
  }
  if (budget.fraction !== undefined && counts.quarantined > budget.fraction * counts.read) {
    const allowed = Math.floor(budget.fraction * counts.read);
    limits.push(`the budget is ${(budget.fraction * 100).toFixed(2)}% of ${counts.read} rows read = ${allowed} rows, exceeded by ${counts.quarantined - allowed}`);
  }
  if (limits.length === 0) return undefined;
  const share = counts.read ? ((counts.quarantined / counts.read) * 100).toFixed(2) : '100';
  return new TributaryError('BATCH_ERROR_BUDGET', `Job "${job.name}" run ${runId}: ${counts.quarantined} of ${counts.read} rows (${share}%) are malformed; ${limits.join('; ')}. Nothing was published.`);
}

/**
 * Creates `_result`: the transform's rows with `_error`, `_dropped` and `_part` (the partition value)
 * always present. When the unit's inputs lack optional columns, also returns the data columns the
 * transform gives with none absent: the dataset's schema, of which the unit may write fewer.
 */
export async function transform(connection: DuckDBConnection, job: BatchJob, views: Pick<ViewResult, 'extraColumns' | 'absentColumns'>): Promise<Column[] | undefined> {
  const first = job.inputs[0] as BatchInput;
  const sqlOf = (absentColumns: readonly string[]) =>
    typeof job.transform.sql === 'function' ? job.transform.sql({ extraColumns: views.extraColumns, absentColumns }) : (job.transform.sql ?? `SELECT * FROM ${ident(first.name)}`);
  // A record function's input is the SQL's output: it gets every column.
  const absent = job.transform.records ? [] : views.absentColumns;
  const sql = sqlOf(absent);
  const what = `job "${job.name}" transform`;
  await exec(connection, `CREATE OR REPLACE TEMP VIEW _transform AS ${sql}`, what);
  const described = await columnsOf(connection, '_transform');
  const columns = new Set(described.map((c) => c.name));
  const error = columns.has('_error') ? '_error' : 'NULL::VARCHAR';
  const dropped = columns.has('_dropped') ? '_dropped' : 'NULL::VARCHAR';
  const by = job.output.partitionBy;
  const part = !by ? 'NULL::VARCHAR' : by.column === 'dt' ? `strftime(CAST((${by.expr}) AS DATE), '%Y-%m-%d')` : `CAST((${by.expr}) AS VARCHAR)`;
  const noPart = by
    ? `WHEN _p IS NULL THEN ${literal(`no value for the partition column ${by.column} (${by.expr})`)}
       WHEN NOT regexp_full_match(_p, '[A-Za-z0-9_-]{1,100}') THEN ${literal(`partition column ${by.column}: value `)} || _p || ' cannot be a path segment'`
    : '';
  const excluded = ['_error', '_dropped', '_part'].filter((c) => columns.has(c));
  await exec(
    connection,
    `CREATE OR REPLACE TEMP VIEW _result AS
     SELECT * EXCLUDE (_p, _error0, _dropped0), CASE WHEN _error0 IS NOT NULL THEN _error0 ${noPart} END AS _error, _dropped0 AS _dropped, _p AS _part
     FROM (SELECT * ${excluded.length ? `EXCLUDE (${excluded.join(', ')})` : ''}, ${error} AS _error0, ${dropped} AS _dropped0, ${part} AS _p FROM _transform)`,
    what,
  );
  if (absent.length === 0 || typeof job.transform.sql !== 'function') return undefined;
  const whole = (await columnsOf(connection, `(${sqlOf([])})`)).filter((c) => !c.name.startsWith('_'));
  const types = new Map(whole.map((c) => [c.name, c.type]));
  const stray = described.find((c) => !c.name.startsWith('_') && types.get(c.name) !== c.type);
  if (stray) {
    const expected = types.get(stray.name);
    throw new TributaryError('SCHEMA_VALIDATION', `${what}: with absent input columns it gives ${stray.name} ${stray.type}, but with all of them ${expected ? `it is ${expected}` : 'it has no such column'}; leaving out absent columns may only drop columns`);
  }
  return whole;
}

/**
 * The schema a unit commits: the columns it wrote, or when it left absent columns out, the whole
 * schema followed by any written column beyond it (a merge keeps the columns of the rows it keeps).
 */
export function committedSchema(written: readonly Column[], whole: readonly Column[] | undefined): Column[] {
  if (!whole) return [...written];
  const names = new Set(whole.map((c) => c.name));
  return [...whole, ...written.filter((c) => !names.has(c.name))];
}

export async function rejectTables(connection: DuckDBConnection, names: readonly string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const present = await rows(connection, `SELECT table_name FROM duckdb_tables() WHERE table_name IN (${names.map(literal).join(', ')})`, 'listing reject tables');
  return present.map((r) => String(r.table_name));
}

/** Rows DuckDB's CSV reader rejected, as quarantine rows. */
export function rejectsSelect(tables: readonly string[], keys: ReadonlyMap<string, string>): string[] {
  // The reader knows local paths; the quarantine names lake keys.
  const key = keys.size ? `CASE s.file_path ${[...keys].map(([local, k]) => `WHEN ${literal(local)} THEN ${literal(k)}`).join(' ')} ELSE s.file_path END` : 's.file_path';
  // DuckDB records one reject per bad cell; the quarantine has one row per rejected line.
  return tables.map(
    (t) => `SELECT ${key} AS _file, NULL::BIGINT AS _row, e.line::BIGINT AS _line,
              string_agg(concat('column ', coalesce(e.column_name, '?'), ': ', e.error_message), '; ' ORDER BY e.column_idx) AS _error, any_value(e.csv_line) AS record
            FROM ${ident(t)} e JOIN ${ident(`${t}_scans`)} s USING (scan_id, file_id)
            -- Every scan of a file rejects its bad lines again: count the first (full) scan's.
            WHERE e.scan_id = (SELECT min(f.scan_id) FROM ${ident(`${t}_scans`)} f WHERE f.file_path = s.file_path)
            GROUP BY s.file_path, e.scan_id, e.file_id, e.line`,
  );
}

