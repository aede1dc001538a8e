/**
 * Compaction of an archived topic: the small files that short ranges leave in an hour of the raw zone
 * (a quiet topic rolls every `rollMs`) are merged into one file per log partition and hour, so that
 * readers open a few files instead of thousands.
 *
 * What a pass does, for one topic (`compactArchive`):
 * 1. Reads the raw manifest. Hours that ended less than `settleMs` ago are left alone: the archiver
 *    is still adding to them.
 * 2. In each older hour, per log partition, the files below `smallBytes` are a group when there are
 *    at least `minFiles` of them. A group is merged with DuckDB, in offset order, into
 *    `part-p<partition>-<from>-<to>-c<tag>.parquet` (`from`/`to` the lowest and highest of the merged
 *    files), and the merged file is checked to hold exactly the groups' rows: as many, no offset twice.
 * 3. The merged file is committed in mode `replace-files` under run id `compact.<digest of the
 *    replaced keys>`, job `archiver-compact:<topic>`: it takes the place of the group's files and
 *    nothing else, so ranges the archiver commits meanwhile stay. The archiver's positions come from
 *    its own runs (archiver-layout.ts), which compaction leaves as they are.
 * 4. Deletes the objects that compactions replaced at least `keepReplacedMs` ago (readers that listed
 *    the files before the commit may still be reading them until then), and merged files a crashed
 *    pass uploaded but never committed, once they are an hour old.
 *
 * Two passes racing: for the same group they build the same run id, and the catalog commits it once;
 * for overlapping groups the second commit finds a file gone (LAKE_TABLE_CONFLICT). Either way the
 * loser deletes its merged file and counts the group as `lost`; nothing is archived twice.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isTributaryError, TributaryError } from '../errors.ts';
import { commitFiles, readManifest, visibleFiles, type Manifest, type VisibleFile } from '../lake/catalog.ts';
import { datasetPrefix } from '../lake/keys.ts';
import type { Lake } from '../lake/lake.ts';
import type { DuckDBConnection } from '@duckdb/node-api';
import { archiveSchema, topicDataset } from './archiver-layout.ts';
import { literal } from './duckdb.ts';

export interface CompactOptions {
  lake: Lake;
  topic: string;
  /** Leave hours that ended less than this long ago; default 1 h. */
  settleMs?: number;
  /** Merge a partition's files in an hour only when at least this many are small; default 4. */
  minFiles?: number;
  /** Files at or above this size are left as they are; default 32 MiB. */
  smallBytes?: number;
  /** Delete replaced files this long after their compaction; default 15 min. */
  keepReplacedMs?: number;
  now?: () => Date;
  signal?: AbortSignal;
}

export interface CompactionReport {
  topic: string;
  dataset: string;
  /** Groups merged and committed: one merged file each. */
  merged: number;
  /** Files the merged files took the place of. */
  replaced: number;
  rows: number;
  bytesBefore: number;
  bytesAfter: number;
  /** Groups another pass compacted first. */
  lost: number;
  /** Replaced objects deleted after `keepReplacedMs`, and merged files no commit ever listed. */
  deleted: number;
}

const HOUR_MS = 3_600_000;
const ORPHAN_AGE_MS = HOUR_MS;
const FILE = /\/part-p(\d+)-(\d+)-(\d+)-([A-Za-z0-9]+)(?:-\d+)?\.parquet$/;
/** A merged file's writer tag: `c` and 8 hex digits, 9 characters, where the archiver's tags have 8. */
const MERGED_TAG = /^c[0-9a-f]{8}$/;
const HOUR = /^dt=(\d{4})-(\d{2})-(\d{2})\/hr=(\d{2})$/;

export function compactionJob(topic: string): string {
  return `archiver-compact:${topic}`;
}

interface Group {
  partition: string;
  logPartition: number;
  files: VisibleFile[];
}

/** The groups of `manifest` worth merging, oldest hour first. */
function groupsOf(manifest: Manifest, now: number, settleMs: number, minFiles: number, smallBytes: number): Group[] {
  const byKey = new Map<string, Group>();
  for (const file of visibleFiles(manifest)) {
    const hour = HOUR.exec(file.partition);
    const name = FILE.exec(file.key);
    if (!hour || !name || file.bytes >= smallBytes) continue;
    const end = Date.UTC(Number(hour[1]), Number(hour[2]) - 1, Number(hour[3]), Number(hour[4])) + HOUR_MS;
    if (end + settleMs > now) continue;
    const id = `${file.partition}\u0000${name[1]}`;
    const group = byKey.get(id) ?? { partition: file.partition, logPartition: Number(name[1]), files: [] };
    group.files.push(file);
    byKey.set(id, group);
  }
  return [...byKey.values()].filter((g) => g.files.length >= minFiles);
}

