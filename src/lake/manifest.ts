/**
 * The raw zone's manifest format, and the pure functions over it. How manifests are stored and
 * committed is in catalog.ts.
 *
 * A manifest is one JSON object describing a whole dataset at one version:
 *
 * ```json
 * {
 *   "format": 1,
 *   "zone": "processed", "dataset": "orders",
 *   "version": 7, "committed": "2026-11-21T10:00:03.120Z",
 *   "schema": [{ "name": "id", "type": "BIGINT" }, { "name": "amount", "type": "DOUBLE" }],
 *   "partitions": {
 *     "dt=2026-11-21/hr=09": {
 *       "rows": 1200, "bytes": 48213,
 *       "files": [{ "key": "processed/orders/dt=2026-11-21/hr=09/part-r7-0.parquet", "rows": 1200, "bytes": 48213, "run": "r7" }]
 *     }
 *   },
 *   "runs": {
 *     "r7": { "job": "orders-clean", "mode": "overwrite-partitions", "version": 7,
 *             "started": "...", "finished": "...",
 *             "files": ["processed/orders/dt=2026-11-21/hr=09/part-r7-0.parquet"],
 *             "replaced": ["processed/orders/dt=2026-11-21/hr=09/part-r3-0.parquet"] }
 *   }
 * }
 * ```
 *
 * - `partitions` holds the visible files: those, and only those, are the dataset. The key of an
 *   entry is the partition path (`dt=.../hr=...`, or `""` for files directly under the dataset).
 *   Partitions and files are kept in key order, so a manifest serialises the same way every time.
 * - `runs` is the lineage: every run that committed, what it wrote (`files`, visible or not any
 *   more) and what its overwrite hid (`replaced`). A run id commits once; committing it again
 *   changes nothing (that is what makes a retried commit safe).
 * - `bytes` are the objects' sizes as the lake reported them at commit; `rows` is the writer's count.
 */
import { z } from 'zod';
import { TributaryError } from '../errors.ts';
import { compareKeys, partitionPath, type Partition } from './keys.ts';
import { zones, type Zone } from './lake.ts';

export interface Column {
  name: string;
  /** The engine's type name (DuckDB / Parquet), e.g. BIGINT, VARCHAR, TIMESTAMP. */
  type: string;
}

/**
 * - `append`: the files join their partitions;
 * - `overwrite-partitions`: the files become the whole of each partition they are in;
 * - `replace-files`: the files take the place of `replaces` (each still visible, in the same
 *   partitions, holding as many rows together), and every other file stays: what a compaction commits.
 */
export type CommitMode = 'append' | 'overwrite-partitions' | 'replace-files';

export interface ManifestFile {
  key: string;
  rows: number;
  bytes: number;
  /** The run that wrote it. */
  run: string;
}

export interface ManifestPartition {
  files: ManifestFile[];
  rows: number;
  bytes: number;
}

export interface ManifestRun {
  job: string;
  mode: CommitMode;
  /** The manifest version this run's commit created. */
  version: number;
  started: string;
  finished: string;
  files: string[];
  replaced: string[];
}

export interface Manifest {
  format: 1;
  zone: Zone;
  dataset: string;
  version: number;
  committed: string;
  schema: Column[];
  partitions: Record<string, ManifestPartition>;
  runs: Record<string, ManifestRun>;
}

const count = z.number().int().min(0);
const manifestFile = z.object({ key: z.string().min(1), rows: count, bytes: count, run: z.string().min(1) });

export const manifestSchema = z.object({
  format: z.literal(1),
  zone: z.enum(zones),
  dataset: z.string().min(1),
  version: z.number().int().min(1),
  committed: z.string(),
  schema: z.array(z.object({ name: z.string().min(1), type: z.string().min(1) })),
  partitions: z.record(z.string(), z.object({ files: z.array(manifestFile), rows: count, bytes: count })),
  runs: z.record(
    z.string(),
    z.object({
      job: z.string(),
      mode: z.enum(['append', 'overwrite-partitions', 'replace-files']),
      version: z.number().int().min(1),
      started: z.string(),
      finished: z.string(),
      files: z.array(z.string()),
      replaced: z.array(z.string()),
    }),
  ),
}) satisfies z.ZodType<Manifest>;

/** A file as a commit adds it: its partition already derived from its key, its size from the lake. */
export interface StagedFile {
  key: string;
  partition: Partition;
  rows: number;
  bytes: number;
}

export interface StagedCommit {
  runId: string;
  job: string;
  mode: CommitMode;
  schema: Column[];
  started: Date;
  files: StagedFile[];
  /** For `replace-files`: the keys the files take the place of. */
  replaces?: readonly string[];
}

export interface VisibleFile extends ManifestFile {
  /** The partition path, `dt=.../hr=...`, or "" for an unpartitioned file. */
  partition: string;
}

/** Every file the manifest makes part of the dataset, in key order. */
export function visibleFiles(manifest: Manifest): VisibleFile[] {
  return Object.entries(manifest.partitions)
    .flatMap(([partition, entry]) => entry.files.map((file) => ({ ...file, partition })))
    .sort((a, b) => compareKeys(a.key, b.key));
}

export function sameSchema(a: readonly Column[], b: readonly Column[]): boolean {
  return a.length === b.length && a.every((column, i) => column.name === b[i]?.name && column.type === b[i]?.type);
}

function describeSchema(schema: readonly Column[]): string {
  return schema.map((c) => `${c.name} ${c.type}`).join(', ') || '(none)';
}

