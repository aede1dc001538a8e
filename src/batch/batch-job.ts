/**
 * Batch jobs: typed definitions of a transformation over lake data, run by DuckDB, whose output is a
 * lake table (DuckLake, src/lake/tables/).
 *
 * Glossary:
 * - input: what a job reads, exposed to its SQL as a view named after the input. `files` (files in
 *   the raw zone as a source put them there, such as the CSVs a CKAN source downloads), or `dataset`:
 *   a table of the processed or curated zone, or an archiver's raw Parquet dataset.
 * - resource: what a source fetches again and again (a CKAN resource); the *current inputs* are, per
 *   resource, its latest file (current.ts). The output is a function of the current inputs.
 * - transform: SQL over the input views, and/or a record function applied to its rows (the same
 *   `(record) → record | null | record[]` shape a stream pipeline step has).
 * - output: a table in processed or curated, partitioned by a column computed from a SQL expression,
 *   written in one of three modes: `overwrite-partitions`, `merge` (by key) or `append`.
 * - quarantine: rows the job classes as malformed (a `_error` reason in the SQL result, or a CSV row
 *   DuckDB could not parse), in the table `lake.quarantine.<zone>_<output>`, keyed by file and row.
 *
 * Conventions of the SQL result: columns whose names start with `_` are never written to the
 * output. `_error` (text, not null) quarantines a row with that reason; `_dropped` (text, not null)
 * filters it on purpose (counted as filtered). File inputs provide `_file` and `_row` (the row's
 * position in its file); keeping `_file` lets a run recompute only the partitions a change touches.
 *
 * Lifecycle: `defineBatchJob(...)` → `runBatchJob(job, deps, options)` (run-batch-job.ts), which
 * recovers from a run that died, compares the current inputs with those the output was computed
 * from, and runs once (run-unit.ts) when they differ.
 *
 * Guarantees: a run's output, quarantine and input record commit as one DuckLake transaction: readers
 * see the old table or the new one, never a mixture; a failed or killed run commits nothing, and the
 * next run processes its inputs again. Recomputed partitions are computed from all current inputs, so
 * no row is lost or duplicated however the inputs changed (docs/batch.md, "The incremental rule").
 *
 * Errors: BATCH_INPUT_INVALID, BATCH_QUERY_FAILED, BATCH_ERROR_BUDGET, SCHEMA_DRIFT,
 * SCHEMA_VALIDATION (see docs/errors.md), and the lake's and metadata store's own codes.
 */
import type { Column } from '../lake/manifest.ts';
import { checkDataset, checkZone } from '../lake/keys.ts';
import type { Zone } from '../lake/lake.ts';
import { TributaryError } from '../errors.ts';

/** An expected column of a file input, matched against the file's normalised header. */
export interface ExpectedColumn {
  /** The column's name in the view (normalised: lower case, `_` between words). */
  name: string;
  /** DuckDB type the CSV reader parses the column as. */
  type: string;
  /** Other normalised header names that mean this column (e.g. a renamed header). */
  aliases?: readonly string[];
  /** A file without it is schema drift; default true. Optional columns belong to one layout only. */
  required?: boolean;
}

export interface CsvOptions {
  columns: readonly ExpectedColumn[];
  /** Cells read as SQL NULL; default `['', 'N/A']`. */
  nullStrings?: readonly string[];
  /** Header name → view name; default: lower case, runs of other characters as one `_`. */
  normalise?: (header: string) => string;
}

export interface DatasetInput {
  kind: 'dataset';
  /** The view name in the job's SQL. */
  name: string;
  zone: Zone;
  dataset: string;
}

export interface FilesInput {
  kind: 'files';
  name: string;
  zone: Zone;
  dataset: string;
  format: 'csv';
  /** Only files whose key ends so; default `.csv`. */
  extension?: string;
  csv: CsvOptions;
}

export type BatchInput = DatasetInput | FilesInput;

export type RecordValue = string | number | boolean | bigint | null;
export type BatchRecord = Record<string, RecordValue>;
/** A stream job's record step: a record, null to drop it, or several. */
export type RecordFunction = (record: BatchRecord) => BatchRecord | null | readonly BatchRecord[];

