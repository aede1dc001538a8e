/**
 * A job's inputs: which files a raw-zone input has in the lake, and the DuckDB views that expose the
 * current inputs (current.ts) to the job's SQL. DuckDB reads the files where they are: a local file,
 * or `s3://` through httpfs, so nothing is copied first.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { TributaryError, isTributaryError } from '../errors.ts';
import { readManifest, visibleFiles } from '../lake/catalog.ts';
import { datasetPrefix, parseKey, partitionPath } from '../lake/keys.ts';
import type { Lake } from '../lake/lake.ts';
import type { Column } from '../lake/manifest.ts';
import type { LakeTables } from '../lake/tables/tables.ts';
import { normaliseHeader, type BatchInput, type DriftPolicy, type FilesInput } from './batch-job.ts';
import { columnsOf, exec, ident, literal } from './duckdb.ts';
import { csvEncodingProblem, firstCsvRecord } from '../lake/csv-header.ts';

export interface InputFile {
  key: string;
  /** What changes when the file does: the lake's etag, or for a manifest-listed file its run and size. */
  etag: string;
  /** `dt=.../hr=...`, or "" for a file directly under the dataset. */
  partition: string;
}

/** A raw input's files in key order: those its manifest lists, or for files without one, a listing. */
export async function inputFiles(lake: Lake, input: BatchInput): Promise<InputFile[]> {
  let listed: InputFile[];
  try {
    const manifest = await readManifest(lake, input.zone, input.dataset);
    listed = visibleFiles(manifest).map((f) => ({ key: f.key, etag: `${f.run}:${f.bytes}`, partition: f.partition }));
    if (input.kind === 'files') {
      // A source may replace a file under the same key; the lake's etag notices, the manifest may not.
      listed = await Promise.all(listed.map(async (f) => ({ ...f, etag: (await lake.head(f.key))?.etag ?? f.etag })));
    }
  } catch (error) {
    if (!isTributaryError(error, 'LAKE_NOT_FOUND') || input.kind !== 'files') throw error;
    listed = [];
    for await (const object of lake.list(datasetPrefix(input.zone, input.dataset))) {
      if (object.key.includes('/_manifest')) continue;
      listed.push({ key: object.key, etag: object.etag, partition: partitionPath(parseKey(object.key).partition) });
    }
  }
  if (input.kind === 'files') {
    const extension = input.extension ?? '.csv';
    listed = listed.filter((f) => f.key.endsWith(extension));
  } else {
    listed = listed.filter((f) => f.key.endsWith('.parquet'));
  }
  return listed;
}

// ---------------------------------------------------------------- views

export interface Drift {
  file: string;
  added: string[];
  missing: string[];
}

export interface ViewResult {
  drift: Drift[];
  /** Columns beyond the expected ones (evolve policy), in first-seen order. */
  extraColumns: string[];
  /** Optional expected columns that none of a CSV input's files has (TransformContext.absentColumns). */
  absentColumns: string[];
  /** The rejects tables DuckDB's CSV reader filled, one per CSV input. */
  rejects: string[];
  /** Local path → lake key of every file read. */
  keys: Map<string, string>;
}

const HEADER_BYTES = 65_536;

/** The first record of a CSV object, split into fields (quoted fields, `""` escapes, CRLF); reads at most 64 KiB. */
export async function readCsvHeader(lake: Lake, key: string): Promise<string[]> {
  const stream = await lake.get(key);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= HEADER_BYTES) break;
    }
  } finally {
    stream.destroy();
  }
  const bytes = Buffer.concat(chunks).subarray(0, HEADER_BYTES);
  const encoding = csvEncodingProblem(bytes);
  if (encoding !== undefined) throw new TributaryError('BATCH_INPUT_INVALID', `${key}: ${encoding}`);
  const { fields, complete } = firstCsvRecord(bytes.toString('utf8'));
  if (complete || bytes.length < HEADER_BYTES) return fields;
  throw new TributaryError('BATCH_INPUT_INVALID', `${key}: no end of the header line in the first 64 KiB`);
}

interface FileView {
  select: string;
  drift?: Drift;
  extras: string[];
  /** Expected columns the file lacks, read as null. */
  missing: string[];
}

/** One CSV file's SELECT: header matched to the expected columns, typed by DuckDB's reader. */
async function csvFileView(lake: Lake, input: FilesInput, key: string, path: string, rejects: string, policy: DriftPolicy, rowNumbers: boolean): Promise<FileView> {
  const header = await readCsvHeader(lake, key);
  const normalise = input.csv.normalise ?? normaliseHeader;
  const byName = new Map<string, (typeof input.csv.columns)[number]>();
  for (const column of input.csv.columns) for (const name of [column.name, ...(column.aliases ?? [])]) byName.set(name, column);
  const seen = new Set<string>();
  const readerColumns: string[] = [];
  const selected: string[] = [];
  const extras: string[] = [];
  header.forEach((raw, index) => {
    const normalised = normalise(raw) || `column_${index}`;
    const column = byName.get(normalised);
    // A repeated header keeps its first occurrence; later ones are extra columns.
    const name = column && !seen.has(column.name) ? column.name : normalised;
    const reader = `c${index}`;
    readerColumns.push(`${literal(reader)}: ${literal(column && name === column.name ? column.type : 'VARCHAR')}`);
    if (column && name === column.name) {
      seen.add(column.name);
      selected.push(`${ident(reader)} AS ${ident(column.name)}`);
    } else {
      extras.push(name);
      selected.push(`${ident(reader)} AS ${ident(name)}`);
    }
  });
  const missing = input.csv.columns.filter((c) => !seen.has(c.name));
  const required = missing.filter((c) => c.required !== false).map((c) => c.name);
  const drift = extras.length > 0 || required.length > 0 ? { file: key, added: extras, missing: required } : undefined;
  if (drift && policy === 'fail') {
    const parts = [extras.length ? `added ${extras.join(', ')}` : '', required.length ? `missing ${required.join(', ')}` : ''].filter(Boolean);
    throw new TributaryError('SCHEMA_DRIFT', `Schema drift in ${key}: ${parts.join('; ')} (input "${input.name}" expects ${input.csv.columns.filter((c) => c.required !== false).length} required columns; drift policy "fail")`);
  }
  for (const column of missing) selected.push(`CAST(NULL AS ${column.type}) AS ${ident(column.name)}`);
  const nulls = (input.csv.nullStrings ?? ['', 'N/A']).map(literal).join(', ');
  const reader =
    `read_csv(${literal(path)}, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', ` +
    `columns = {${readerColumns.join(', ')}}, nullstr = [${nulls}], store_rejects = true, ` +
    `rejects_table = ${literal(rejects)}, rejects_scan = ${literal(`${rejects}_scans`)})`;
  return { select: `SELECT ${literal(key)} AS _file, ${rowNumbers ? 'row_number() OVER ()' : 'NULL::BIGINT'} AS _row, ${selected.join(', ')} FROM ${reader}`, ...(drift ? { drift } : {}), extras, missing: missing.map((c) => c.name) };
}

