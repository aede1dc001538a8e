/**
 * Starting the long-running parts of the loaded pipelines on an open runtime: stream jobs, services
 * and the archiver, under supervision (supervise.ts). (Sources and batch jobs run as orchestrator
 * graphs: orchestration.ts.) Each start function returns the part's running promise; its live status
 * is the `PartStatus` it was given, which `tributary dev` prints and the local API serves.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { runArchiver } from '../batch/archiver.ts';
import type { Logger } from '../logger.ts';
import { runJobs, type JobsProgress } from '../stream/run-jobs.ts';
import type { JobDefinition } from '../stream/jobs.ts';
import type { DefinedPipeline, PipelineContext, ServiceDeclaration } from './pipeline.ts';
import type { Runtime } from './runtime.ts';
import { supervise, type PartStatus } from './supervise.ts';

export function newStatus(kind: PartStatus['kind'], name: string, pipeline?: string): PartStatus {
  return { kind, name, ...(pipeline === undefined ? {} : { pipeline }), state: 'starting', restarts: 0, counts: {}, info: {} };
}

function warnOnFailure(logger: Logger) {
  return (error: unknown, status: PartStatus) =>
    status.state === 'failed'
      ? logger.error({ part: status.name, kind: status.kind, err: error }, `${status.kind} ${status.name} failed with an error that another try cannot fix; it stays stopped`)
      : logger.warn({ part: status.name, kind: status.kind, err: error, restarts: status.restarts }, `${status.kind} ${status.name} failed; restarting it`);
}

/** One stream job, supervised; its counts go to `status.counts` as batches commit. */
export function startStreamJob(runtime: Runtime, job: JobDefinition, status: PartStatus, signal: AbortSignal, module?: string): Promise<void> {
  status.info.kind = job.kind;
  const progress: JobsProgress = new Map();
  const update = () => {
    const p = progress.get(job.name);
    if (!p) return;
    if (p.kind === 'stateless') Object.assign(status.counts, { in: p.counts.in, out: p.counts.out, filtered: p.counts.filtered, deadLettered: p.counts.deadLettered });
    else Object.assign(status.counts, { in: p.counts.windows.in, late: p.counts.windows.late, results: p.counts.windows.results, checkpoints: p.counts.windows.checkpoints });
  };
  const timer = setInterval(update, 250);
  return supervise(
    status,
    signal,
    (inner) =>
      runJobs([job], {
        config: runtime.config,
        log: runtime.log,
        state: runtime.state,
        signal: inner,
        cwd: runtime.cwd,
        metrics: runtime.metrics.stream,
        ...(module === undefined ? {} : { module }),
        onWarning: (message, details) => runtime.logger.warn(details, message),
      }, progress),
    { onFailure: warnOnFailure(runtime.logger) },
  ).finally(() => {
    clearInterval(timer);
    update();
  });
}

/** A pipeline's own long-running service, supervised. */
export function startService(ctx: PipelineContext, service: ServiceDeclaration, status: PartStatus, signal: AbortSignal): Promise<void> {
  return supervise(status, signal, (inner) => service.run(ctx, inner), { onFailure: warnOnFailure(ctx.logger) });
}

/**
 * The services of a pipeline, supervised, until the returned stop is called (`tributary dag test`);
 * without a server, those that need one (`needsServer`) are left out.
 */
export function startPipelineServices(ctx: PipelineContext, pipeline: Pick<DefinedPipeline, 'name' | 'services'>): () => Promise<void> {
  const stop = new AbortController();
  const running = pipeline.services
    .filter((svc) => ctx.serverUrl !== undefined || svc.needsServer !== true)
    .map((svc) => startService(ctx, svc, newStatus('service', svc.name, pipeline.name), stop.signal));
  return async () => {
    stop.abort();
    await Promise.allSettled(running);
  };
}

/**
 * The consumer group of the archiver over these topics: one per set of topics, so that processes
 * archiving other topics on the same Kafka (other pipelines, other tests) never share a group, whose
 * members would then be assigned topics they do not know. The catalog holds the archived positions,
 * not the group, so a new set starting a new group loses and repeats nothing.
 */
export function archiverGroup(topics: readonly string[]): string {
  const digest = createHash('sha256').update([...topics].sort().join('\n')).digest('hex').slice(0, 12);
  return `tributary.archiver.${digest}`;
}

/** The archiver over the given topics into the raw zone, supervised. */
export function startArchiver(runtime: Runtime, topics: string[], status: PartStatus, signal: AbortSignal, rollMs?: number): Promise<void> {
  status.info.topics = topics.join(', ');
  status.info.group = archiverGroup(topics);
  status.counts.records = 0;
  status.counts.files = 0;
  return supervise(
    status,
    signal,
    (inner) =>
      runArchiver({
        log: runtime.log,
        lake: runtime.lake,
        topics,
        group: archiverGroup(topics),
        signal: inner,
        logger: runtime.logger,
        stagingDir: path.resolve(runtime.cwd, runtime.config.dataDir),
        ...(rollMs === undefined ? {} : { rollMs }),
        onFile: (file) => {
          status.counts.records = (status.counts.records ?? 0) + file.rows;
          status.counts.files = (status.counts.files ?? 0) + 1;
        },
      }),
    { onFailure: warnOnFailure(runtime.logger) },
  );
}
