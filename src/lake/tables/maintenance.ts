/**
 * Keeping the tables small and the storage clean, all of it DuckLake's own functions:
 * - expire snapshots older than the retention (default 7 days; the newest is always kept): time
 *   travel reaches back that far;
 * - delete the files no remaining snapshot references (those expiry freed), and orphans: files in
 *   the data path that no snapshot ever referenced (a writer killed before its commit);
 * - write rows kept in the catalog (DuckLake inlines small inserts) out to Parquet, and merge small
 *   adjacent files of a partition into larger ones.
 */
import { literal, query } from './sql.ts';
import type { LakeTables } from './tables.ts';

export const DEFAULT_RETENTION_MS = 7 * 24 * 3600 * 1000;

export interface MaintenanceOptions {
  /** Snapshots older than this are expired; default 7 days. */
  retentionMs?: number;
  /** Only orphans older than this are deleted, so a writer still running keeps its files; default 1 hour. */
  orphanAgeMs?: number;
  /** Merge small files; default true. */
  merge?: boolean;
  now?: Date;
}

export interface MaintenanceReport {
  expiredSnapshots: number;
  deletedFiles: number;
  deletedOrphans: number;
  mergedFiles: number;
}

const at = (date: Date) => `${literal(date.toISOString())}::TIMESTAMPTZ`;

export async function maintainTables(tables: LakeTables, options: MaintenanceOptions = {}): Promise<MaintenanceReport> {
  const now = options.now ?? new Date();
  const alias = literal(tables.alias);
  const c = await tables.instance.connect();
  try {
    const report: MaintenanceReport = { expiredSnapshots: 0, deletedFiles: 0, deletedOrphans: 0, mergedFiles: 0 };
    if (options.merge ?? true) {
      await c.run(`CALL ducklake_flush_inlined_data(${alias})`);
      const merged = await query(c, `CALL ducklake_merge_adjacent_files(${alias})`);
      report.mergedFiles = merged.reduce((n, r) => n + Number(r.files_processed ?? 0), 0);
    }
    const cutoff = new Date(now.getTime() - (options.retentionMs ?? DEFAULT_RETENTION_MS));
    report.expiredSnapshots = (await query(c, `CALL ducklake_expire_snapshots(${alias}, older_than => ${at(cutoff)})`)).length;
    report.deletedFiles = (await query(c, `CALL ducklake_cleanup_old_files(${alias}, cleanup_all => true)`)).length;
    report.deletedOrphans = await deleteOrphans(tables, new Date(now.getTime() - (options.orphanAgeMs ?? 3600_000)));
    return report;
  } finally {
    c.closeSync();
  }
}

/** Deletes files in the data path that no snapshot references and that were written before `before`. */
export async function deleteOrphans(tables: LakeTables, before: Date): Promise<number> {
  const c = await tables.instance.connect();
  try {
    return (await query(c, `CALL ducklake_delete_orphaned_files(${literal(tables.alias)}, older_than => ${at(before)})`)).length;
  } finally {
    c.closeSync();
  }
}

/**
 * The orphans under some table directories only (`<data path><schema>/<table>/`), deleted by
 * `remove`. DuckLake's own cleanup covers the whole data path, where another job's writer may be
 * midway (its files not yet committed); a batch run cleans up only after its own job's tables.
 */
export async function deleteOrphansUnder(tables: LakeTables, prefixes: readonly string[], before: Date, remove: (path: string) => Promise<void>): Promise<string[]> {
  const c = await tables.instance.connect();
  let found: Record<string, unknown>[];
  try {
    found = await query(c, `CALL ducklake_delete_orphaned_files(${literal(tables.alias)}, older_than => ${at(before)}, dry_run => true)`);
  } finally {
    c.closeSync();
  }
  const paths = found.map((r) => String(r.path)).filter((p) => prefixes.some((prefix) => p.startsWith(prefix)));
  for (const p of paths) await remove(p);
  return paths.sort();
}

/** The Parquet files the table's current snapshot reads. */
export async function tableFiles(tables: LakeTables, zone: string, dataset: string): Promise<string[]> {
  const c = await tables.instance.connect();
  try {
    const found = await query(c, `SELECT data_file FROM ducklake_list_files(${literal(tables.alias)}, ${literal(dataset)}, schema => ${literal(zone)})`);
    return found.map((r) => String(r.data_file)).sort();
  } finally {
    c.closeSync();
  }
}

