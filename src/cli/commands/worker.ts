/**
 * `tributary worker [pipeline …]`: run the stream jobs of the named pipelines (or those the project
 * config lists) in this process, until Ctrl-C. Every worker joins each job's consumer group, so
 * starting a second worker (here or on another machine, on Kafka) hands it half the partitions;
 * stopping or killing one hands them back, with their state (checkpoints in the state store,
 * positions in the sink).
 *
 * It runs the pipelines' graphs too (the sources, the scheduled batch jobs, the declared graphs):
 * with PostgreSQL metadata every worker takes task attempts from the graphile-worker queue and one
 * of them schedules (an advisory lock; another takes over when it dies). `--no-graphs` leaves them out.
 *
 * `--port` serves what `dev` serves on server.host (the UI at `/`, the local API, ingest, query and
 * `/metrics`, behind server.apiKey when exposed); `--metrics-port` serves `/metrics` alone.
 */
import { Command } from 'commander';
import { TributaryError } from '../../errors.ts';
import { loadPipelines } from '../../runtime/load-pipelines.ts';
import type { Orchestration } from '../../runtime/orchestration.ts';
import type { DefinedPipeline } from '../../runtime/pipeline.ts';
import type { Area, Runtime } from '../../runtime/runtime.ts';
import type { PartStatus } from '../../runtime/supervise.ts';
import { runJobs, type JobProgress, type JobsProgress } from '../../stream/run-jobs.ts';
import type { CliContext, GlobalOptions } from '../context.ts';
import { port } from './dev.ts';
import { positiveInt } from './topics.ts';

interface WorkerOptions extends GlobalOptions {
  job?: string[];
  graphs: boolean;
  metricsPort?: number;
  port?: number;
  progressMs: number;
  threads: number;
}

export function workerCommand(ctx: CliContext): Command {
  return new Command('worker')
    .argument('[pipelines...]', 'pipeline modules or directories; default: the pipelines in the project config')
    .description('run the stream jobs of pipelines until Ctrl-C; start more workers to share the partitions')
    .option('-j, --job <name>', 'run only this job (repeatable; default: every stream job of the pipelines)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--metrics-port <port>', 'serve Prometheus metrics on server.host at this port (0: any free port)', (v: string) => (v === '0' ? 0 : positiveInt(v)))
    .option('-p, --port <port>', 'serve the UI, the local API and /metrics on server.host at this port (0: any free port)', port)
    .option('--progress-ms <ms>', 'print counts this often', positiveInt, 5000)
    .option('--no-graphs', "do not run the pipelines' graphs (sources, scheduled batch jobs, declared graphs) here")
    .option('--threads <n>', 'pipeline threads per stateless job, so that one job uses several cores (0: none)', (v: string) => (v === '0' ? 0 : positiveInt(v)), 0)
    .action(async (modules: string[], _o, command: Command) => {
      const options = command.optsWithGlobals<WorkerOptions>();
      const loaded = await ctx.loadConfig(options);
      const logger = await ctx.logger(loaded);
      const pipelines = await loadPipelines(modules, loaded, ctx.io.cwd, { required: true });
      const all = pipelines.flatMap((l) => l.pipeline.streamJobs.map((job) => ({ job, module: l.module })));
      const unknown = (options.job ?? []).filter((name) => !all.some((j) => j.job.name === name));
      if (unknown.length > 0) throw new TributaryError('PIPELINE_INVALID', `no stream job named ${unknown.join(', ')}; the loaded pipelines have ${all.map((j) => j.job.name).join(', ') || 'none'}`);
      const chosen = options.job === undefined ? all : all.filter((j) => options.job!.includes(j.job.name));
      const withGraphs = options.graphs && pipelines.some((l) => l.pipeline.sources.length > 0 || l.pipeline.graphs.length > 0 || l.pipeline.batchJobs.some((b) => b.schedule));
      if (chosen.length === 0 && !withGraphs) throw new TributaryError('PIPELINE_INVALID', `${pipelines.map((l) => l.module).join(', ')} define${pipelines.length === 1 ? 's' : ''} no stream jobs${options.graphs ? ', sources, scheduled batch jobs or graphs' : ''}`);
      const modulesOf = new Set(chosen.map((c) => c.module));
      if (options.port !== undefined && options.metricsPort !== undefined) throw new TributaryError('CLI_USAGE', '--port serves /metrics too: give --port or --metrics-port, not both');
      if (options.threads > 0 && modulesOf.size > 1) throw new TributaryError('CLI_USAGE', '--threads runs the jobs of one pipeline module; name one pipeline, or run a worker per pipeline');

      const { openRuntime } = await import('../../runtime/runtime.ts');
      // The log only when something here reads or writes it: graphs alone leave the embedded log to another process.
      // The UI reads the log and the lake.
      const ui = options.port !== undefined;
      const needsLog = ui || chosen.length > 0 || (withGraphs && pipelines.some((l) => l.pipeline.sources.length > 0));
      const areas: Area[] = [...(needsLog ? (['log'] as const) : []), 'metrics', 'state', ...(withGraphs ? (['lake', 'metadata'] as const) : ui ? (['lake'] as const) : [])];
      const runtime = await openRuntime(loaded.config, { cwd: ctx.io.cwd, logger, areas });
      let orchestration: Orchestration | undefined;
      try {
        if (withGraphs) {
          const { startOrchestration } = await import('../../runtime/orchestration.ts');
          orchestration = await startOrchestration(runtime, pipelines.map((l) => l.pipeline), (name) => runtime.context(name));
        }
        const status: PartStatus = { name: chosen.map((c) => c.job.name).join(', '), kind: 'stream-job', state: 'starting', restarts: 0, counts: {}, info: {} };
        const server = await startServer(runtime, pipelines.map((l) => l.pipeline), options, chosen.length > 0 ? [status] : [], orchestration);
        const signal = ctx.io.signal ?? new AbortController().signal;
        const progress: JobsProgress = new Map();
        const out = ctx.io.stdout;
        const graphs = orchestration?.describe();
        const jobs = chosen.length > 0 ? `running ${chosen.map((c) => c.job.name).join(', ')} on the ${runtime.log.backend} log` : 'no stream jobs';
        out.write(`worker ${process.pid}: ${jobs}${graphs ? `; ${graphs.graphs} graphs on the ${graphs.backend} orchestrator (worker ${graphs.worker})` : ''}${server ? `; ${server.ui ? 'UI, API and metrics' : 'metrics'} at ${server.url}` : ''}\n`);
        const last = new Map<string, { at: number; in: number }>();
        const report = () => {
          for (const p of progress.values()) out.write(`${progressLine(p, last)}\n`);
        };
        const timer = setInterval(report, options.progressMs);
        // Supervised as in `dev`: a failure (the brokers or the store gone for longer than the
        // retries inside the job last) restarts the jobs with backoff from what they committed.
        const { supervise } = await import('../../runtime/supervise.ts');
        let fatal: unknown;
        try {
          if (chosen.length === 0) await aborted(signal);
          else await supervise(
            status,
            signal,
            (inner) =>
              runJobs(
                chosen.map((c) => c.job),
                {
                  config: runtime.config,
                  log: runtime.log,
                  state: runtime.state,
                  signal: inner,
                  cwd: ctx.io.cwd,
                  metrics: runtime.metrics.stream,
                  threads: options.threads,
                  module: [...modulesOf][0]!,
                  onWarning: (message, details) => logger.warn(details, message),
                },
                progress,
              ),
            {
              onFailure: (error, s) => {
                if (s.state === 'failed') fatal = error;
                else logger.warn({ err: error, restarts: s.restarts }, `worker ${process.pid}: ${s.name} failed; restarting from the committed offsets`);
              },
            },
          );
          // A failure that no restart can mend (a bad config, a schema that cannot fit) ends the worker.
          if (fatal !== undefined) throw fatal instanceof Error ? fatal : new Error(`${status.name} failed: ${status.lastError?.message ?? 'unknown error'}`);
          report();
          out.write(`worker ${process.pid}: stopped\n`);
        } finally {
          clearInterval(timer);
          await server?.close();
        }
      } finally {
        await orchestration?.close().catch((error: unknown) => logger.warn({ err: error }, 'worker: closing the orchestrator failed'));
        await runtime.close();
      }
    });
}

