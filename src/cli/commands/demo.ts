/**
 * `tributary demo`: `tributary dev examples/pinterest` in a clone of the repository, with the pin
 * poster's rate as an option. In a project of one's own, `tributary dev` runs its pipelines.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { TributaryError } from '../../errors.ts';
import type { CliContext, GlobalOptions } from '../context.ts';
import { port, positiveNumber, runDevAction } from './dev.ts';
import { positiveInt } from './topics.ts';

/** The Pinterest example beside the package (src/cli/commands or dist/cli/commands, three levels down). */
export const PINTEREST_EXAMPLE = fileURLToPath(new URL('../../../examples/pinterest', import.meta.url));

export function demoCommand(ctx: CliContext): Command {
  return new Command('demo')
    .description('run the Pinterest example (tributary dev examples/pinterest): pin poster → ingest API → log → cleaning job → table, archiver → lake; Ctrl-C stops')
    .option('-d, --duration <s>', 'stop after this many seconds (default: until Ctrl-C)', positiveNumber)
    .option('-r, --rate <pins/s>', 'pins per second from the poster', positiveInt, 100)
    .option('-p, --port <port>', 'port of the server (default: server.port; 0: any free port)', port)
    .option('--json', 'print the final status as JSON')
    .action(async (_o, command: Command) => {
      const options = command.opts<{ duration?: number; rate: number; port?: number; json?: boolean }>();
      if (!existsSync(PINTEREST_EXAMPLE)) {
        throw new TributaryError('PIPELINE_NOT_FOUND', `tributary demo runs the Pinterest example of a clone of the repository (${PINTEREST_EXAMPLE} is not there); in your own project, run tributary dev`);
      }
      // The example reads its poster's rate from the environment when it loads.
      process.env.PINTEREST_RATE = String(options.rate);
      const globals = command.optsWithGlobals<GlobalOptions>();
      await runDevAction(ctx, [PINTEREST_EXAMPLE], {
        ...globals,
        statusMs: 2000,
        drain: 30,
        ...(options.duration === undefined ? {} : { duration: options.duration }),
        ...(options.port === undefined ? {} : { port: options.port }),
        ...(options.json ? { json: true } : {}),
      });
    });
}
