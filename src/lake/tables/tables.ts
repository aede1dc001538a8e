/**
 * The lake's tables: the processed and curated zones as DuckLake tables, read and written by DuckDB.
 *
 * Glossary:
 * - catalog: the SQL database that holds the tables' metadata (schemas, snapshots, which Parquet
 *   files make up each table at each snapshot). Embedded: one DuckDB file under the data directory;
 *   or PostgreSQL, following `metadata.backend`.
 * - data path: where the Parquet files go: a directory beside the raw zone (`<dataDir>/lake/tables/`)
 *   or a prefix of the S3 bucket (`s3://<bucket>/tables/`), written by DuckDB itself (httpfs).
 * - table: `<zone>.<dataset>` in the attached catalog (`lake.processed.toronto_apartments`), with
 *   its whole schema, whatever rows it holds, partitioned by one column (`year=2023/` on disk).
 * - snapshot: one committed version of the whole catalog, numbered. Every commit makes one; time
 *   travel reads a table `AT (VERSION => n)` or `AT (TIMESTAMP => t)`.
 *
 * Lifecycle: `openLakeTables(settings)` (open-tables.ts) attaches the catalog to a DuckDB instance
 * (its own, or the caller's) → connections of that instance read and write `lake.*` → `close()`.
 *
 * Guarantees: a transaction (`transaction(fn)`) commits as one snapshot: readers see the tables as
 * they were before it or after it, never a mixture, and a process killed inside it commits nothing
 * (the files it wrote are orphans, which no snapshot lists and maintenance deletes). Two writers that
 * change the same table at once: one commits, the other gets LAKE_TABLE_CONFLICT and changed nothing.
 * Snapshots stay readable until maintenance expires them (default: those older than 7 days).
 *
 * Errors (TributaryError codes): LAKE_EXTENSION_MISSING (the DuckDB extensions are not installed:
 * run scripts/duckdb-extensions), LAKE_UNAVAILABLE (the catalog or the data path cannot be reached;
 * retryable), LAKE_NOT_FOUND (no such table, or no such snapshot), LAKE_TABLE_CONFLICT (a concurrent
 * commit won; retryable), SCHEMA_VALIDATION (a write whose columns the table cannot take).
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Column } from '../manifest.ts';

export type { Column } from '../manifest.ts';

/** The zones that hold tables; the raw zone stays files (lake.ts). */
export type TableZone = 'processed' | 'curated';

export type CatalogSettings = { kind: 'duckdb'; file: string } | { kind: 'postgres'; url: string; password?: string; schema: string };

export type DataSettings =
  | { kind: 'fs'; dir: string }
  | { kind: 's3'; bucket: string; prefix: string; endpoint?: string; region: string; forcePathStyle: boolean; accessKeyId: string; secretAccessKey: string };

export interface TablesSettings {
  catalog: CatalogSettings;
  data: DataSettings;
  /** DuckDB's extension directory; default the cache that scripts/duckdb-extensions fills. */
  extensionDirectory?: string;
}

/** A moment of a table's history: a snapshot id, or a time (the snapshot current then). */
export type AsOf = { version: number } | { time: Date };

export interface Snapshot {
  id: number;
  time: Date;
  /** The commit message a writer gave (a batch run records its run id). */
  message?: string;
  /** DuckLake's list of what the snapshot changed, e.g. `tables_inserted_into`. */
  changes: Record<string, unknown>;
}

export interface LakeTables {
  readonly catalog: CatalogSettings['kind'];
  /** Where the catalog's own tables (`ducklake_table`, …) are in `__ducklake_metadata_<alias>`: `main`, or PostgreSQL's METADATA_SCHEMA. */
  readonly metadataSchema: string;
  /** The data path, as DuckDB sees it (a directory, or `s3://bucket/prefix/`). */
  readonly dataPath: string;
  /** The name the catalog is attached under in `instance` (`lake`). */
  readonly alias: string;
  readonly instance: DuckDBInstance;
  /** The quoted, qualified name of a table, for SQL. */
  qualified(zone: TableZone, dataset: string): string;
  /** A relation over the table for a FROM clause: its current rows, or those of a past snapshot. */
  relation(zone: TableZone, dataset: string, asOf?: AsOf): string;
  exists(zone: TableZone, dataset: string): Promise<boolean>;
  /** The table's columns (at a snapshot); LAKE_NOT_FOUND for no such table. */
  columns(zone: TableZone, dataset: string, asOf?: AsOf): Promise<Column[]>;
  /** The catalog's snapshots, oldest first. */
  snapshots(): Promise<Snapshot[]>;
  /** The newest snapshot's id. */
  currentSnapshot(): Promise<number>;
  /**
   * Runs `fn` inside one transaction (on `connection`, whose temp tables it may read, or on a new
   * one) and commits it as one snapshot, with `message` as its commit message. Rolled back, and the
   * error rethrown, when `fn` throws.
   */
  transaction<T>(fn: (connection: DuckDBConnection) => Promise<T>, message?: string, connection?: DuckDBConnection): Promise<{ value: T; snapshot: number }>;
  /** Detaches the catalog; closes the instance when this module opened it. */
  close(): Promise<void>;
}