/**
 * A raw Parquet dataset's files as one relation, by column name. Columns of the dataset's schema that
 * none of these files has are added as nulls, so the input always has the whole schema.
 */
async function datasetSelect(connection: DuckDBConnection, lake: Lake, input: BatchInput, paths: readonly { path: string }[]): Promise<string> {
  const read = `SELECT * FROM read_parquet([${paths.map((p) => literal(p.path)).join(', ')}], hive_partitioning = true, union_by_name = true)`;
  let schema: readonly Column[] = [];
  try {
    schema = (await readManifest(lake, input.zone, input.dataset)).schema;
  } catch (error) {
    if (!isTributaryError(error, 'LAKE_NOT_FOUND')) throw error;
  }
  if (schema.length === 0) return read;
  const present = new Set((await columnsOf(connection, `(${read})`, `input "${input.name}" (${input.zone}/${input.dataset})`)).map((c) => c.name));
  const lacking = schema.filter((c) => !present.has(c.name));
  return lacking.length ? `SELECT *, ${lacking.map((c) => `CAST(NULL AS ${c.type}) AS ${ident(c.name)}`).join(', ')} FROM (${read})` : read;
}

/** Where DuckDB reads a raw object: in place (`engineUri`), or a local copy. */
export type UriOf = (key: string) => Promise<string>;

/**
 * Creates (or replaces) one temp view per input, named after it: a table input over the lake table,
 * file inputs over the given files (views of several files are their union by column name).
 */
export async function createViews(
  connection: DuckDBConnection,
  lake: Lake,
  tables: LakeTables,
  uriOf: UriOf,
  inputs: readonly { input: BatchInput; files: readonly InputFile[] }[],
  policy: DriftPolicy,
  /** Number each CSV row (`_row`, its position in the file). Costs a serial scan: for the quarantine only. */
  rowNumbers = false,
): Promise<ViewResult> {
  const result: ViewResult = { drift: [], extraColumns: [], absentColumns: [], rejects: [], keys: new Map() };
  for (const [index, { input, files }] of inputs.entries()) {
    let body: string;
    if (input.kind === 'dataset' && input.zone !== 'raw') {
      body = files.length ? `SELECT * FROM ${tables.relation(input.zone, input.dataset)}` : `SELECT NULL AS _empty WHERE false`;
      await exec(connection, `CREATE OR REPLACE TEMP VIEW ${ident(input.name)} AS ${body}`, `input "${input.name}" (${input.zone}.${input.dataset})`, 'BATCH_INPUT_INVALID');
      continue;
    }
    const paths = await Promise.all(files.map(async (f) => ({ key: f.key, path: await uriOf(f.key) })));
    for (const p of paths) result.keys.set(p.path, p.key);
    if (input.kind === 'dataset') {
      body = paths.length ? await datasetSelect(connection, lake, input, paths) : `SELECT NULL AS _empty WHERE false`;
    } else {
      const rejects = `_rejects_${index}`;
      result.rejects.push(rejects);
      const selects: string[] = [];
      let absent: Set<string> | undefined;
      for (const p of paths) {
        const view = await csvFileView(lake, input, p.key, p.path, rejects, policy, rowNumbers);
        if (view.drift) result.drift.push(view.drift);
        for (const extra of view.extras) if (!result.extraColumns.includes(extra)) result.extraColumns.push(extra);
        absent = new Set(view.missing.filter((name) => absent?.has(name) ?? true));
        selects.push(view.select);
      }
      const optional = new Set(input.csv.columns.filter((c) => c.required === false).map((c) => c.name));
      for (const name of absent ?? []) if (optional.has(name) && !result.absentColumns.includes(name)) result.absentColumns.push(name);
      // No files: an empty view with the expected columns, so the job's SQL still binds.
      body = selects.length
        ? selects.join('\nUNION ALL BY NAME\n')
        : `SELECT NULL::VARCHAR AS _file, NULL::BIGINT AS _row, ${input.csv.columns.map((c) => `CAST(NULL AS ${c.type}) AS ${ident(c.name)}`).join(', ')} WHERE false`;
    }
    await exec(connection, `CREATE OR REPLACE TEMP VIEW ${ident(input.name)} AS ${body}`, `input "${input.name}" (${input.zone}/${input.dataset})`, 'BATCH_INPUT_INVALID');
  }
  return result;
}
