/**
 * One run of a batch job over its current inputs (current.ts): views over them → the transform,
 * materialised once → counts and the error budget → the quarantine → one lake transaction that
 * replaces the touched output partitions, the quarantine and the input state. Nothing is visible
 * before that commit, and a run that fails anywhere commits nothing.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { TributaryError, isTributaryError } from '../errors.ts';
import type { Lake } from '../lake/lake.ts';
import { tableFiles } from '../lake/tables/maintenance.ts';
import type { LakeTables, TableZone } from '../lake/tables/tables.ts';
import { prepareTable, replacePartitions } from '../lake/tables/write.ts';
import type { MetadataStore, RunCounts } from '../metadata/metadata.ts';
import type { BatchJob, DriftPolicy, ErrorBudget } from './batch-job.ts';
import { ensureCompanions, replaceQuarantine, writeInputState, type InputState } from './batch-tables.ts';
import type { CurrentInput } from './current.ts';
import { columnsOf, exec, ident, literal, rows } from './duckdb.ts';
import { createViews, type Drift, type UriOf } from './inputs.ts';
import { applyRecords } from './records.ts';
import { budgetError, committedSchema, rejectTables, rejectsSelect, transform } from './transform.ts';

export interface UnitPlan {
  inputs: readonly CurrentInput[];
  /** Keys of current files that are new or changed since the output was last computed. */
  changed: ReadonlySet<string>;
  /** Output partitions the old rows of changed and removed resources went to; `all` rebuilds the output. */
  oldPartitions: ReadonlySet<string> | 'all';
}

export interface UnitDeps {
  lake: Lake;
  metadata: MetadataStore;
  tables: LakeTables;
  uriOf: UriOf;
}

export interface UnitOptions {
  runId: string;
  errorBudget: ErrorBudget;
  schemaDrift: DriftPolicy;
}

export interface UnitResult {
  /** Always `*`: a run covers the job's whole current input. */
  unit: string;
  runId: string;
  status: 'succeeded' | 'failed';
  counts: RunCounts;
  /** The lake snapshot the run committed. */
  snapshot?: number;
  /** The output partitions the run replaced (`all`: the whole table). */
  partitions: string[] | 'all';
  drift: Drift[];
  error?: TributaryError;
  durationMs: number;
  /** Where the time went: scan (read, transform, materialise), check (counts, budget, quarantine), publish (the transaction). */
  timings: { scanMs: number; checkMs: number; publishMs: number };
}

/** What a run's commit message holds (JSON), so a run killed after its commit can be recognised. */
export interface CommitNote {
  job: string;
  run: string;
  counts: RunCounts;
}

const ok = '_error IS NULL AND _dropped IS NULL';
const inList = (values: Iterable<string>) => `(${[...values].map(literal).join(', ') || 'NULL'})`;

