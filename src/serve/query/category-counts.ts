/**
 * Counts per category, the serving layer's worked example (Pinterest posts per category): what the
 * speed and the batch layer both count, defined once for each side, and how the two are merged.
 *
 * What is counted: every record of the topic whose value is JSON (a record without a value, or one
 * that is not JSON, is a dead letter of the stream job and skipped by the batch SQL), grouped by its
 * `category` field when that is a string, and under `(none)` otherwise.
 *
 * Merge, per partition p with high-watermark T_p (a multiple of `bucketOffsets`):
 *   posts(category) = batch(category) + Σ realtime(p, bucket, category) over buckets starting at ≥ T_p
 * Each record is in exactly one term: the batch view holds offsets below T_p, those buckets offsets
 * from T_p on. A bucket never straddles T_p because T_p is a bucket boundary.
 */
import type { TableSpec } from '../../sinks/sink.ts';

export const NO_CATEGORY = '(none)';

export interface CategoryCountsOptions {
  /** The view's name: the curated dataset of the batch view and the stream job's name. */
  name: string;
  topic: string;
  /** Offsets per real-time bucket; the batch high-watermark moves in these steps. Default 1,000. */
  bucketOffsets?: number;
}

export function bucketSize(options: CategoryCountsOptions): number {
  return options.bucketOffsets ?? 1000;
}

export function categoryOf(value: unknown): string {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const category = (value as { category?: unknown }).category;
    if (typeof category === 'string') return category;
  }
  return NO_CATEGORY;
}

/** The same as `categoryOf`, in DuckDB SQL over the raw zone's `value` column. */
export const categorySql = `CASE WHEN json_type(value, '$.category') = 'VARCHAR' THEN json_extract_string(value, '$.category') ELSE '${NO_CATEGORY}' END`;
/** The records the stream job counts: the rest are its dead letters. */
export const countedSql = `value IS NOT NULL AND json_valid(value)`;

/** The real-time view's table: running counts per partition, offset bucket and category. */
export function realtimeTable(options: CategoryCountsOptions): TableSpec {
  return {
    name: `rt_${options.name.replace(/-/g, '_')}`,
    columns: { partition: 'integer', bucket: 'bigint', category: 'text', posts: 'bigint', through: 'bigint' },
    key: ['partition', 'bucket', 'category'],
  };
}

/** One row of the real-time view. `through`: one past the offset of the last record the row counts. */
export interface RealtimeRow {
  partition: number;
  bucket: number;
  category: string;
  posts: number;
  through: number;
}

export function asRealtimeRow(row: Readonly<Record<string, unknown>>): RealtimeRow {
  return { partition: Number(row.partition), bucket: Number(row.bucket), category: String(row.category), posts: Number(row.posts), through: Number(row.through) };
}

export interface BatchCounts {
  /** High-watermark per partition. */
  offsets: Map<number, number>;
  counts: Map<string, number>;
  computed: string | null;
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
    counts.set(row.category, (counts.get(row.category) ?? 0) + row.posts);
  }
  const covered = new Map(batch.offsets);
  for (const [partition, offset] of position) covered.set(partition, Math.max(covered.get(partition) ?? 0, offset));
  return { counts, covered, realtime: position };
}
