/**
 * `tributary worker <pipeline>`: run the stream jobs a pipeline module defines, in this process,
 * until Ctrl-C. Every worker joins each job's consumer group, so starting a second worker (here or
 * on another machine, on Kafka) hands it half the partitions; stopping or killing one hands them back,
 * with their state (checkpoints in the state store, positions in the sink).
 */
import path from 'node:path';
import { Command } from 'commander';
import { TributaryError } from '../../errors.ts';
import { openStateStore } from '../../state/open-state.ts';
import { loadStreamJobs } from '../../stream/jobs.ts';
import { runJobs, type JobProgress, type JobsProgress } from '../../stream/run-jobs.ts';
import type { CliContext, GlobalOptions } from '../context.ts';
import { positiveInt } from './topics.ts';

interface WorkerOptions extends GlobalOptions {
  job?: string[];
  metricsPort?: number;
  progressMs: number;
  threads: number;
}

export function workerCommand(ctx: CliContext): Command {
  return new Command('worker')
    .argument('<pipeline>', 'pipeline module (.ts or .js) whose default export is defineStreamJobs([...])')
    .description('run the stream jobs of a pipeline module until Ctrl-C; start more workers to share the partitions')
    .option('-j, --job <name>', 'run only this job (repeatable; default: every job in the module)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--metrics-port <port>', 'serve Prometheus metrics on server.host at this port (0: any free port)', (v: string) => (v === '0' ? 0 : positiveInt(v)))
    .option('--progress-ms <ms>', 'print counts this often', positiveInt, 5000)
    .option('--threads <n>', 'pipeline threads per stateless job, so that one job uses several cores (0: none)', (v: string) => (v === '0' ? 0 : positiveInt(v)), 0)
    .action((file: string, _o, command: Command) => {
      const options = command.optsWithGlobals<WorkerOptions>();
      return ctx.withLog(options, async (log, loaded) => {
        const config = loaded.config;
        const logger = await ctx.logger(loaded);
        const module = path.resolve(ctx.io.cwd, file);
        const { jobs } = await loadStreamJobs(module);
        const chosen = options.job === undefined ? jobs : jobs.filter((j) => options.job!.includes(j.name));
        const unknown = (options.job ?? []).filter((name) => !jobs.some((j) => j.name === name));
        if (unknown.length > 0) throw new TributaryError('CLI_USAGE', `no job named ${unknown.join(', ')} in ${file}; it defines ${jobs.map((j) => j.name).join(', ') || 'none'}`);
        if (chosen.length === 0) throw new TributaryError('CLI_USAGE', `${file} defines no stream jobs`);

        const { Registry } = await import('prom-client');
        const { StreamMetrics } = await import('../../metrics/stream-metrics.ts');
        const registry = new Registry();
        const admin = log.admin();
        const metrics = await StreamMetrics.create(registry, { groupLag: (group) => admin.groupLag(group) });
        const { serveMetrics } = await import('../../metrics/serve-metrics.ts');
        const server = options.metricsPort === undefined ? undefined : await serveMetrics(registry, { host: config.server.host, port: options.metricsPort, apiKey: config.server.apiKey });
        const state = await openStateStore(config, { cwd: ctx.io.cwd });
        const signal = ctx.io.signal ?? new AbortController().signal;
        const progress: JobsProgress = new Map();
        const out = ctx.io.stdout;
        out.write(`worker ${process.pid}: running ${chosen.map((j) => j.name).join(', ')} on the ${log.backend} log${server ? `; metrics at ${server.url}` : ''}\n`);
        const last = new Map<string, { at: number; in: number }>();
        const report = () => {
          for (const p of progress.values()) out.write(`${progressLine(p, last)}\n`);
        };
        const timer = setInterval(report, options.progressMs);
        try {
          await runJobs(chosen, { config, log, state, signal, cwd: ctx.io.cwd, metrics, threads: options.threads, module, onWarning: (message, details) => logger.warn(details, message) }, progress);
          report();
          out.write(`worker ${process.pid}: stopped\n`);
        } finally {
          clearInterval(timer);
          await state.close();
          await server?.close();
          await admin.close();
        }
      });
    });
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