/** The server `--port` or `--metrics-port` asks for, if any. */
async function startServer(runtime: Runtime, pipelines: DefinedPipeline[], options: WorkerOptions, parts: PartStatus[], orchestration: Orchestration | undefined): Promise<{ url: string; ui: boolean; close(): Promise<void> } | undefined> {
  const { server } = runtime.config;
  if (options.port !== undefined) {
    const { startPipelineServer } = await import('../../runtime/pipeline-server.ts');
    const started = await startPipelineServer(runtime, pipelines, {
      parts: [...parts, ...(orchestration?.parts ?? [])],
      port: options.port,
      ...(orchestration ? { orchestrator: orchestration.orchestrator, statusExtra: () => ({ orchestrator: orchestration.describe() }) } : {}),
    });
    return { url: started.url, ui: true, close: () => started.close() };
  }
  if (options.metricsPort === undefined) return undefined;
  const { serveMetrics } = await import('../../metrics/serve-metrics.ts');
  const metrics = await serveMetrics(runtime.metrics.registry, { host: server.host, port: options.metricsPort, apiKey: server.apiKey });
  return { url: metrics.url, ui: false, close: () => metrics.close() };
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}

function progressLine(p: JobProgress, last: Map<string, { at: number; in: number }>): string {
  const records = p.kind === 'stateless' ? p.counts.in : p.counts.windows.in;
  const now = Date.now();
  const before = last.get(p.job);
  last.set(p.job, { at: now, in: records });
  const rate = before && now > before.at ? Math.round(((records - before.in) * 1000) / (now - before.at)) : undefined;
  const perSecond = rate === undefined ? '' : ` (${rate.toLocaleString('en-US')}/s)`;
  if (p.kind === 'stateless') {
    const c = p.counts;
    return `${p.job}: in ${c.in} out ${c.out} filtered ${c.filtered} dead-lettered ${c.deadLettered}${perSecond}`;
  }
  const w = p.counts.windows;
  return `${p.job}: in ${w.in} late ${w.late} results ${w.results} checkpoints ${w.checkpoints}${perSecond}`;
}