export interface TransformContext {
  /** Columns files had beyond the expected ones, kept under the `evolve` drift policy. */
  extraColumns: readonly string[];
  /**
   * Optional expected columns that none of the unit's CSV files has; the input views read them as
   * null. A transform may leave them out: the unit's Parquet files then lack those columns (writing
   * a column of nulls for every row is most of a wide job's cost), the dataset's schema keeps them,
   * and readers of the dataset get them as null. Always empty for a job with a record function.
   */
  absentColumns: readonly string[];
}

export interface BatchTransform {
  /** A SELECT over the input views; default `SELECT * FROM <first input>`. */
  sql?: string | ((ctx: TransformContext) => string);
  /** Applied to each row the SQL keeps; `columns` are the function's output columns. */
  records?: { fn: RecordFunction; columns: readonly Column[] };
}

export type WriteMode = 'overwrite-partitions' | 'append' | 'merge';

export interface BatchOutput {
  zone: Zone;
  dataset: string;
  /**
   * The table's partition column and the SQL expression (over the transform's result) giving its
   * value, typed as the expression is (`dt`: a DATE). Its text form must be letters, digits, `_` and
   * `-` (it names a directory); a row without a valid value is quarantined.
   */
  partitionBy?: { column: string; expr: string };
  mode: WriteMode;
  /** Merge mode: the columns that identify a row within a partition; the latest input file's row wins. */
  key?: readonly string[];
}

export interface ErrorBudget {
  /** The largest fraction of rows read that may be quarantined (0..1). */
  fraction?: number;
  /** The largest number of rows that may be quarantined. */
  count?: number;
}

export type DriftPolicy = 'fail' | 'evolve';

export interface BatchJob {
  name: string;
  description?: string;
  inputs: readonly BatchInput[];
  transform: BatchTransform;
  output: BatchOutput;
  /** Defaults for the run; the CLI and config may override them. */
  errorBudget?: ErrorBudget;
  schemaDrift?: DriftPolicy;
}

const NAME = /^[a-z][a-z0-9_-]{0,62}$/;
const VIEW = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks a job definition once, at definition time, and freezes it. */
export function defineBatchJob(job: BatchJob): Readonly<BatchJob> {
  const bad = (why: string) => new TributaryError('CONFIG_INVALID', `batch job ${JSON.stringify(job.name)}: ${why}`);
  if (!NAME.test(job.name)) throw bad('the name must be lower-case letters, digits, "_" and "-", starting with a letter');
  if (job.inputs.length === 0) throw bad('needs at least one input');
  const names = new Set<string>();
  for (const input of job.inputs) {
    if (!VIEW.test(input.name)) throw bad(`input name ${JSON.stringify(input.name)} must be a lower-case SQL identifier`);
    if (names.has(input.name)) throw bad(`input name ${JSON.stringify(input.name)} is used twice`);
    names.add(input.name);
    checkZone(input.zone);
    checkDataset(input.dataset);
  }
  checkZone(job.output.zone);
  checkDataset(job.output.dataset);
  if (job.output.zone === 'raw') throw bad('the output must be a table in processed or curated: the raw zone holds what came in, as it came');
  if (job.output.mode === 'merge' && !job.output.key?.length) throw bad('merge mode needs output.key');
  if (job.output.partitionBy && !VIEW.test(job.output.partitionBy.column)) throw bad(`partition column ${JSON.stringify(job.output.partitionBy.column)} must be a lower-case identifier`);
  checkBudget(job.errorBudget, bad);
  return Object.freeze({ ...job });
}

export function checkBudget(budget: ErrorBudget | undefined, bad: (why: string) => Error): void {
  if (budget?.fraction !== undefined && !(budget.fraction >= 0 && budget.fraction <= 1)) throw bad(`errorBudget.fraction must be between 0 and 1, got ${budget.fraction}`);
  if (budget?.count !== undefined && !(Number.isInteger(budget.count) && budget.count >= 0)) throw bad(`errorBudget.count must be a whole number, got ${budget.count}`);
}

/** The default header normalisation: `YEAR BUILT`, `YEAR_BUILT` and `Year-Built` all become `year_built`. */
export function normaliseHeader(header: string): string {
  return header
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}
