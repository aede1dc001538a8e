/**
 * Merged views: the serving layer's answer to a query, from the batch view up to its high-watermark
 * and from the speed layer's real-time view after it.
 *
 * Glossary:
 * - batch view: a result recomputed by DuckDB from the lake's raw zone, stored (curated zone) with
 *   the high-watermark it is complete up to.
 * - high-watermark (T): per partition of the input topic, an offset; the batch view reflects exactly
 *   the records below it. By offset, not event time: offsets say exactly which records a
 *   computation has seen, so late events cannot fall between the two views or into both.
 * - real-time view: a stream job's output in a sink, kept in offset buckets (`bucketOffsets`
 *   consecutive offsets of one partition), so it can answer "the records from offset T on".
 * - covered: per partition, the offset below which the merged answer reflects every record:
 *   max(T, the real-time view's position). Records produced but not yet processed lie above it.
 *
 * Lifecycle: a view is a value made by its factory with what it reads from (a lake, a sink), handed
 * to `createQueryService`; `run(params)` any number of times; `close()` releases what it opened.
 *
 * Errors: QUERY_INVALID (parameters that do not fit the view's schema; the message names the
 * parameter), VIEW_NOT_FOUND (no view by that name), and what the lake and the sink raise.
 */
import type { z } from 'zod';
import type { AsOf } from '../../lake/tables/tables.ts';

export type Cell = string | number | boolean | null;

export interface QueryCoverage {
  topic: string;
  /** Per partition: the merged answer reflects every record below this offset. */
  covered: Record<string, number>;
  batch: {
    /** The high-watermark T; empty before the first batch run. */
    offsets: Record<string, number>;
    /** When the batch view was computed; null before the first batch run. */
    computed: string | null;
    /** The lake snapshot the batch view was read at: what `--as-of` takes to answer from it again. */
    snapshot?: number;
    /** Set when the answer is as of a past snapshot (`--as-of`): the snapshot id or time asked for. */
    asOf?: string;
  };
  /** Per partition, the real-time view's position (one past the last record it counted). */
  realtime: Record<string, number>;
}

export interface QueryResult {
  view: string;
  columns: string[];
  rows: Record<string, Cell>[];
  asOf: QueryCoverage;
}

export interface ViewRunOptions {
  asOf?: AsOf;
}

/** How a result names the snapshot it is as of. */
export function describeAsOf(asOf: AsOf): string {
  return 'version' in asOf ? String(asOf.version) : asOf.time.toISOString();
}

export interface MergedView {
  readonly name: string;
  readonly description: string;
  /** The query parameters, as strings come in from a URL or the command line. */
  readonly params: z.ZodType<Record<string, unknown>>;
  /**
   * `options.asOf`: answer from the batch view as of that snapshot of the lake (id or time) alone,
   * without the real-time half; a view without a batch half refuses it (QUERY_INVALID).
   */
  run(params: Record<string, unknown>, options?: ViewRunOptions): Promise<QueryResult>;
  /** Recompute the batch view now (normally a scheduled batch job does). */
  recompute?(): Promise<void>;
  close(): Promise<void>;
}
