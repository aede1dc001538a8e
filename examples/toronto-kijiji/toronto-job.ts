/**
 * The Toronto apartment job: the Apartment Building Evaluation CSVs a CKAN source downloaded to
 * `raw/<input>/dt=<download day>/` → cleaned, typed rows in `processed/<output>/year=<evaluation year>/`.
 *
 * Reading: DuckDB's CSV reader with explicit options (`,` `"` `"`, header, no sniffing) and an
 * explicit type per column, the header matched by normalised name, so both layouts and any column
 * order work; quoted fields may span lines and CRLF is accepted. `''`, `N/A` and ` N/A` (the 2023
 * file has 234 cells with a leading space) are null; numeric cells with leading spaces parse. A cell that does not parse as its type rejects its row to the
 * quarantine with DuckDB's reason and line.
 *
 * Cleaning: text trimmed (line breaks too), `wardname` → `ward_name`, `id` → `source_id` (the
 * publisher renumbers it between snapshots, so it is not a key; the key is (rsn,
 * evaluation_completed_on)). `item_scale` says which layout's items a row has (`1-5` or `0-3`).
 * Quarantined (malformed): no RSN, no evaluation date, a score outside 0–100. Filtered (outliers and
 * deletions, counted): rows marked `** CREATED IN ERROR **`, evaluations of no areas, a year built
 * before 1800 or after the evaluation, coordinates outside the Toronto area.
 */
import { defineBatchJob, type BatchJob, type WriteMode } from 'tributary';
import { itemColumns, torontoColumns } from './toronto-columns.ts';

/** A column name as a quoted SQL identifier. */
const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

export interface TorontoJobOptions {
  /** Raw dataset the CKAN source writes; default `apartment-building-evaluation`. */
  input?: string;
  /** Output dataset in `processed`; default `toronto_apartments`. */
  output?: string;
  mode?: WriteMode;
  name?: string;
  /**
   * `year` (default): `year=YYYY/`, about ten partitions. `day`: `dt=YYYY-MM-DD/` by evaluation date,
   * about 560 partitions of some 20 rows each for the whole history: small files that cost far more
   * to write and read than they save (see docs/batch.md).
   */
  partition?: 'year' | 'day';
}

const NEWLINES = `' \t\r\n'`;

/**
 * Trims only the cells that start or end with a blank: most have none, and trim() with a set of
 * characters costs more than the test. The test compares bytes: `c < '!'` holds when the first byte is
 * a blank or a control character (a null cell never reaches it: nulls are read as null), and
 * ends_with() looks at the last bytes without counting characters, as `c[-1]` must (docs/batch.md).
 */
const text = (c: string) =>
  `CASE WHEN ${c} < '!' OR ends_with(${c}, ' ') OR ends_with(${c}, chr(9)) OR ends_with(${c}, chr(10)) OR ends_with(${c}, chr(13)) ` +
  `THEN nullif(trim(${c}, ${NEWLINES}), '') ELSE ${c} END`;

/**
 * The job's SQL. Columns of the other layout that none of the unit's files has (`absentColumns`) are
 * left out: the pre-2023 files would otherwise carry 48 columns of nulls, which cost a quarter of the
 * job's time to write (docs/batch.md); the dataset's schema still has them.
 */
export function torontoSql(extraColumns: readonly string[], absentColumns: readonly string[] = []): string {
  const absent = new Set(absentColumns);
  const present = (columns: readonly string[]) => columns.filter((c) => !absent.has(c)).map((c) => `${ident(c)}, `).join('');
  return `SELECT
    _file, _row,
    id AS source_id, rsn,
    year_registered, year_built, year_evaluated,
    ${text('property_type')} AS property_type, ${text('ward')} AS ward, ${text('wardname')} AS ward_name,
    ${text('site_address')} AS site_address,
    confirmed_storeys, confirmed_units, evaluation_completed_on,
    score, ${present(['proactive_building_score', 'current_reactive_score'])}${text('results_of_score')} AS results_of_score,
    no_of_areas_evaluated,
    ${text('grid')} AS grid, latitude, longitude, x, y,
    CASE WHEN proactive_building_score IS NOT NULL OR current_reactive_score IS NOT NULL THEN '0-3' ELSE '1-5' END AS item_scale,
    ${present(itemColumns)}${extraColumns.map((c) => `${ident(c)}, `).join('')}
    CASE
      WHEN rsn IS NULL THEN 'missing RSN'
      WHEN evaluation_completed_on IS NULL THEN 'missing evaluation_completed_on'
      WHEN score < 0 OR score > 100 THEN 'score ' || score || ' outside 0..100'
    END AS _error,
    CASE
      WHEN starts_with(site_address, '** CREATED IN ERROR') THEN 'created in error'
      WHEN no_of_areas_evaluated = 0 THEN 'no areas evaluated'
      WHEN year_built < 1800 OR year_built > year(evaluation_completed_on) THEN 'year_built ' || year_built || ' outlier'
      WHEN latitude NOT BETWEEN 43.4 AND 44.0 OR longitude NOT BETWEEN -79.8 AND -79.0 THEN 'coordinates outside Toronto'
    END AS _dropped
  FROM evaluations`;
}

export function torontoApartmentsJob(options: TorontoJobOptions = {}): Readonly<BatchJob> {
  const mode = options.mode ?? 'overwrite-partitions';
  return defineBatchJob({
    name: options.name ?? 'toronto-apartments',
    description: 'Toronto Apartment Building Evaluations: CSV (both layouts) → typed Parquet by evaluation date',
    inputs: [{ kind: 'files', name: 'evaluations', zone: 'raw', dataset: options.input ?? 'apartment-building-evaluation', format: 'csv', csv: { columns: torontoColumns, nullStrings: ['', 'N/A', ' N/A'] } }],
    transform: { sql: ({ extraColumns, absentColumns }) => torontoSql(extraColumns, absentColumns) },
    output: { zone: 'processed', dataset: options.output ?? 'toronto_apartments', partitionBy: options.partition === 'day' ? { column: 'dt', expr: 'evaluation_completed_on' } : { column: 'year', expr: 'year(evaluation_completed_on)' }, mode, ...(mode === 'merge' ? { key: ['rsn', 'evaluation_completed_on'] } : {}) },
    errorBudget: { fraction: 0.01 },
    schemaDrift: 'fail',
  });
}
