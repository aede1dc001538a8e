/**
 * The data lake: immutable files in three zones, on a local directory or S3/MinIO.
 *
 * Glossary:
 * - zone: `raw` (what came in, as it came), `processed` (cleaned, typed), `curated` (views for people).
 * - dataset: a named table of files in one zone, laid out Hive-style:
 *   `<zone>/<dataset>/dt=YYYY-MM-DD/[hr=HH/]part-<id>.parquet`, readable as is by DuckDB, Spark, Trino.
 * - key: an object's path relative to the lake root: `/`-separated plain segments (no `..`, no
 *   segment starting with `.`, which is reserved for temporary files), at most 1,024 bytes. On fs a
 *   key cannot be both an object and the prefix of another key's directory. A list prefix is a plain
 *   string prefix, as on S3.
 *
 * Lifecycle: `open*Lake(...)` → calls → `close()`.
 *
 * Guarantees: `put` is atomic: a reader sees the whole object or none of it (fs: written under a
 * temporary name, fsynced, renamed; S3: a completed single or multipart upload). Objects are never
 * modified in place; a raw dataset's visible files are those its manifest lists (see catalog.ts), so
 * an archiver's or a source's files appear all at once when the manifest is committed. The processed
 * and curated zones are DuckLake tables (tables/tables.ts), not files of this interface.
 *
 * Errors (TributaryError codes): LAKE_NOT_FOUND (no such key), LAKE_UNAVAILABLE (the store cannot be
 * reached; retryable), LAKE_INVALID_KEY. When a body stream fails, `put` rejects with that stream's
 * own error, unchanged: retrying would not help.
 */
import type { Readable } from 'node:stream';

export const zones = ['raw', 'processed', 'curated'] as const;
export type Zone = (typeof zones)[number];

export interface LakeObject {
  key: string;
  size: number;
  modified: Date;
  /** A content tag that changes when the object does (fs: size and mtime; S3: ETag). */
  etag: string;
}

export type Body = Buffer | Readable | AsyncIterable<Uint8Array>;

export interface Lake {
  readonly backend: 'fs' | 's3';
  put(key: string, body: Body, options?: { contentType?: string; metadata?: Record<string, string> }): Promise<LakeObject>;
  get(key: string): Promise<Readable>;
  getBytes(key: string): Promise<Buffer>;
  head(key: string): Promise<LakeObject | undefined>;
  /** Objects under a prefix, in key order. */
  list(prefix: string): AsyncIterable<LakeObject>;
  /**
   * Write `body` under `key` unless an object with that key exists: the object, or undefined when
   * the key was taken. Of many concurrent calls with one key, exactly one gets the object. Atomic
   * and durable like `put`; meant for small control objects (the catalog's manifests). fs uses
   * link(2), which fails instead of replacing; S3 a PutObject with `If-None-Match: *`.
   *
   * A call whose reply was lost and which the driver retried answers undefined even though it
   * created the object: callers make their objects recognisable (the catalog records the run id).
   */
  putIfAbsent(key: string, body: Buffer, options?: { contentType?: string }): Promise<LakeObject | undefined>;
  /** Deleting a missing key succeeds. */
  delete(key: string): Promise<void>;
  /**
   * A local file with the object's bytes, for engines that read files (DuckDB): on fs the object
   * itself; on S3 a copy staged under the cache directory, reused while its ETag is unchanged.
   */
  localPath(key: string): Promise<string>;
  /**
   * Where DuckDB reads the object in place, without a copy: its file on fs, `s3://<bucket>/<key>` on
   * S3 (through httpfs, with the lake tables' S3 secret, see tables/open-tables.ts). The object need
   * not exist.
   */
  engineUri(key: string): string;
  close(): Promise<void>;
}