export async function runUnit(job: BatchJob, plan: UnitPlan, deps: UnitDeps, options: UnitOptions): Promise<UnitResult> {
  const started = new Date();
  const { runId } = options;
  const zone = job.output.zone as TableZone;
  const dataset = job.output.dataset;
  const counts: RunCounts = { read: 0, written: 0, quarantined: 0, filtered: 0, files: 0 };
  const result: UnitResult = { unit: '*', runId, status: 'failed', counts, partitions: [], drift: [], durationMs: 0, timings: { scanMs: 0, checkMs: 0, publishMs: 0 } };
  let mark = performance.now();
  const lap = () => {
    const now = performance.now();
    const ms = Math.round(now - mark);
    mark = now;
    return ms;
  };
  await deps.metadata.startRun({ job: job.name, runId, unit: '*', started });
  const connection = await deps.tables.instance.connect();
  try {
    const inputs = plan.inputs.map((i) => ({ input: i.input, files: i.files }));
    // Without row numbers first: numbering rows in file order would serialise the scan.
    const views = await createViews(connection, deps.lake, deps.tables, deps.uriOf, inputs, options.schemaDrift, false);
    result.drift = views.drift;
    const whole = await transform(connection, job, views);
    // Materialised in one full scan, which also fills the CSV reader's rejects: the counts and the
    // budget must hold before anything is written. (Scanning twice instead, the first time only the
    // columns that decide a row's status, leaves the rejects of the other columns to the second
    // scan, after the budget check.)
    await exec(connection, 'CREATE OR REPLACE TEMP TABLE _rows AS SELECT * FROM _result', `job "${job.name}" transform`);
    const resultColumns = new Set((await columnsOf(connection, '_rows')).map((c) => c.name));
    const fileColumn = resultColumns.has('_file') ? '_file' : 'NULL::VARCHAR';
    const groups = await rows(
      connection,
      `SELECT ${fileColumn} AS _file, _part, count(*) AS n, count(_error) AS bad, count(*) FILTER (_error IS NULL AND _dropped IS NOT NULL) AS dropped FROM _rows GROUP BY ALL`,
      'counting',
    );
    result.timings.scanMs = lap();

    // Counts, and the budget, before anything reaches the lake.
    const rejects = await rejectTables(connection, views.rejects);
    const rejected = rejects.length ? Number((await rows(connection, `SELECT count(*) AS n FROM (${rejectsSelect(rejects, views.keys).join(' UNION ALL ')})`, 'counting rejects'))[0]?.n ?? 0) : 0;
    const sum = (key: string) => groups.reduce((n, g) => n + Number(g[key] ?? 0), 0);
    counts.read = sum('n') + rejected;
    counts.quarantined = sum('bad') + rejected;
    counts.filtered = sum('dropped');
    const overBudget = budgetError(job, runId, counts, options.errorBudget);
    if (overBudget) throw overBudget;

    // The quarantine of the current inputs: rows the SQL marked malformed, found again with their row
    // numbers (a second scan, only when there are any), and the lines DuckDB's CSV reader rejected.
    let quarantine: string | undefined;
    if (counts.quarantined > 0) {
      await createViews(connection, deps.lake, deps.tables, deps.uriOf, inputs, options.schemaDrift, true);
      await transform(connection, job, views);
      const columns = new Set((await columnsOf(connection, '_result')).map((c) => c.name));
      const file = columns.has('_file') ? '_file' : 'NULL::VARCHAR';
      const row = columns.has('_row') ? '_row::BIGINT' : 'NULL::BIGINT';
      const semantic = `SELECT ${file} AS _file, ${row} AS _row, NULL::BIGINT AS _line, _error, to_json(t)::VARCHAR AS record FROM (SELECT * EXCLUDE (_dropped) FROM _result WHERE _error IS NOT NULL) t`;
      const all = [semantic, ...rejectsSelect(rejects, views.keys)].join('\nUNION ALL\n');
      await exec(connection, `CREATE OR REPLACE TEMP TABLE _quarantine AS SELECT _file AS file, _row AS "row", _line AS line, _error AS error, record FROM (${all}) ORDER BY file, coalesce("row", line)`, `job "${job.name}" quarantine`);
      quarantine = 'SELECT * FROM _quarantine';
    }

    // Which output partitions this run replaces: those the old rows of changed and removed resources
    // went to, and those the new rows of changed resources go to.
    const by = job.output.partitionBy;
    // The output partitions each input file's rows go to (its rows that are written).
    const perFile = new Map<string, string[]>();
    for (const g of groups) {
      if (typeof g._file !== 'string' || typeof g._part !== 'string' || Number(g.n) - Number(g.bad) - Number(g.dropped) <= 0) continue;
      const parts = perFile.get(g._file) ?? [];
      parts.push(g._part);
      perFile.set(g._file, parts);
    }
    for (const parts of perFile.values()) parts.sort();
    let touched: Set<string> | 'all' = plan.oldPartitions === 'all' || !by || !resultColumns.has('_file') ? 'all' : new Set(plan.oldPartitions);
    if (touched !== 'all') for (const key of plan.changed) for (const p of perFile.get(key) ?? []) touched.add(p);
    if (touched !== 'all' && job.output.mode === 'append') touched = new Set();
    result.partitions = touched === 'all' ? 'all' : [...touched].sort();

    // The rows to write: append adds the changed files' rows; the other modes recompute the touched
    // partitions from every current input.
    const filter =
      job.output.mode === 'append'
        ? plan.oldPartitions === 'all' || !resultColumns.has('_file') ? '' : ` AND _file IN ${inList(plan.changed)}`
        : touched === 'all' ? '' : ` AND _part IN ${inList(touched)}`;
    let source = `(SELECT * EXCLUDE (_error, _dropped) FROM _rows WHERE ${ok}${filter})`;
    if (job.transform.records) {
      const applied = await applyRecords(connection, job.transform.records, source);
      counts.filtered += applied.dropped;
      source = '_records';
    }
    if (job.output.mode === 'merge') source = await dedupe(connection, job, source);
    const hidden = (await columnsOf(connection, source)).filter((c) => c.name.startsWith('_')).map((c) => ident(c.name));
    const exclude = hidden.length ? `EXCLUDE (${hidden.join(', ')})` : '';
    // The partition column has the type of its expression (a `dt` is a DATE), whatever the path says.
    const partType = !by ? undefined : by.column === 'dt' ? 'DATE' : ((await columnsOf(connection, `(SELECT (${by.expr}) AS v FROM _transform)`))[0]?.type ?? 'VARCHAR');
    const partition = by ? `, CAST(_part AS ${partType}) AS ${ident(by.column)}` : '';
    const dataSelect = `SELECT * ${exclude}${partition} FROM ${source}`;
    const schema = committedSchema(await columnsOf(connection, `(${dataSelect})`), whole && by ? [...whole, { name: by.column, type: partType ?? 'VARCHAR' }] : whole);
    result.timings.checkMs = lap();

    const state: InputState[] = plan.inputs.flatMap((i) =>
      i.files.map((f) => ({ input: i.input.name, resource: f.resource, file: f.key, etag: f.etag, partitions: i.input.kind === 'files' && resultColumns.has('_file') ? (perFile.get(f.key) ?? []) : null, runId })),
    );
    const before = await tableFiles(deps.tables, zone, dataset).catch(() => [] as string[]);
    const note: CommitNote = { job: job.name, run: runId, counts };
    const committed = await deps.tables.transaction(async (c) => {
      await ensureCompanions(c, deps.tables, zone, dataset);
      await prepareTable(c, deps.tables, { zone, dataset, columns: schema, ...(by ? { partitionBy: by.column } : {}), evolve: options.schemaDrift === 'evolve' });
      const name = deps.tables.qualified(zone, dataset);
      if (job.output.mode === 'append') {
        const inserted = await c.run(`INSERT INTO ${name} BY NAME ${dataSelect}`);
        counts.written = Number(inserted.rowsChanged);
      } else {
        counts.written = await replacePartitions(c, deps.tables, { zone, dataset, ...(by ? { partitionBy: by.column } : {}) }, touched === 'all' ? 'all' : [...touched], dataSelect);
      }
      await replaceQuarantine(c, deps.tables, zone, dataset, quarantine, runId);
      await writeInputState(c, deps.tables, zone, dataset, state);
    }, JSON.stringify(note), connection);
    result.snapshot = committed.snapshot;
    const known = new Set(before);
    counts.files = (await tableFiles(deps.tables, zone, dataset)).filter((f) => !known.has(f)).length;
    result.timings.publishMs = lap();
    result.status = 'succeeded';
    await deps.metadata.finishRun(runId, { status: 'succeeded', finished: new Date(), counts });
  } catch (error) {
    const wrapped = isTributaryError(error) ? error : new TributaryError('INTERNAL', `Job "${job.name}" run ${runId}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    result.error = wrapped;
    result.status = 'failed';
    await deps.metadata.finishRun(runId, { status: 'failed', finished: new Date(), counts, error: `${wrapped.code}: ${wrapped.message}` }).catch(() => undefined);
  } finally {
    connection.closeSync();
    result.durationMs = Date.now() - started.getTime();
  }
  return result;
}

/**
 * Merge mode: one row per key within each partition. Of rows with the same key, the one from the
 * latest input file wins (file keys start with their download day), and within a file the last.
 */
async function dedupe(connection: DuckDBConnection, job: BatchJob, source: string): Promise<string> {
  const key = (job.output.key ?? []).map(ident);
  const columns = new Set((await columnsOf(connection, source)).map((c) => c.name));
  const order = [columns.has('_file') ? '_file DESC' : '', columns.has('_row') ? '_row DESC' : ''].filter(Boolean).join(', ');
  await exec(connection, `CREATE OR REPLACE TEMP TABLE _merged AS SELECT * FROM ${source} QUALIFY row_number() OVER (PARTITION BY _part, ${key.join(', ')}${order ? ` ORDER BY ${order}` : ''}) = 1`, `job "${job.name}" merge by ${key.join(', ')}`);
  return '_merged';
}
