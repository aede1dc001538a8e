/**
 * One unit of a batch job: views over its inputs → the transform into a temp table → counts and the
 * error budget → Parquet staged locally (output and quarantine) → uploaded → committed. Nothing is
 * visible in the lake before the commit, and a unit that fails anywhere commits nothing.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { TributaryError, isTributaryError } from '../errors.ts';
import { commitFiles, readManifest, visibleFiles } from '../lake/catalog.ts';
import { datasetPrefix } from '../lake/keys.ts';
import type { Lake } from '../lake/lake.ts';
import type { Column } from '../lake/manifest.ts';
import type { MetadataStore, RunCounts } from '../metadata/metadata.ts';
import type { BatchInput, BatchJob, DriftPolicy, ErrorBudget } from './batch-job.ts';
import { columnsOf, exec, ident, literal, rows, type Duck } from './duckdb.ts';
import { createViews, type Drift, type InputFile, type ViewResult } from './inputs.ts';
import { applyRecords } from './records.ts';
import { removeObjects, stagedFiles, upload } from './stage.ts';

export interface Unit {
  /** The driving input's partition path, or `*`. */
  unit: string;
  /** The unit's `dt`, when its partition has one. */
  dt?: string;
  version: string;
  files: readonly InputFile[];
}

export interface UnitDeps {
  lake: Lake;
  metadata: MetadataStore;
  duck: Duck;
  /** A local directory for DuckDB's output before upload; each unit uses a subdirectory it removes. */
  stagingDir: string;
  /** The other inputs' files, read whole by every unit. */
  sideInputs: ReadonlyMap<string, readonly InputFile[]>;
}

export interface UnitOptions {
  runId: string;
  errorBudget: ErrorBudget;
  schemaDrift: DriftPolicy;
}

export interface UnitResult {
  unit: string;
  runId: string;
  status: 'succeeded' | 'failed';
  counts: RunCounts;
  /** Output keys committed. */
  files: string[];
  quarantineKey?: string;
  drift: Drift[];
  error?: TributaryError;
  durationMs: number;
  /** Where the time went: scan (read, transform, write Parquet locally), check (counts, budget, quarantine), publish (upload, commit). */
  timings: { scanMs: number; checkMs: number; publishMs: number };
}

/** The fixed columns of every quarantine file, so one `quarantine` dataset holds every job's. */
export const quarantineSchema: Column[] = [
  { name: '_file', type: 'VARCHAR' },
  { name: '_row', type: 'BIGINT' },
  { name: '_line', type: 'BIGINT' },
  { name: '_error', type: 'VARCHAR' },
  { name: 'record', type: 'VARCHAR' },
];

export const quarantineDataset = 'quarantine';

