/**
 * The raw zone's catalog: which files make up each raw dataset (archived log ranges, downloaded
 * files), and which run wrote them. The processed and curated zones are DuckLake tables instead
 * (tables/); the raw zone keeps this one because its objects stay as they came, and the archiver
 * resumes exactly once by committing each range under its run id. The manifest format is described
 * in manifest.ts; this module stores and commits it.
 *
 * Storage, per dataset:
 * - `<zone>/<dataset>/_manifest/<version>.json`: one immutable snapshot per commit, the version
 *   zero-padded to 12 digits so key order is version order. The highest version is the manifest.
 * - `<zone>/<dataset>/_manifest.json`: a copy of the newest snapshot, for people and for tools that
 *   want one file to read. Tributary never reads it; it may lag a commit, or (two writers racing)
 *   briefly hold the older of two, until the next commit rewrites it.
 *
 * Commit protocol (optimistic, no locks):
 * 1. List `_manifest/`, read the highest version N (none: N = 0). If its runs already hold this run
 *    id, the commit happened (a retry after a lost reply): return that manifest.
 * 2. Apply the commit to it, giving version N+1, and create `_manifest/<N+1>.json` only if that key is
 *    free (`putIfAbsent`: link(2) on fs, `If-None-Match: *` on S3). Of two writers that both read N,
 *    exactly one creates N+1; the other re-reads N+1 and applies its commit on top, as N+2. So two
 *    concurrent commits never lose each other's files: both land, in some order, and an overwrite
 *    applies to what the commits before it left; a `replace-files` commit (a compaction) keeps every
 *    file it does not replace, and fails when one it replaces is gone. After `maxAttempts` lost races
 *    the commit fails with LAKE_UNAVAILABLE (retryable; retrying it is safe, see step 1).
 * 3. List `_manifest/` again. Old snapshots are pruned (all but the newest `keepVersions`), and a
 *    writer that read long ago could re-create a pruned version number; it then sees a higher version
 *    that does not contain its run, deletes its snapshot (which nobody reads: it is not the highest),
 *    and starts over. A higher version that does contain the run was built on it: all is well.
 * 4. Copy the snapshot to `_manifest.json` (if it is still the newest) and prune.
 *
 * Why versioned snapshots and create-if-absent rather than one `_manifest.json` replaced with
 * `If-Match`: MinIO supports both conditional PUTs (checked: 412 on a taken key or a stale ETag), but
 * a local directory has no compare-and-swap for a replace, only for a create (link fails on an
 * existing name). Versioned snapshots give both backends the same lock-free protocol, with no lock
 * file for a crashed writer to leave behind, and history for free.
 *
 * A file is part of a dataset only if the manifest lists it. Files a job wrote and never committed
 * (it crashed, or lost) are invisible, whatever a directory listing shows.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TributaryError, isTributaryError } from '../errors.ts';

import { compareKeys, datasetPrefix, parseKey, partitionPath, type Partition } from './keys.ts';
import type { Lake, Zone } from './lake.ts';
import { applyCommit, manifestSchema, type Column, type CommitMode, type Manifest, type StagedFile } from './manifest.ts';

export { visibleFiles, type Column, type CommitMode, type Manifest, type ManifestFile, type ManifestRun, type VisibleFile } from './manifest.ts';

export interface CommitFile {
  key: string;
  /** When given, must be the partition the key's path names; derived from the key otherwise. */
  partition?: Partition;
  rows: number;
  /** When given, must equal the object's size in the lake. The manifest records the lake's size. */
  bytes?: number;
}

export interface Commit {
  /** Unique per run of a job; committing one run id twice is a no-op. */
  runId: string;
  job: string;
  schema: Column[];
  files: CommitFile[];
  mode: CommitMode;
  /** For mode `replace-files`, required: the visible files that `files` take the place of. */
  replaces?: readonly string[];
  /** When the run started; default: the commit time. */
  started?: Date;
}

export interface CommitOptions {
  /** Snapshots kept besides the newest ones, for history and for readers mid-read. Default 10. */
  keepVersions?: number;
  /** Lost races before giving up. Default 20. */
  maxAttempts?: number;
}

const VERSION_DIGITS = 12;
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

const snapshotPrefix = (zone: Zone, dataset: string) => `${datasetPrefix(zone, dataset)}_manifest/`;
const snapshotKey = (zone: Zone, dataset: string, version: number) => `${snapshotPrefix(zone, dataset)}${String(version).padStart(VERSION_DIGITS, '0')}.json`;
const pointerKey = (zone: Zone, dataset: string) => `${datasetPrefix(zone, dataset)}_manifest.json`;

