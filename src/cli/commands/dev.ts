/**
 * `tributary dev [pipeline …]`: run every part of the named pipelines (or those the project config
 * lists) in this process until Ctrl-C or `--duration`: sources on their schedules, the ingest API,
 * stream jobs, the archiver, batch jobs on their schedules, the serving layer, metrics and the local
 * API. Other commands (`tail`, `topics`, `lag`, `query`, …) keep working beside it.
 */
import { Command, InvalidArgumentError } from 'commander';
import { loadPipelines } from '../../runtime/load-pipelines.ts';
import type { CliContext, GlobalOptions } from '../context.ts';

export interface DevCommandOptions extends GlobalOptions {
  duration?: number;
  port?: number;
  statusMs: number;
  drain?: number;
  json?: boolean;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number above 0');
  return n;
}

export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port from 0 to 65535 (0: any free port)');
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number of 0 or more');
  return n;
}

export function devCommand(ctx: CliContext): Command {
  return new Command('dev')
    .argument('[pipelines...]', 'pipeline modules or directories (e.g. examples/pinterest, or examples/ for all); default: the pipelines in the project config')
    .description('run pipelines in this process: sources, ingest API, stream jobs, archiver, batch jobs, views, metrics; Ctrl-C stops')
    .option('-d, --duration <s>', 'stop after this many seconds (default: until Ctrl-C)', positiveNumber)
    .option('-p, --port <port>', 'port of the server (default: server.port; 0: any free port)', port)
    .option('--status-ms <ms>', 'print the status this often (0: only at start and stop)', nonNegativeInt, 2000)
    .option('--drain <s>', 'before stopping, let the stream jobs catch up with their topics for at most this long', positiveNumber)
    .option('--json', 'print the final status as JSON on stdout (status lines go to stderr)')
    .action((modules: string[], _o, command: Command) => runDevAction(ctx, modules, command.optsWithGlobals<DevCommandOptions>()));
}

/** What `dev` does with its arguments; `demo` runs it on the Pinterest example. */
export async function runDevAction(ctx: CliContext, modules: readonly string[], options: DevCommandOptions): Promise<void> {
  const loaded = await ctx.loadConfig(options);
  const logger = await ctx.logger(loaded);
  const pipelines = await loadPipelines(modules, loaded, ctx.io.cwd, { required: true });
  const { runDev } = await import('../../runtime/dev.ts');
  const summary = await runDev({
    config: loaded.config,
    cwd: ctx.io.cwd,
    logger,
    pipelines,
    out: options.json ? ctx.io.stderr : ctx.io.stdout,
    statusMs: options.statusMs,
    ...(ctx.io.signal === undefined ? {} : { signal: ctx.io.signal }),
    ...(options.duration === undefined ? {} : { durationMs: options.duration * 1000 }),
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.drain === undefined ? {} : { drainMs: options.drain * 1000 }),
  });
  if (options.json) ctx.io.stdout.write(`${JSON.stringify(summary)}\n`);
  else ctx.io.stdout.write(`tributary dev stopped after ${(summary.elapsedMs / 1000).toFixed(1)} s; data in ${loaded.config.dataDir}; run again to continue\n`);
}
