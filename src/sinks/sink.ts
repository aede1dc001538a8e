/**
 * Table sinks: where stream jobs put their results (real-time views) and where the serving layer
 * reads them back.
 *
 * Glossary:
 * - table: rows with named, typed columns and a key (one or more columns) that identifies a row.
 * - position: the next offset to read in one partition of the job's input topic; a write carries the
 *   positions its rows came from.
 * - delete: a row named by its key columns in a write's `deletes`, to be removed from the table
 *   (a windowed job deletes the rows of session windows that merged into a larger session).
 *
 * Lifecycle: `create(spec, ctx)` → `open()` (creates the table and the sink's bookkeeping if missing)
 * → `positions()` once, where the job resumes → `write(...)` any number of times → `close()`.
 *
 * Delivery:
 * - Every write is an upsert by key: writing a row twice leaves one row, so replays are harmless
 *   (effectively-once). Within one write, the last row for a key wins.
 * - A write's deletes are applied before its rows, in the same transaction on an exactly-once sink:
 *   a write that deletes a key and also has a row for it leaves that row. Deleting a key that is not
 *   there does nothing, so a replayed delete is as harmless as a replayed upsert.
 * - `guarantee: 'exactly-once'` sinks (PostgreSQL, embedded) store the positions in the same
 *   transaction as the rows and deletes. After a crash the job resumes from `positions()`, so every
 *   input record is reflected exactly once, even by non-idempotent rows.
 * - `guarantee: 'idempotent'` sinks (Cassandra) keep no positions; the job resumes from the log's
 *   committed offsets, which it commits only after the write succeeded.
 *
 * Errors (TributaryError codes): SINK_UNAVAILABLE (the store cannot be reached or timed out;
 * retryable: the write may or may not have been applied, but never in part on an exactly-once sink,
 * and writing the same batch again is safe because rows are upserts, deletes of missing keys do
 * nothing, and positions are set, not added), SINK_REJECTED (the store refused the rows or deletes:
 * a type mismatch, a missing key column; not retryable, the message names the table, the column and
 * the row or delete; an exactly-once sink applied nothing of the write), SINK_CLOSED (used after
 * close).
 */
import type { RecordPosition } from '../log/log.ts';

export type ColumnType = 'text' | 'integer' | 'bigint' | 'double' | 'boolean' | 'timestamp' | 'json';

export interface TableSpec {
  /** Lower-case letters, digits and underscores. */
  name: string;
  columns: Readonly<Record<string, ColumnType>>;
  /** The columns that identify a row. */
  key: readonly string[];
}

/** A row: column name → value (string, number, boolean, Date, plain JSON, or null). */
export type Row = Readonly<Record<string, unknown>>;

export interface SinkWrite {
  rows: readonly Row[];
  /**
   * Rows to delete, each given by its key columns (a table's other columns may be present and are
   * ignored); applied before `rows`.
   */
  deletes?: readonly Row[];
  /** Positions (next offset to read) the rows bring the job to; exactly-once sinks store them with the rows. */
  positions: readonly RecordPosition[];
}

export interface Sink {
  readonly guarantee: 'exactly-once' | 'idempotent';
  open(): Promise<void>;
  /** The positions stored with the rows (exactly-once sinks); empty when none were stored or the sink keeps none. */
  positions(): Promise<RecordPosition[]>;
  write(batch: SinkWrite): Promise<void>;
  /** Every row, ordered by key; for views small enough to read whole, and for tests. */
  scan(): Promise<Row[]>;
  close(): Promise<void>;
}

export interface SinkContext {
  /** The job writing; positions are stored per job and table. */
  job: string;
}
