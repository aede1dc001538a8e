/** The batch jobs the CLI can run: an explicit object, built-in jobs first; user pipelines are added by the caller. */
import { TributaryError } from '../errors.ts';
import type { BatchJob } from './batch-job.ts';
import { torontoApartmentsJob } from './jobs/toronto-apartments.ts';

export type BatchJobRegistry = Readonly<Record<string, Readonly<BatchJob>>>;

export function builtInBatchJobs(): BatchJobRegistry {
  const toronto = torontoApartmentsJob();
  return { [toronto.name]: toronto };
}

export function findBatchJob(registry: BatchJobRegistry, name: string): Readonly<BatchJob> {
  const job = registry[name];
  if (!job) throw new TributaryError('BATCH_JOB_NOT_FOUND', `No batch job "${name}"; known jobs: ${Object.keys(registry).sort().join(', ') || '(none)'}`);
  return job;
}
