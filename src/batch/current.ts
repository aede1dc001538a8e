/**
 * The current set of a job's inputs: what its output is a function of (docs/batch.md, "The
 * incremental rule").
 *
 * - A files input (CSVs a source downloaded to the raw zone): for each source resource, the file of
 *   its latest version. A resource is what the file's sidecar (`<key>.meta.json`) names as
 *   `resource.id`; a file without a sidecar is its own resource, named by its file name without a
 *   `-<hash>` suffix. Latest: the highest download day (`dt=`), then the latest `fetchedAt` (the
 *   lake's modification time without a sidecar). A resource the source's latest package listing
 *   (`_package-*.json`) no longer has is removed: it is in no current set.
 * - A dataset input in processed or curated (a lake table): the table as it is, its version the last
 *   snapshot that changed it. A raw dataset (an archiver's Parquet files): every file its manifest lists.
 *
 * Every current file has an etag that changes when its bytes do, so comparing two current sets
 * gives the resources added, changed and removed.
 */
import type { Lake } from '../lake/lake.ts';
import { ident, literal, query } from '../lake/tables/sql.ts';
import type { LakeTables, TableZone } from '../lake/tables/tables.ts';
import type { BatchInput, DatasetInput, FilesInput } from './batch-job.ts';
import { inputFiles, type InputFile } from './inputs.ts';

export interface CurrentFile extends InputFile {
  /** The resource this file is the latest version of. */
  resource: string;
}

export interface CurrentInput {
  input: BatchInput;
  /** Files inputs: one file per resource, in key order. A dataset input: one entry for the table. */
  files: CurrentFile[];
  /** Files of the input that are not current (older versions, removed resources). */
  superseded: number;
}

interface Sidecar {
  resource?: { id?: unknown };
  download?: { fetchedAt?: unknown };
}

interface PackageListing {
  fetchedAt?: unknown;
  resources?: { id?: unknown }[];
}

const HASH_SUFFIX = /-[0-9a-f]{12}(?:[0-9a-f]{52})?(?=\.[^./]+$)/;

function fileResource(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  return `file:${name.replace(HASH_SUFFIX, '')}`;
}

async function readJson<T>(lake: Lake, key: string): Promise<T | undefined> {
  if (!(await lake.head(key))) return undefined;
  try {
    return JSON.parse((await lake.getBytes(key)).toString('utf8')) as T;
  } catch {
    // A sidecar that is not JSON tells nothing: the file stands for itself.
    return undefined;
  }
}

/** The resource ids of the newest package listing under the dataset, if the source writes them. */
async function listedResources(lake: Lake, input: FilesInput): Promise<Set<string> | undefined> {
  let newest: { order: string; ids: Set<string> } | undefined;
  for await (const object of lake.list(`${input.zone}/${input.dataset}/`)) {
    if (!/\/_package-[^/]+\.json$/.test(object.key)) continue;
    const listing = await readJson<PackageListing>(lake, object.key);
    if (!listing || !Array.isArray(listing.resources)) continue;
    const order = `${/dt=([^/]+)/.exec(object.key)?.[1] ?? ''}|${typeof listing.fetchedAt === 'string' ? listing.fetchedAt : object.modified.toISOString()}`;
    if (!newest || order > newest.order) newest = { order, ids: new Set(listing.resources.map((r) => String(r.id))) };
  }
  return newest?.ids;
}

async function currentFilesOf(lake: Lake, input: FilesInput): Promise<CurrentInput> {
  const files = await inputFiles(lake, input);
  const listed = await listedResources(lake, input);
  const latest = new Map<string, { file: CurrentFile; order: string }>();
  let superseded = 0;
  for (const file of files) {
    const sidecar = await readJson<Sidecar>(lake, `${file.key}.meta.json`);
    const id = typeof sidecar?.resource?.id === 'string' ? sidecar.resource.id : undefined;
    if (id !== undefined && listed && !listed.has(id)) {
      superseded++;
      continue;
    }
    const resource = id !== undefined ? `ckan:${id}` : fileResource(file.key);
    const fetched = typeof sidecar?.download?.fetchedAt === 'string' ? sidecar.download.fetchedAt : ((await lake.head(file.key))?.modified.toISOString() ?? '');
    const order = `${/dt=([^/]+)/.exec(file.partition)?.[1] ?? ''}|${fetched}|${file.key}`;
    const before = latest.get(resource);
    if (before) superseded++;
    if (!before || order > before.order) latest.set(resource, { file: { ...file, resource }, order });
  }
  const current = [...latest.values()].map((v) => v.file).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { input, files: current, superseded };
}

/** The last snapshot that changed a table (created, altered, inserted into or deleted from it). */
export async function tableVersion(tables: LakeTables, zone: TableZone, dataset: string): Promise<string | undefined> {
  const c = await tables.instance.connect();
  try {
    // The catalog's own tables: in `main` of a DuckDB file, in METADATA_SCHEMA (e.g. `public_lake`) of
    // PostgreSQL, where the metadata database's default schema holds nothing.
    const meta = `${ident(`__ducklake_metadata_${tables.alias}`)}.${ident(tables.metadataSchema)}`;
    const [table] = await query(
      c,
      `SELECT t.table_id FROM ${meta}.ducklake_table t JOIN ${meta}.ducklake_schema s USING (schema_id)
       WHERE t.end_snapshot IS NULL AND s.end_snapshot IS NULL AND s.schema_name = ${literal(zone)} AND t.table_name = ${literal(dataset)}`,
    );
    if (!table) return undefined;
    const id = String(table.table_id);
    const [last] = await query(
      c,
      `SELECT max(snapshot_id) AS v FROM (SELECT snapshot_id, unnest(map_values(changes)) AS names FROM "${tables.alias}".snapshots())
       WHERE list_contains(names, ${literal(id)}) OR list_contains(names, ${literal(`${zone}.${dataset}`)})`,
    );
    return `${id}@${last?.v === null || last?.v === undefined ? 'expired' : Number(last.v)}`;
  } finally {
    c.closeSync();
  }
}

async function currentTableOf(tables: LakeTables, input: DatasetInput): Promise<CurrentInput> {
  const version = await tableVersion(tables, input.zone as TableZone, input.dataset);
  const key = `${input.zone}.${input.dataset}`;
  return { input, files: version === undefined ? [] : [{ key, etag: version, partition: '', resource: `table:${key}` }], superseded: 0 };
}

export async function currentInputs(lake: Lake, tables: LakeTables, inputs: readonly BatchInput[]): Promise<CurrentInput[]> {
  const current: CurrentInput[] = [];
  for (const input of inputs) {
    if (input.kind === 'files') current.push(await currentFilesOf(lake, input));
    else if (input.zone === 'raw') current.push({ input, files: (await inputFiles(lake, input)).map((f) => ({ ...f, resource: `file:${f.key}` })), superseded: 0 });
    else current.push(await currentTableOf(tables, input));
  }
  return current;
}
