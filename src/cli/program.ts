/** The root command: global options, and every command registered explicitly. */
import { Command, Option } from 'commander';
import { batchCommand } from './commands/batch.ts';
import { configCommand } from './commands/config-check.ts';
import { demoCommand } from './commands/demo.ts';
import { devCommand } from './commands/dev.ts';
import { initCommand } from './commands/init.ts';
import { lagCommand } from './commands/lag.ts';
import { lakeCommand } from './commands/lake.ts';
import { produceCommand } from './commands/produce.ts';
import { queryCommand } from './commands/query.ts';
import { serveCommand } from './commands/serve.ts';
import { sourceCommand } from './commands/source.ts';
import { tailCommand } from './commands/tail.ts';
import { topicsCommand } from './commands/topics.ts';
import { workerCommand } from './commands/worker.ts';
import { backfillCommand } from './commands/backfill.ts';
import { dagCommand } from './commands/dag.ts';
import { runGraphCommand } from './commands/run-graph.ts';
import { runsCommand } from './commands/runs.ts';
import type { CliContext } from './context.ts';
import { packageVersion } from '../version.ts';
import type { GraphProvider } from './orchestrator-cli.ts';
import type { TaskAreas } from '../runtime/pipeline.ts';

export { packageVersion } from '../version.ts';

export interface ProgramOptions {
  /** The graphs of the loaded pipelines, for the orchestrator's commands (default: none). */
  graphs?: GraphProvider;
}

/**
 * The graphs of the loaded pipelines (those of the project config): one per source and scheduled
 * batch job, and the pipelines' own, with the lake, state and metadata open for their tasks (and the
 * log for the sources, unless a running process holds the embedded one).
 */
export const pipelineGraphs = (cwd: string): GraphProvider => async (options, loaded) => {
  const { loadPipelines } = await import('../runtime/load-pipelines.ts');
  const pipelines = (await loadPipelines((options as { pipeline?: string[] }).pipeline ?? [], loaded, cwd)).map((l) => l.pipeline);
  if (!pipelines.some((p) => p.graphs.length > 0 || p.sources.length > 0 || p.batchJobs.some((b) => b.schedule))) return { graphs: [] };
  const { openRuntime } = await import('../runtime/runtime.ts');
  const { createLogger } = await import('../logger.ts');
  const { partGraphs } = await import('../runtime/part-graphs.ts');
  const runtime = await openRuntime(loaded.config, { cwd, logger: await createLogger({ level: loaded.config.logging.level }), areas: ['state', 'lake', 'metadata'] });
  if (pipelines.some((p) => p.sources.length > 0)) await runtime.open('log').catch(() => undefined);
  const made = partGraphs(runtime, pipelines, (name) => runtime.context(name));
  const areas: TaskAreas = { config: loaded.config, cwd, lake: runtime.lake, state: runtime.state, metadata: runtime.metadata };
  return {
    graphs: made.graphs,
    areas,
    startServices: async (graphId) => {
      const { startPipelineServices } = await import('../runtime/run-parts.ts');
      const owner = pipelines.find((p) => p.graphs.some((g) => g.id === graphId) || graphId.startsWith(`${p.name}.`));
      return owner ? startPipelineServices(runtime.context(owner.name), owner) : () => Promise.resolve();
    },
    close: async () => {
      await made.close();
      await runtime.close();
    },
  };
};

export function createProgram(ctx: CliContext, options: ProgramOptions = {}): Command {
  const graphs = options.graphs ?? pipelineGraphs(ctx.io.cwd);
  const version = packageVersion();
  const program = new Command('tributary')
    .description('Tributary: a lambda-architecture data platform: write pipelines in TypeScript, run them with `tributary dev`')
    .version(version, '-V, --version', 'print the version')
    .option('-c, --config <file>', 'config file (default: tributary.config.{ts,mjs,js,json,yaml,yml} in the working directory)')
    .option('--set <key=value>', 'override one setting, e.g. --set log.backend=kafka (repeatable; not for secrets)', (v: string, acc: string[] = []) => [...acc, v])
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .option('--data-dir <dir>', 'directory for the embedded backends (default: .tributary)')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => ctx.io.stdout.write(text),
      writeErr: (text) => ctx.io.stderr.write(text),
    })
    .exitOverride();

  const commands = [
    initCommand(ctx),
    devCommand(ctx),
    configCommand(ctx),
    topicsCommand(ctx),
    produceCommand(ctx),
    tailCommand(ctx),
    lagCommand(ctx),
    workerCommand(ctx),
    serveCommand(ctx),
    demoCommand(ctx),
    batchCommand(ctx),
    lakeCommand(ctx),
    queryCommand(ctx),
    sourceCommand(ctx),
    runsCommand(ctx, graphs),
    runGraphCommand(ctx, graphs),
    backfillCommand(ctx, graphs),
    dagCommand(ctx, graphs),
  ];
  for (const command of commands) program.addCommand(command);
  // Subcommands report parse errors through the same streams and without exiting the process.
  const propagate = (command: Command) => {
    command.configureOutput(program.configureOutput()).exitOverride().showHelpAfterError('(run with --help for usage)');
    command.commands.forEach(propagate);
  };
  program.commands.forEach(propagate);
  return program;
}
