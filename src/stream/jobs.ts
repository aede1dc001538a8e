/**
 * Stream jobs as values a pipeline module exports, independent of where they run: a job names the
 * table it writes (a TableSpec) rather than a sink, and the worker makes the sink the config
 * chooses (embedded, PostgreSQL or Cassandra). The same module runs in `tributary worker` on
 * embedded defaults and, unchanged, in many workers on Kafka, Redis and PostgreSQL.
 *
 * A pipeline module's default export is `definePipeline({ streamJobs: [...], … })` (src/runtime/);
 * a module of stream jobs alone may export `defineStreamJobs([...])` instead:
 *
 * ```ts
 * export default defineStreamJobs([
 *   statelessJob({ name: 'pins-clean', pipeline, output: { table: pinsTable, row: (pin) => pin } }),
 *   windowedJob({ name: 'views', pipeline, keyBy, window: tumbling(10_000), aggregator: count(), table, row }),
 * ]);
 * ```
 */
import { TributaryError } from '../errors.ts';
import type { Row, TableSpec } from '../sinks/sink.ts';
import type { RecordContext } from './pipeline.ts';
import type { StreamJob } from './runner.ts';
import type { WindowedJob } from './windowed-runner.ts';

export type TableOutput<T> = { table: TableSpec; row: (value: T, ctx: RecordContext) => Row };
export type TopicOutput<T> = { topic: string; key?: (value: T) => string | null };

export interface StatelessJobDefinition<T> extends Omit<StreamJob<T>, 'output'> {
  kind: 'stateless';
  output: TableOutput<T> | TopicOutput<T>;
}

/** The worker makes the sink from `table` and takes the key columns (for deleting merged sessions' rows) from it. */
export interface WindowedJobDefinition<T, A, R> extends Omit<WindowedJob<T, A, R>, 'sink' | 'key'> {
  kind: 'windowed';
  table: TableSpec;
}

// The job's value types are its own business once it is defined; `any` lets jobs of different types share a list.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JobDefinition = StatelessJobDefinition<any> | WindowedJobDefinition<any, any, any>;

export interface StreamJobs {
  readonly kind: 'tributary.stream-jobs';
  readonly jobs: readonly JobDefinition[];
}

export function statelessJob<T>(job: Omit<StatelessJobDefinition<T>, 'kind'>): StatelessJobDefinition<T> {
  return { ...job, kind: 'stateless' };
}

export function windowedJob<T, A, R>(job: Omit<WindowedJobDefinition<T, A, R>, 'kind'>): WindowedJobDefinition<T, A, R> {
  return { ...job, kind: 'windowed' };
}

/** The default export of a pipeline module. Job names must be unique: each is a consumer group. */
export function defineStreamJobs(jobs: readonly JobDefinition[]): StreamJobs {
  const seen = new Set<string>();
  for (const job of jobs) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(job.name)) throw new TributaryError('CONFIG_INVALID', `stream job name "${job.name}" must be letters, digits, ".", "_" or "-"`);
    if (seen.has(job.name)) throw new TributaryError('CONFIG_INVALID', `stream job "${job.name}" is defined twice`);
    seen.add(job.name);
  }
  return { kind: 'tributary.stream-jobs', jobs };
}

/**
 * Load a module's stream jobs: its default export is `definePipeline({...})` (its `streamJobs`) or
 * `defineStreamJobs([...])`. The pipeline threads (pipeline-thread.ts) find their job this way.
 */
export async function loadStreamJobs(file: string): Promise<StreamJobs> {
  const { pathToFileURL } = await import('node:url');
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && (error as Error).message.includes(file);
    throw new TributaryError(missing ? 'PIPELINE_NOT_FOUND' : 'PIPELINE_INVALID', `cannot load pipeline module ${file}: ${(error as Error).message}`, { cause: error });
  }
  const exported = module.default as { kind?: unknown; streamJobs?: readonly JobDefinition[] } | undefined;
  if (exported?.kind === 'tributary.pipeline') return { kind: 'tributary.stream-jobs', jobs: exported.streamJobs ?? [] };
  if (exported?.kind !== 'tributary.stream-jobs') {
    throw new TributaryError('PIPELINE_INVALID', `pipeline module ${file} must export default definePipeline({...}) (from 'tributary')`);
  }
  return exported as StreamJobs;
}