function budgetError(job: BatchJob, runId: string, counts: { read: number; quarantined: number }, budget: ErrorBudget): TributaryError | undefined {
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
async function transform(connection: DuckDBConnection, job: BatchJob, views: Pick<ViewResult, 'extraColumns' | 'absentColumns'>): Promise<Column[] | undefined> {
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
function committedSchema(written: readonly Column[], whole: readonly Column[] | undefined): Column[] {
  if (!whole) return [...written];
  const names = new Set(whole.map((c) => c.name));
  return [...whole, ...written.filter((c) => !names.has(c.name))];
}

async function rejectTables(connection: DuckDBConnection, names: readonly string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const present = await rows(connection, `SELECT table_name FROM duckdb_tables() WHERE table_name IN (${names.map(literal).join(', ')})`, 'listing reject tables');
  return present.map((r) => String(r.table_name));
}

/** Rows DuckDB's CSV reader rejected, as quarantine rows. */
function rejectsSelect(tables: readonly string[], keys: ReadonlyMap<string, string>): string[] {
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

export async function runUnit(job: BatchJob, unit: Unit, deps: UnitDeps, options: UnitOptions): Promise<UnitResult> {
  const started = new Date();
  const { runId } = options;
  const counts: RunCounts = { read: 0, written: 0, quarantined: 0, filtered: 0, files: 0 };
  const result: UnitResult = { unit: unit.unit, runId, status: 'failed', counts, files: [], drift: [], durationMs: 0, timings: { scanMs: 0, checkMs: 0, publishMs: 0 } };
  let mark = performance.now();
  const lap = () => {
    const now = performance.now();
    const ms = Math.round(now - mark);
    mark = now;
    return ms;
  };
  const dir = path.join(deps.stagingDir, runId);
  const uploaded: string[] = [];
  await deps.metadata.startRun({ job: job.name, runId, unit: unit.unit, started });
  const connection = await deps.duck.instance.connect();
  try {
    await mkdir(dir, { recursive: true });
    const driving = job.incrementalBy ?? job.inputs[0]?.name;
    const inputs = job.inputs.map((input) => ({ input, files: input.name === driving ? unit.files : (deps.sideInputs.get(input.name) ?? []) }));
    // Without row numbers first: numbering rows in file order would serialise the scan.
    const views = await createViews(connection, deps.lake, inputs, options.schemaDrift, false);
    result.drift = views.drift;
    const whole = await transform(connection, job, views);

    const by = job.output.partitionBy;
    const outDir = path.join(dir, 'out');
    await mkdir(outDir, { recursive: true });
    const direct = !job.transform.records && job.output.mode !== 'merge';
    let resultRows = '_result';
    if (!direct) {
      // The record function and merge read the rows more than once: materialise them, in one full scan.
      await exec(connection, 'CREATE OR REPLACE TEMP TABLE _rows AS SELECT * FROM _result', `job "${job.name}" transform`);
      resultRows = '_rows';
    }
    // Direct: one scan writes every row, partitioned first by its status (ok, quarantine, dropped),
    // so the counts come from the Parquet footers and only the ok files are published.
    let source = direct ? resultRows : `(SELECT * EXCLUDE (_error, _dropped) FROM ${resultRows} WHERE _error IS NULL AND _dropped IS NULL)`;
    if (job.transform.records) {
      const applied = await applyRecords(connection, job.transform.records, source);
      counts.filtered += applied.dropped;
      source = '_records';
    }
    if (job.output.mode === 'merge') source = await mergeWithExisting(connection, deps.lake, job, source);
    const hidden = (await columnsOf(connection, source)).filter((c) => c.name.startsWith('_')).map((c) => ident(c.name));
    const dataSelect = `SELECT * ${hidden.length ? `EXCLUDE (${hidden.join(', ')})` : ''} FROM ${source}`;
    const schema = committedSchema(await columnsOf(connection, `(${dataSelect})`), whole);
    const status = direct ? `, CASE WHEN _error IS NOT NULL THEN 'quarantine' WHEN _dropped IS NOT NULL THEN 'dropped' ELSE 'ok' END AS _status` : `, 'ok' AS _status`;
    const outputSelect = `SELECT * ${hidden.length ? `EXCLUDE (${hidden.join(', ')})` : ''}${by ? `, _part AS ${ident(by.column)}` : ''}${status} FROM ${source}`;
    await exec(
      connection,
      `COPY (${outputSelect}) TO ${literal(outDir)} (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (_status${by ? `, ${ident(by.column)}` : ''}), FILENAME_PATTERN ${literal(`part-${runId}-{i}`)})`,
      `job "${job.name}" writing Parquet`,
    );
    result.timings.scanMs = lap();

    // Counts, and the budget, before anything reaches the lake.
    const rejects = await rejectTables(connection, views.rejects);
    const rejected = rejects.length ? Number((await rows(connection, `SELECT count(*) AS n FROM (${rejectsSelect(rejects, views.keys).join(' UNION ALL ')})`, 'counting rejects'))[0]?.n ?? 0) : 0;
    const byStatus = async (name: string) => (await stagedFiles(connection, path.join(outDir, `_status=${name}`))).reduce((n, f) => n + f.rows, 0);
    if (direct) {
      const [ok, bad, dropped] = [await byStatus('ok'), await byStatus('quarantine'), await byStatus('dropped')];
      counts.read = ok + bad + dropped + rejected;
      counts.quarantined = bad + rejected;
      counts.filtered = dropped;
    } else {
      const [tally] = await rows(connection, `SELECT count(*) AS n, count(_error) AS bad, count(*) FILTER (_error IS NULL AND _dropped IS NOT NULL) AS dropped FROM _rows`, 'counting');
      counts.read = Number(tally?.n ?? 0) + rejected;
      counts.quarantined = Number(tally?.bad ?? 0) + rejected;
      counts.filtered += Number(tally?.dropped ?? 0);
    }
    const overBudget = budgetError(job, runId, counts, options.errorBudget);
    if (overBudget) throw overBudget;

    // The quarantine: DuckDB's rejected CSV rows, and rows the SQL marked malformed, found again
    // with their row numbers (a third scan, only when there are any).
    let quarantineFiles: string[] = [];
    if (counts.quarantined > 0) {
      const qDir = path.join(dir, 'quarantine');
      await mkdir(qDir, { recursive: true });
      await createViews(connection, deps.lake, inputs, options.schemaDrift, true);
      await transform(connection, job, views);
      const resultColumns = new Set((await columnsOf(connection, '_result')).map((c) => c.name));
      const file = resultColumns.has('_file') ? '_file' : 'NULL::VARCHAR';
      const row = resultColumns.has('_row') ? '_row::BIGINT' : 'NULL::BIGINT';
      const semantic = `SELECT ${file} AS _file, ${row} AS _row, NULL::BIGINT AS _line, _error, to_json(t)::VARCHAR AS record FROM (SELECT * EXCLUDE (_dropped) FROM _result WHERE _error IS NOT NULL) t`;
      const all = [semantic, ...rejectsSelect(rejects, views.keys)].join('\nUNION ALL\n');
      await exec(connection, `COPY (SELECT * FROM (${all}) ORDER BY _file, coalesce(_row, _line)) TO ${literal(path.join(qDir, `part-${runId}.parquet`))} (FORMAT parquet)`, `job "${job.name}" writing the quarantine`);
      quarantineFiles = [path.join(qDir, `part-${runId}.parquet`)];
    }

    result.timings.checkMs = lap();
    // Publish: upload, then one commit per dataset. The quarantine goes first, so a published output
    // always has its quarantine beside it.
    const staged = await stagedFiles(connection, path.join(outDir, '_status=ok'));
    const prefix = datasetPrefix(job.output.zone, job.output.dataset);
    if (quarantineFiles.length) {
      const qKey = `${datasetPrefix(job.output.zone, quarantineDataset)}dataset=${job.output.dataset}/run=${runId}/part-${runId}.parquet`;
      const [q] = await stagedFiles(connection, path.join(dir, 'quarantine'));
      const keys = await upload(deps.lake, q ? [{ ...q, relative: '' }] : [], qKey);
      uploaded.push(...keys);
      await commitFiles(deps.lake, job.output.zone, quarantineDataset, { runId, job: job.name, schema: quarantineSchema, mode: 'append', started, files: [{ key: qKey, rows: q?.rows ?? 0 }] });
      result.quarantineKey = qKey;
    }
    const keys = await upload(deps.lake, staged, prefix);
    uploaded.push(...keys);
    if (staged.length) {
      await commitFiles(deps.lake, job.output.zone, job.output.dataset, {
        runId,
        job: job.name,
        schema,
        mode: job.output.mode === 'append' ? 'append' : 'overwrite-partitions',
        started,
        files: staged.map((f) => ({ key: `${prefix}${f.relative}`, rows: f.rows })),
        ...(options.schemaDrift === 'evolve' ? { evolveSchema: true } : {}),
      });
    }
    uploaded.length = 0;
    result.timings.publishMs = lap();
    result.files = staged.map((f) => `${prefix}${f.relative}`).sort();
    counts.files = staged.length;
    counts.written = staged.reduce((n, f) => n + f.rows, 0);
    result.status = 'succeeded';
    await deps.metadata.finishRun(runId, { status: 'succeeded', finished: new Date(), counts, inputs: [{ unit: unit.unit, version: unit.version }] });
  } catch (error) {
    const wrapped = isTributaryError(error) ? error : new TributaryError('INTERNAL', `Job "${job.name}" run ${runId}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    result.error = wrapped;
    result.status = 'failed';
    await removeObjects(deps.lake, uploaded);
    await deps.metadata.finishRun(runId, { status: 'failed', finished: new Date(), counts, error: `${wrapped.code}: ${wrapped.message}` }).catch(() => undefined);
  } finally {
    connection.closeSync();
    await rm(dir, { recursive: true, force: true });
    result.durationMs = Date.now() - started.getTime();
  }
  return result;
}

/**
 * Merge mode: the new rows, plus the rows of each touched partition's current files whose key the
 * new rows do not have. Written back with overwrite-partitions, so each touched partition is
 * replaced by its merged rows in one commit.
 */
async function mergeWithExisting(connection: DuckDBConnection, lake: Lake, job: BatchJob, source: string): Promise<string> {
  const key = (job.output.key ?? []).map(ident);
  // A key twice among the new rows keeps one of them (the file's last, when rows carry positions).
  const order = (await columnsOf(connection, source)).some((c) => c.name === '_row') ? 'ORDER BY _file DESC, _row DESC' : '';
  await exec(connection, `CREATE OR REPLACE TEMP TABLE _new AS SELECT * FROM ${source} QUALIFY row_number() OVER (PARTITION BY _part, ${key.join(', ')} ${order}) = 1`, `job "${job.name}" merge`);
  let existing: string[] = [];
  try {
    const manifest = await readManifest(lake, job.output.zone, job.output.dataset);
    const column = job.output.partitionBy?.column;
    const touched = new Set((await rows(connection, 'SELECT DISTINCT _part FROM _new', 'merge partitions')).map((r) => (column ? `${column}=${String(r._part)}` : '')));
    existing = await Promise.all(visibleFiles(manifest).filter((f) => touched.has(f.partition)).map((f) => lake.localPath(f.key)));
  } catch (error) {
    if (!isTributaryError(error, 'LAKE_NOT_FOUND')) throw error;
  }
  if (existing.length === 0) return '_new';
  const column = job.output.partitionBy?.column;
  const files = `[${existing.map(literal).join(', ')}]`;
  const old = column
    ? `(SELECT * EXCLUDE (${ident(column)}), ${ident(column)} AS _part FROM read_parquet(${files}, hive_partitioning = true, hive_types = {${literal(column)}: VARCHAR}, union_by_name = true))`
    : `(SELECT *, NULL::VARCHAR AS _part FROM read_parquet(${files}, hive_partitioning = false, union_by_name = true))`;
  await exec(
    connection,
    `CREATE OR REPLACE TEMP TABLE _merged AS SELECT * FROM _new UNION ALL BY NAME (SELECT o.* FROM ${old} o ANTI JOIN _new n ON o._part IS NOT DISTINCT FROM n._part AND ${key.map((k) => `o.${k} IS NOT DISTINCT FROM n.${k}`).join(' AND ')})`,
    `job "${job.name}" merge by ${key.join(', ')}`,
  );
  return '_merged';
}
