/** The batch jobs a command can run: those of the loaded pipelines, by name. */
import { TributaryError } from '../errors.ts';
import type { BatchJob } from './batch-job.ts';

export type BatchJobRegistry = Readonly<Record<string, Readonly<BatchJob>>>;

export function batchJobRegistry(pipelines: ReadonlyArray<{ batchJobs: ReadonlyArray<{ job: Readonly<BatchJob> }> }>): BatchJobRegistry {
  const registry: Record<string, Readonly<BatchJob>> = {};
  for (const pipeline of pipelines) for (const { job } of pipeline.batchJobs) registry[job.name] = job;
  return registry;
}

export function findBatchJob(registry: BatchJobRegistry, name: string): Readonly<BatchJob> {
  const job = registry[name];
  if (!job) {
    const known = Object.keys(registry).sort().join(', ');
    throw new TributaryError('BATCH_JOB_NOT_FOUND', `No batch job "${name}"; known jobs: ${known || '(none: name the pipeline with --pipeline <module>, or list pipelines in the project config)'}`);
  }
  return job;
}