/** The snapshot versions present, ascending. */
async function listVersions(lake: Lake, zone: Zone, dataset: string): Promise<number[]> {
  const prefix = snapshotPrefix(zone, dataset);
  const versions: number[] = [];
  for await (const object of lake.list(prefix)) {
    const match = /^(\d+)\.json$/.exec(object.key.slice(prefix.length));
    if (match) versions.push(Number(match[1]));
  }
  return versions.sort((a, b) => a - b);
}

async function readSnapshot(lake: Lake, zone: Zone, dataset: string, version: number): Promise<Manifest> {
  const key = snapshotKey(zone, dataset, version);
  const bytes = await lake.getBytes(key);
  let parsed;
  try {
    parsed = manifestSchema.safeParse(JSON.parse(bytes.toString('utf8')));
  } catch (error) {
    throw new TributaryError('LAKE_UNAVAILABLE', `Manifest "${key}" is not JSON`, { cause: error, retryable: false });
  }
  if (!parsed.success) {
    throw new TributaryError('LAKE_UNAVAILABLE', `Manifest "${key}" is not a valid manifest: ${parsed.error.message}`, { cause: parsed.error, retryable: false });
  }
  if (parsed.data.zone !== zone || parsed.data.dataset !== dataset || parsed.data.version !== version) {
    throw new TributaryError('LAKE_UNAVAILABLE', `Manifest "${key}" describes ${parsed.data.zone}/${parsed.data.dataset} version ${parsed.data.version}`, { retryable: false });
  }
  return parsed.data;
}

/** The newest manifest, or undefined for a dataset never committed. */
async function latest(lake: Lake, zone: Zone, dataset: string): Promise<{ manifest?: Manifest; versions: number[] }> {
  for (let attempt = 1; ; attempt++) {
    const versions = await listVersions(lake, zone, dataset);
    const newest = versions.at(-1);
    if (newest === undefined) return { versions };
    try {
      return { manifest: await readSnapshot(lake, zone, dataset, newest), versions };
    } catch (error) {
      // Pruned, or an orphan deleted, between the list and the read: list again. A snapshot that
      // stays listed yet unreadable is a broken store, not a race.
      if (!isTributaryError(error, 'LAKE_NOT_FOUND') || attempt >= 10) throw error;
    }
  }
}

/** The dataset's current manifest; LAKE_NOT_FOUND when the dataset has never been committed. */
export async function readManifest(lake: Lake, zone: Zone, dataset: string): Promise<Manifest> {
  const { manifest } = await latest(lake, zone, dataset);
  if (!manifest) throw new TributaryError('LAKE_NOT_FOUND', `No dataset ${zone}/${dataset} in the lake (it has no manifest)`);
  return manifest;
}

/**
 * The dataset's manifest as of a version (LAKE_NOT_FOUND when that version is not kept), or as of a
 * time: the newest version committed at or before it.
 */
export async function readManifestAt(lake: Lake, zone: Zone, dataset: string, asOf: { version: number } | { time: Date }): Promise<Manifest> {
  const versions = await listVersions(lake, zone, dataset);
  if (versions.length === 0) throw new TributaryError('LAKE_NOT_FOUND', `No dataset ${zone}/${dataset} in the lake (it has no manifest)`);
  const kept = `it keeps versions ${versions[0]} to ${versions.at(-1)}`;
  if ('version' in asOf) {
    if (!versions.includes(asOf.version)) throw new TributaryError('LAKE_NOT_FOUND', `No version ${asOf.version} of ${zone}/${dataset}: ${kept}`);
    return readSnapshot(lake, zone, dataset, asOf.version);
  }
  for (const version of [...versions].reverse()) {
    const manifest = await readSnapshot(lake, zone, dataset, version);
    if (Date.parse(manifest.committed) <= asOf.time.getTime()) return manifest;
  }
  throw new TributaryError('LAKE_NOT_FOUND', `No version of ${zone}/${dataset} committed at or before ${asOf.time.toISOString()}: ${kept}`);
}