/** One pass over `topic`'s archive; see the module comment. */
export async function compactArchive(options: CompactOptions): Promise<CompactionReport> {
  const { lake, topic } = options;
  const dataset = topicDataset(topic);
  const now = options.now ?? (() => new Date());
  const report: CompactionReport = { topic, dataset, merged: 0, replaced: 0, rows: 0, bytesBefore: 0, bytesAfter: 0, lost: 0, deleted: 0 };
  let manifest: Manifest;
  try {
    manifest = await readManifest(lake, 'raw', dataset);
  } catch (error) {
    if (isTributaryError(error, 'LAKE_NOT_FOUND')) return report;
    throw error;
  }
  const groups = groupsOf(manifest, now().getTime(), options.settleMs ?? HOUR_MS, Math.max(2, options.minFiles ?? 4), options.smallBytes ?? 32 * 1024 * 1024);
  if (groups.length > 0) {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const staging = await mkdtemp(path.join(tmpdir(), 'tributary-compact-'));
    const tag = `c${randomBytes(4).toString('hex')}`;
    try {
      for (const group of groups) {
        options.signal?.throwIfAborted();
        await mergeGroup({ lake, topic, dataset, group, tag, staging, report }, c);
      }
    } finally {
      c.closeSync();
      db.closeSync();
      await rm(staging, { recursive: true, force: true });
    }
  }
  report.deleted = await deleteReplaced(lake, topic, dataset, now().getTime(), options.keepReplacedMs ?? 15 * 60_000);
  return report;
}

interface Merge {
  lake: Lake;
  topic: string;
  dataset: string;
  group: Group;
  tag: string;
  staging: string;
  report: CompactionReport;
}

async function mergeGroup(m: Merge, c: DuckDBConnection): Promise<void> {
  const { lake, group, report } = m;
  const keys = group.files.map((f) => f.key).sort();
  const ranges = keys.map((k) => FILE.exec(k)!);
  const from = Math.min(...ranges.map((r) => Number(r[2])));
  const to = Math.max(...ranges.map((r) => Number(r[3])));
  const rows = group.files.reduce((n, f) => n + f.rows, 0);
  const runId = `compact.${createHash('sha256').update(keys.join('\n')).digest('hex').slice(0, 24)}`;
  const key = `raw/${m.dataset}/${group.partition}/part-p${group.logPartition}-${from}-${to}-${m.tag}.parquet`;
  const local = path.join(m.staging, `${runId}.parquet`);
  const inputs = await Promise.all(keys.map((k) => lake.localPath(k)));
  const columns = archiveSchema.map((col) => `"${col.name}"`).join(', ');
  const meta = { 'tributary.topic': m.topic, 'tributary.partition': String(group.logPartition), 'tributary.from': String(from), 'tributary.to': String(to) };
  const kv = Object.entries(meta).map(([k, v]) => `${literal(k)}: ${literal(v)}`).join(', ');
  await c.run(`COPY (SELECT ${columns} FROM read_parquet([${inputs.map(literal).join(', ')}]) ORDER BY "offset") TO ${literal(local)} (FORMAT parquet, COMPRESSION snappy, KV_METADATA {${kv}})`);
  const check = (await c.runAndReadAll(`SELECT count(*)::DOUBLE, count(DISTINCT "offset")::DOUBLE, count(*) FILTER ("partition" <> ${group.logPartition})::DOUBLE FROM read_parquet(${literal(local)})`)).getRows()[0]!;
  const [written, distinct, foreign] = check.map(Number) as [number, number, number];
  if (written !== rows || distinct !== rows || foreign !== 0) {
    throw new TributaryError('INTERNAL', `Compaction of raw/${m.dataset} ${group.partition} partition ${group.logPartition}: the manifest lists ${rows} rows in ${keys.length} files, the merged file holds ${written} (${distinct} distinct offsets, ${foreign} of other partitions)`);
  }
  const object = await lake.put(key, createReadStream(local), { contentType: 'application/vnd.apache.parquet' });
  await rm(local, { force: true });
  let committed = false;
  try {
    const after = await commitFiles(lake, 'raw', m.dataset, { runId, job: compactionJob(m.topic), schema: [...archiveSchema], mode: 'replace-files', replaces: keys, files: [{ key, rows, bytes: object.size }] });
    committed = after.runs[runId]?.files.includes(key) === true;
  } catch (error) {
    if (!isTributaryError(error, 'LAKE_TABLE_CONFLICT')) {
      await lake.delete(key).catch(() => undefined);
      throw error;
    }
  }
  if (!committed) {
    await lake.delete(key);
    report.lost++;
    return;
  }
  report.merged++;
  report.replaced += keys.length;
  report.rows += rows;
  report.bytesBefore += group.files.reduce((n, f) => n + f.bytes, 0);
  report.bytesAfter += object.size;
}

/** Deletes what compactions replaced `keep` ms ago or more, and merged files never committed (an hour old). */
async function deleteReplaced(lake: Lake, topic: string, dataset: string, now: number, keep: number): Promise<number> {
  let manifest: Manifest;
  try {
    manifest = await readManifest(lake, 'raw', dataset);
  } catch (error) {
    if (isTributaryError(error, 'LAKE_NOT_FOUND')) return 0;
    throw error;
  }
  const job = compactionJob(topic);
  const visible = new Set(visibleFiles(manifest).map((f) => f.key));
  const committed = new Set(Object.values(manifest.runs).flatMap((r) => r.files));
  const expired = new Set<string>();
  for (const run of Object.values(manifest.runs)) {
    if (run.job === job && Date.parse(run.finished) + keep <= now) for (const key of run.replaced) expired.add(key);
  }
  let deleted = 0;
  for await (const object of lake.list(datasetPrefix('raw', dataset))) {
    if (visible.has(object.key)) continue;
    const name = FILE.exec(object.key);
    const orphan = MERGED_TAG.test(name?.[4] ?? '') && !committed.has(object.key) && object.modified.getTime() + ORPHAN_AGE_MS <= now;
    if (!expired.has(object.key) && !orphan) continue;
    await lake.delete(object.key);
    deleted++;
  }
  return deleted;
}
