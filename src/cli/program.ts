/** The root command: global options, and every command registered explicitly. */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { batchCommand } from './commands/batch.ts';
import { configCommand } from './commands/config-check.ts';
import { demoCommand } from './commands/demo.ts';
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
import { noGraphs, type GraphProvider } from './orchestrator-cli.ts';

/** The package version, from package.json (two levels up from both src/cli and dist/cli). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export interface ProgramOptions {
  /** The graphs of the loaded pipelines, for the orchestrator's commands (default: none). */
  graphs?: GraphProvider;
}

export function createProgram(ctx: CliContext, options: ProgramOptions = {}): Command {
  const graphs = options.graphs ?? noGraphs;
  const version = packageVersion();
  const program = new Command('tributary')
    .description('Tributary: a lambda-architecture data platform (log, stream and batch layers, lake, serving layer)')
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
