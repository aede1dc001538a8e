/**
 * Starting each kind of part of the loaded pipelines on an open runtime: stream jobs, services and
 * the archiver under supervision (supervise.ts), sources and batch jobs on their schedules
 * (schedule.ts). Each start function returns the part's running promise; its live status is the
 * `PartStatus` it was given, which `tributary dev` prints and the local API serves.
 */
import path from 'node:path';
import { runArchiver } from '../batch/archiver.ts';
import { isTributaryError } from '../errors.ts';
import { runBatchJob } from '../batch/run-batch-job.ts';
import type { Logger } from '../logger.ts';
import { runJobs, type JobsProgress } from '../stream/run-jobs.ts';
import type { JobDefinition } from '../stream/jobs.ts';
import type { BatchJobDeclaration, PipelineContext, ServiceDeclaration, SourceDeclaration } from './pipeline.ts';
import type { Runtime } from './runtime.ts';
import { describeSchedule, runOnSchedule } from './schedule.ts';
import { supervise, type PartStatus } from './supervise.ts';

export function newStatus(kind: PartStatus['kind'], name: string, pipeline?: string): PartStatus {
  return { kind, name, ...(pipeline === undefined ? {} : { pipeline }), state: 'starting', restarts: 0, counts: {}, info: {} };
}

function warnOnFailure(logger: Logger) {
  return (error: unknown, status: PartStatus) => logger.warn({ part: status.name, kind: status.kind, err: error, restarts: status.restarts }, `${status.kind} ${status.name} failed; restarting it`);
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

/** The archiver over the given topics into the raw zone, supervised. */
export function startArchiver(runtime: Runtime, topics: string[], status: PartStatus, signal: AbortSignal, rollMs?: number): Promise<void> {
  status.info.topics = topics.join(', ');
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

/** A source polled on its schedule; a failed poll is logged and counted, and the next one runs on time. */
export async function startSource(ctx: PipelineContext, declaration: SourceDeclaration, status: PartStatus, signal: AbortSignal): Promise<void> {
  status.info.schedule = describeSchedule(declaration.schedule);
  Object.assign(status.counts, { polls: 0, emitted: 0, skipped: 0, rejected: 0, failedPolls: 0 });
  const component = declaration.component;
  const source = component.create(declaration.config, { log: ctx.log, state: ctx.state, logger: ctx.logger, ...(declaration.writesTo === 'lake' ? { lake: ctx.lake } : {}) });
  status.state = 'running';
  try {
    await runOnSchedule(
      declaration.schedule,
      signal,
      async () => {
        status.counts.polls = (status.counts.polls ?? 0) + 1;
        const result = await source.poll(signal);
        status.counts.emitted = (status.counts.emitted ?? 0) + result.emitted;
        status.counts.skipped = (status.counts.skipped ?? 0) + result.skipped;
        status.counts.rejected = (status.counts.rejected ?? 0) + result.rejected;
        status.info.lastPoll = new Date().toISOString();
      },
      (error) => {
        status.counts.failedPolls = (status.counts.failedPolls ?? 0) + 1;
        status.lastError = { code: (error as { code?: string }).code ?? 'INTERNAL', message: (error as Error).message, at: new Date().toISOString() };
        ctx.logger.warn({ source: declaration.name, err: error }, `source ${declaration.name}: poll failed; the next one runs on schedule`);
      },
    );
  } finally {
    status.state = 'stopped';
    await source.close();
  }
}

/** A batch job run incrementally on its schedule. */
export async function startBatchSchedule(runtime: Runtime, declaration: BatchJobDeclaration, status: PartStatus, signal: AbortSignal): Promise<void> {
  if (!declaration.schedule) return;
  status.info.schedule = describeSchedule(declaration.schedule);
  Object.assign(status.counts, { runs: 0, failedRuns: 0, read: 0, written: 0, quarantined: 0 });
  status.state = 'running';
  const { config } = runtime;
  try {
    await runOnSchedule(
      declaration.schedule,
      signal,
      async () => {
        // The lake's tables are attached for the run only, so that commands beside dev can attach them too.
        const { openLakeTables, tablesSettings } = await import('../lake/tables/open-tables.ts');
        const { batchSettings } = await import('../batch/duckdb.ts');
        const tables = await openLakeTables(tablesSettings(config, runtime.cwd), { settings: batchSettings({ threads: config.batch.threads, ...(config.batch.memoryLimit ? { memoryLimit: config.batch.memoryLimit } : {}) }) });
        let summary: Awaited<ReturnType<typeof runBatchJob>>;
        try {
          summary = await runBatchJob(declaration.job, { lake: runtime.lake, metadata: runtime.metadata, tables }, {});
        } finally {
          await tables.close();
        }
        status.counts.runs = (status.counts.runs ?? 0) + summary.units.length;
        status.counts.failedRuns = (status.counts.failedRuns ?? 0) + summary.failed;
        status.counts.read = (status.counts.read ?? 0) + summary.counts.read;
        status.counts.written = (status.counts.written ?? 0) + summary.counts.written;
        status.counts.quarantined = (status.counts.quarantined ?? 0) + summary.counts.quarantined;
        status.info.lastRun = new Date().toISOString();
        if (summary.failed > 0) {
          const first = summary.units.find((u) => u.status === 'failed')?.error;
          status.lastError = { code: first?.code ?? 'INTERNAL', message: first?.message ?? 'a unit failed', at: new Date().toISOString() };
        }
      },
      (error) => {
        // An input nothing has written yet (the archiver's first range, a source's first download) is not a failure.
        if (isTributaryError(error, 'LAKE_NOT_FOUND')) {
          status.info.lastRun = `${new Date().toISOString()} (no input yet)`;
          return;
        }
        status.counts.failedRuns = (status.counts.failedRuns ?? 0) + 1;
        status.lastError = { code: (error as { code?: string }).code ?? 'INTERNAL', message: (error as Error).message, at: new Date().toISOString() };
        runtime.logger.warn({ job: declaration.job.name, err: error }, `batch job ${declaration.job.name} failed; it runs again on schedule`);
      },
      { runAtStart: false },
    );
  } finally {
    status.state = 'stopped';
  }
}