function summarise(files: ManifestFile[]): ManifestPartition {
  const sorted = [...files].sort((a, b) => compareKeys(a.key, b.key));
  return { files: sorted, rows: sorted.reduce((n, f) => n + f.rows, 0), bytes: sorted.reduce((n, f) => n + f.bytes, 0) };
}

/**
 * A `replace-files` commit applied to `partitions` (in place): its files take the place of
 * `commit.replaces`, partition by partition. Throws LAKE_TABLE_CONFLICT (not retryable) when a
 * replaced file is no longer visible (another commit replaced it first), and LAKE_INVALID_KEY when the
 * new files are not in the replaced files' partitions or do not hold the same number of rows.
 */
function replaceFiles(partitions: Record<string, ManifestPartition>, byPartition: Map<string, ManifestFile[]>, zone: Zone, dataset: string, commit: StagedCommit): string[] {
  const replaces = new Set(commit.replaces ?? []);
  const removedRows = new Map<string, number>();
  const found = new Set<string>();
  for (const [path, entry] of Object.entries(partitions)) {
    for (const file of entry.files) {
      if (!replaces.has(file.key)) continue;
      found.add(file.key);
      removedRows.set(path, (removedRows.get(path) ?? 0) + file.rows);
    }
  }
  const missing = [...replaces].filter((key) => !found.has(key));
  if (missing.length > 0) {
    throw new TributaryError('LAKE_TABLE_CONFLICT', `Run "${commit.runId}" replaces ${missing.length} file(s) of ${zone}/${dataset} that are no longer part of it (another commit replaced them), the first "${missing[0]}"`, { retryable: false });
  }
  for (const path of new Set([...removedRows.keys(), ...byPartition.keys()])) {
    const added = byPartition.get(path) ?? [];
    const addedRows = added.reduce((n, f) => n + f.rows, 0);
    if (addedRows !== (removedRows.get(path) ?? 0)) {
      throw new TributaryError('LAKE_INVALID_KEY', `Run "${commit.runId}" replaces ${removedRows.get(path) ?? 0} rows of ${zone}/${dataset} partition "${path}" with ${addedRows}: a replacement must hold the same rows`);
    }
    const existing = partitions[path]?.files ?? [];
    const present = new Set(existing.map((f) => f.key));
    const duplicate = added.find((f) => present.has(f.key) && !replaces.has(f.key));
    if (duplicate) throw new TributaryError('LAKE_INVALID_KEY', `Run "${commit.runId}" adds "${duplicate.key}", which is already part of ${zone}/${dataset}`);
    partitions[path] = summarise([...existing.filter((f) => !replaces.has(f.key)), ...added]);
  }
  return [...replaces];
}

/**
 * The manifest that results from applying `commit` to `base` (undefined: the dataset's first commit).
 * Throws SCHEMA_VALIDATION when the schema differs from the dataset's, LAKE_INVALID_KEY when an
 * append names a file the dataset already has, and what `replaceFiles` throws.
 */
export function applyCommit(base: Manifest | undefined, zone: Zone, dataset: string, commit: StagedCommit, now: Date): Manifest {
  const schema = commit.schema.map((c) => ({ name: c.name, type: c.type }));
  if (base && base.schema.length > 0 && !sameSchema(base.schema, commit.schema)) {
    throw new TributaryError(
      'SCHEMA_VALIDATION',
      `Run "${commit.runId}" of job "${commit.job}" writes ${zone}/${dataset} with schema [${describeSchema(commit.schema)}], but the dataset has [${describeSchema(base.schema)}]`,
    );
  }
  const partitions: Record<string, ManifestPartition> = { ...(base?.partitions ?? {}) };
  const byPartition = new Map<string, ManifestFile[]>();
  for (const file of commit.files) {
    const path = partitionPath(file.partition);
    const list = byPartition.get(path) ?? [];
    list.push({ key: file.key, rows: file.rows, bytes: file.bytes, run: commit.runId });
    byPartition.set(path, list);
  }

  const replaced: string[] = [];
  if (commit.mode === 'replace-files') replaced.push(...replaceFiles(partitions, byPartition, zone, dataset, commit));
  else for (const [path, added] of byPartition) {
    const existing = partitions[path]?.files ?? [];
    if (commit.mode === 'overwrite-partitions') {
      const kept = new Set(added.map((f) => f.key));
      replaced.push(...existing.filter((f) => !kept.has(f.key)).map((f) => f.key));
      partitions[path] = summarise(added);
    } else {
      const present = new Set(existing.map((f) => f.key));
      const duplicate = added.find((f) => present.has(f.key));
      if (duplicate) {
        throw new TributaryError('LAKE_INVALID_KEY', `Run "${commit.runId}" appends "${duplicate.key}", which is already part of ${zone}/${dataset}`);
      }
      partitions[path] = summarise([...existing, ...added]);
    }
  }

  const version = (base?.version ?? 0) + 1;
  const run: ManifestRun = {
    job: commit.job,
    mode: commit.mode,
    version,
    started: commit.started.toISOString(),
    finished: now.toISOString(),
    files: commit.files.map((f) => f.key).sort(compareKeys),
    replaced: replaced.sort(compareKeys),
  };
  const sortedPartitions = Object.fromEntries(Object.entries(partitions).sort(([a], [b]) => compareKeys(a, b)));
  return {
    format: 1,
    zone,
    dataset,
    version,
    committed: now.toISOString(),
    schema,
    partitions: sortedPartitions,
    runs: { ...(base?.runs ?? {}), [commit.runId]: run },
  };
}
