/**
 * Counts of a topic's records per value of one field (Pinterest posts per category, orders per
 * status): a merged view whose speed and batch halves are defined here once each, and how the two
 * are merged. A pipeline declares one with `fieldCountsView({ name, topic, field })`.
 *
 * What is counted: every record of the topic whose value is JSON (a record without a value, or one
 * that is not JSON, is a dead letter of the stream job and skipped by the batch SQL), grouped by its
 * top-level `field` when that is a string, and under `(none)` otherwise.
 *
 * Merge, per partition p with high-watermark T_p (a multiple of `bucketOffsets`):
 *   count(v) = batch(v) + Σ realtime(p, bucket, v) over buckets starting at ≥ T_p
 * Each record is in exactly one term: the batch view holds offsets below T_p, those buckets offsets
 * from T_p on. A bucket never straddles T_p because T_p is a bucket boundary.
 */
import { TributaryError } from '../../errors.ts';
import type { TableSpec } from '../../sinks/sink.ts';

export const NO_VALUE = '(none)';

export interface FieldCountsOptions {
  /** The view's name: the curated dataset of the batch view and the stream job's name. */
  name: string;
  topic: string;
  /** The top-level field of each JSON record to count by (letters, digits and `_`). */
  field: string;
  /** The name of the count column in the answer; default `count`. */
  countColumn?: string;
  /** Offsets per real-time bucket; the batch high-watermark moves in these steps. Default 1,000. */
  bucketOffsets?: number;
}

export function bucketSize(options: FieldCountsOptions): number {
  return options.bucketOffsets ?? 1000;
}

export function fieldValueOf(value: unknown, field: string): string {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const found = (value as Record<string, unknown>)[field];
    if (typeof found === 'string') return found;
  }
  return NO_VALUE;
}

/** The same as `fieldValueOf`, in DuckDB SQL over the raw zone's `value` column. */
export function fieldSql(field: string): string {
  checkField(field);
  return `CASE WHEN json_type(value, '$.${field}') = 'VARCHAR' THEN json_extract_string(value, '$.${field}') ELSE '${NO_VALUE}' END`;
}

/** Field names go into SQL paths: only plain identifiers. */
export function checkField(field: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field)) throw new TributaryError('PIPELINE_INVALID', `field counts: the field must be letters, digits and "_" (a top-level JSON field), got "${field}"`);
  return field;
}
/** The records the stream job counts: the rest are its dead letters. */
export const countedSql = `value IS NOT NULL AND json_valid(value)`;

/** The real-time view's table: running counts per partition, offset bucket and value. */
export function realtimeTable(options: FieldCountsOptions): TableSpec {
  return {
    name: `rt_${options.name.replace(/-/g, '_')}`,
    columns: { partition: 'integer', bucket: 'bigint', value: 'text', count: 'bigint', through: 'bigint' },
    key: ['partition', 'bucket', 'value'],
  };
}

/** One row of the real-time view. `through`: one past the offset of the last record the row counts. */
export interface RealtimeRow {
  partition: number;
  bucket: number;
  value: string;
  count: number;
  through: number;
}

export function asRealtimeRow(row: Readonly<Record<string, unknown>>): RealtimeRow {
  return { partition: Number(row.partition), bucket: Number(row.bucket), value: String(row.value), count: Number(row.count), through: Number(row.through) };
}

export interface BatchCounts {
  /** High-watermark per partition. */
  offsets: Map<number, number>;
  counts: Map<string, number>;
  computed: string | null;
  /** The lake snapshot the batch view was read at (none before the first recompute). */
  snapshot?: number;
}

export interface MergedCounts {
  counts: Map<string, number>;
  covered: Map<number, number>;
  realtime: Map<number, number>;
}

export function mergeCounts(batch: BatchCounts, realtime: readonly RealtimeRow[], bucket: number): MergedCounts {
  const counts = new Map(batch.counts);
  const position = new Map<number, number>();
  for (const row of realtime) {
    position.set(row.partition, Math.max(position.get(row.partition) ?? 0, row.through));
    if (row.bucket * bucket < (batch.offsets.get(row.partition) ?? 0)) continue;
    counts.set(row.value, (counts.get(row.value) ?? 0) + row.count);
  }
  const covered = new Map(batch.offsets);
  for (const [partition, offset] of position) covered.set(partition, Math.max(covered.get(partition) ?? 0, offset));
  return { counts, covered, realtime: position };
}