/** Checks the commit and stats its files once, before any attempt. */
async function stage(lake: Lake, zone: Zone, dataset: string, commit: Commit): Promise<StagedFile[]> {
  if (!RUN_ID.test(commit.runId)) throw new TributaryError('LAKE_INVALID_KEY', `Invalid run id ${JSON.stringify(commit.runId)}: expected letters, digits and . _ : -`);
  const names = new Set<string>();
  for (const column of commit.schema) {
    if (!column.name || !column.type || names.has(column.name)) {
      throw new TributaryError('SCHEMA_VALIDATION', `Run "${commit.runId}": schema column ${JSON.stringify(column)} is unnamed, untyped or repeated`);
    }
    names.add(column.name);
  }
  if ((commit.mode === 'replace-files') !== (commit.replaces !== undefined && commit.replaces.length > 0)) {
    throw new TributaryError('LAKE_INVALID_KEY', `Run "${commit.runId}": ${commit.mode === 'replace-files' ? "mode 'replace-files' needs the keys it replaces" : `only mode 'replace-files' replaces files, not '${commit.mode}'`}`);
  }
  const seen = new Set<string>();
  const parsed = commit.files.map((file) => {
    const key = parseKey(file.key);
    if (key.zone !== zone || key.dataset !== dataset) {
      throw new TributaryError('LAKE_INVALID_KEY', `Run "${commit.runId}" commits "${file.key}" to ${zone}/${dataset}, but the key is outside that dataset`);
    }
    if (file.partition && partitionPath(file.partition) !== partitionPath(key.partition)) {
      throw new TributaryError('LAKE_INVALID_KEY', `Run "${commit.runId}" commits "${file.key}" as partition "${partitionPath(file.partition)}", but its path says "${partitionPath(key.partition)}"`);
    }
    if (seen.has(file.key)) throw new TributaryError('LAKE_INVALID_KEY', `Run "${commit.runId}" commits "${file.key}" twice`);
    if (!Number.isSafeInteger(file.rows) || file.rows < 0) throw new TributaryError('INTERNAL', `Run "${commit.runId}" gives "${file.key}" ${file.rows} rows`);
    seen.add(file.key);
    return { file, partition: key.partition };
  });
  // A manifest must never list an object that is not there: readers would fail on it.
  const staged: StagedFile[] = [];
  const queue = [...parsed];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const object = await lake.head(next.file.key);
      if (!object) throw new TributaryError('LAKE_NOT_FOUND', `Run "${commit.runId}" commits "${next.file.key}", which is not in the lake`);
      if (next.file.bytes !== undefined && next.file.bytes !== object.size) {
        throw new TributaryError('INTERNAL', `Run "${commit.runId}" says "${next.file.key}" has ${next.file.bytes} bytes; the lake has ${object.size}`);
      }
      staged.push({ key: next.file.key, partition: next.partition, rows: next.file.rows, bytes: object.size });
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, parsed.length) }, worker));
  return staged.sort((a, b) => compareKeys(a.key, b.key));
}

/**
 * After a commit: copy the snapshot to `_manifest.json` (when it is the newest) and prune old ones.
 * The commit is already durable, so a failure here is not the commit's: failing it would only make
 * the caller retry something that succeeded. The copy is caught up by the next commit, the pruning
 * by the next prune.
 */
async function housekeeping(lake: Lake, zone: Zone, dataset: string, versions: number[], version: number, body: Buffer | undefined, keep: number): Promise<void> {
  try {
    if (body) await lake.put(pointerKey(zone, dataset), body, { contentType: 'application/json' });
    for (const old of versions) {
      if (old > version - keep) break;
      await lake.delete(snapshotKey(zone, dataset, old));
    }
  } catch {
    // See above: nothing the caller could act on.
  }
}

/**
 * Make `commit.files` part of the dataset (creating it on the first commit), atomically: a reader
 * sees all of them or none. Returns the manifest the commit produced (or, for a run id committed
 * before, the current one). See the module comment for the protocol and what concurrent commits do.
 */
export async function commitFiles(lake: Lake, zone: Zone, dataset: string, commit: Commit, options: CommitOptions = {}): Promise<Manifest> {
  const keep = Math.max(1, options.keepVersions ?? 10);
  const maxAttempts = options.maxAttempts ?? 20;
  const files = await stage(lake, zone, dataset, commit);
  const now = new Date();
  const staged = { runId: commit.runId, job: commit.job, mode: commit.mode, schema: commit.schema, started: commit.started ?? now, files, ...(commit.replaces ? { replaces: commit.replaces } : {}) };

  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const base = await latest(lake, zone, dataset);
    if (base.manifest?.runs[commit.runId]) return base.manifest;
    const next = applyCommit(base.manifest, zone, dataset, staged, new Date());
    const key = snapshotKey(zone, dataset, next.version);
    const body = Buffer.from(`${JSON.stringify(next, null, 1)}\n`, 'utf8');
    const created = await lake.putIfAbsent(key, body, { contentType: 'application/json' });
    if (created) {
      const versions = await listVersions(lake, zone, dataset);
      const newest = versions.at(-1) ?? next.version;
      if (newest > next.version) {
        const above = await latest(lake, zone, dataset);
        if (!above.manifest?.runs[commit.runId]) {
          // A pruned version number, re-created from a stale read: not the dataset's history.
          await lake.delete(key);
          continue;
        }
      }
      await housekeeping(lake, zone, dataset, versions, next.version, newest === next.version ? body : undefined, keep);
      return next;
    }
    // Lost the race for this version: back off a little (with jitter, so racers spread out).
    await sleep(Math.min(5 * 2 ** attempt, 200) * Math.random());
  }
  throw new TributaryError('LAKE_UNAVAILABLE', `Commit of run "${commit.runId}" to ${zone}/${dataset} lost ${maxAttempts} races for the next manifest version in a row; retry it`, { retryable: true });
}
