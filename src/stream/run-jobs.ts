/**
 * Runs a set of stream job definitions in this process, each with the sink the config chooses,
 * until the signal aborts or one job fails (which stops the others: a worker with a failed job
 * leaves its groups so that other workers take its partitions).
 */
import type { Config } from '../config/schema.ts';
import type { Log } from '../log/log.ts';
import type { StreamMetrics } from '../metrics/stream-metrics.ts';
import { createSink } from '../sinks/create-sink.ts';
import type { TableSpec } from '../sinks/sink.ts';
import type { StateStore } from '../state/state.ts';
import type { JobDefinition } from './jobs.ts';
import { PipelinePool } from './pipeline-pool.ts';
import { runStreamJob, type JobCounts } from './runner.ts';
import { runWindowedJob, type WindowedCounts } from './windowed-runner.ts';

export interface RunJobsOptions {
  config: Readonly<Config>;
  log: Log;
  state: StateStore;
  signal: AbortSignal;
  cwd?: string;
  metrics?: StreamMetrics;
  /**
   * Pipeline threads per stateless job (pipeline-pool.ts); needs `module`, the file the jobs came
   * from, which each thread imports. 0 or unset: the record-level work runs in the job's thread.
   */
  threads?: number;
  module?: string;
  onWarning?: (message: string, details: Record<string, unknown>) => void;
}

export type JobProgress = { job: string; kind: 'stateless'; counts: JobCounts } | { job: string; kind: 'windowed'; counts: WindowedCounts };

/** Live counts per job, updated as batches commit; read it to print progress. */
export type JobsProgress = Map<string, JobProgress>;

export async function runJobs(jobs: readonly JobDefinition[], options: RunJobsOptions, progress: JobsProgress = new Map()): Promise<JobsProgress> {
  const failed = new AbortController();
  const signal = AbortSignal.any([options.signal, failed.signal]);
  const common = { log: options.log, signal, ...(options.metrics && { metrics: options.metrics }) };
  const sinkFor = (name: string, table: TableSpec) =>
    createSink(options.config, table, { job: name }, options.cwd === undefined ? {} : { cwd: options.cwd });

  const runs = jobs.map(async (job) => {
    try {
      if (job.kind === 'windowed') {
        const { kind: _kind, table, ...rest } = job;
        const counts = await runWindowedJob({ ...rest, sink: sinkFor(job.name, table), key: table.key }, {
          ...common,
          state: options.state,
          onCheckpoint: (counts) => progress.set(job.name, { job: job.name, kind: 'windowed', counts }),
        });
        progress.set(job.name, { job: job.name, kind: 'windowed', counts });
        return;
      }
      const { kind: _kind, output, ...rest } = job;
      const pool = options.threads && options.module ? await PipelinePool.start({ module: options.module, job: job.name }, options.threads) : undefined;
      try {
        const counts = await runStreamJob(
          { ...rest, output: 'table' in output ? { kind: 'table', sink: sinkFor(job.name, output.table), row: output.row } : { kind: 'topic', ...output } },
          { ...common, onBatch: (counts) => progress.set(job.name, { job: job.name, kind: 'stateless', counts }), ...(options.onWarning && { onWarning: options.onWarning }), ...(pool && { pool }) },
        );
        progress.set(job.name, { job: job.name, kind: 'stateless', counts });
      } finally {
        await pool?.close();
      }
    } catch (error) {
      failed.abort();
      throw error;
    }
  });
  const results = await Promise.allSettled(runs);
  const failure = results.find((r) => r.status === 'rejected');
  if (failure) throw failure.reason;
  return progress;
}
