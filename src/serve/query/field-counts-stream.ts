/**
 * The speed layer of a field count: a stream job (runner.ts) keeping running counts per
 * partition, offset bucket and value in an exactly-once sink. Each record upserts its bucket's row
 * with the new count, and the sink stores rows and positions in one transaction, so after a restart
 * the rows and the position the job resumes from agree; the job reloads the newest bucket of each
 * partition from the sink before it starts.
 *
 * One worker per job: the counts of a partition live in the process that counts it, so a second
 * worker taking a partition over would start that bucket from zero.
 */
import { z } from 'zod';
import type { Log } from '../../log/log.ts';
import type { Sink } from '../../sinks/sink.ts';
import { Pipeline } from '../../stream/pipeline.ts';
import { runStreamJob, type JobCounts, type StreamJob } from '../../stream/runner.ts';
import { asRealtimeRow, bucketSize, fieldValueOf, type FieldCountsOptions, type RealtimeRow } from './field-counts.ts';

/** Per partition: the bucket being counted and its counts per value. */
type Open = Map<number, { bucket: number; counts: Map<string, number> }>;

export function fieldCountsJob(options: FieldCountsOptions, sink: Sink, restored: readonly RealtimeRow[] = []): StreamJob<RealtimeRow> {
  const size = bucketSize(options);
  const open: Open = new Map();
  for (const row of restored) {
    const current = open.get(row.partition);
    if (current && current.bucket > row.bucket) continue;
    if (!current || current.bucket < row.bucket) open.set(row.partition, { bucket: row.bucket, counts: new Map([[row.value, row.count]]) });
    else current.counts.set(row.value, row.count);
  }
  const pipeline = Pipeline.from(options.topic, z.unknown()).map((value, ctx): RealtimeRow => {
    const bucket = Math.floor(ctx.offset / size);
    let current = open.get(ctx.partition);
    // Offsets only grow in a partition: a new bucket means the old one is complete (and in the sink).
    if (!current || current.bucket !== bucket) open.set(ctx.partition, (current = { bucket, counts: new Map() }));
    const found = fieldValueOf(value, options.field);
    const count = (current.counts.get(found) ?? 0) + 1;
    current.counts.set(found, count);
    return { partition: ctx.partition, bucket, value: found, count, through: ctx.offset + 1 };
  }, 'count');
  return { name: options.name, pipeline, output: { kind: 'table', sink, row: (row) => ({ ...row }) } };
}

export interface RunFieldCountsOptions {
  log: Log;
  sink: Sink;
  signal?: AbortSignal;
  onBatch?: (counts: JobCounts) => void;
}

/** Reload the open buckets from the sink, then run the job until `signal` aborts. */
export async function runFieldCounts(options: FieldCountsOptions, run: RunFieldCountsOptions): Promise<JobCounts> {
  await run.sink.open();
  const rows = (await run.sink.scan()).map(asRealtimeRow);
  return runStreamJob(fieldCountsJob(options, run.sink, rows), { log: run.log, ...(run.signal ? { signal: run.signal } : {}), ...(run.onBatch ? { onBatch: run.onBatch } : {}) });
}
