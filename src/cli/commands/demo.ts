/**
 * `tributary demo`: the Pinterest pipeline end to end in this process (src/demo/demo.ts), with live
 * counts once a second on stdout until Ctrl-C or `--duration`, then a summary.
 */
import { Command, InvalidArgumentError } from 'commander';
import { runDemo } from '../../demo/demo.ts';
import type { CliContext, GlobalOptions } from '../context.ts';
import { positiveInt } from './topics.ts';

interface DemoCommandOptions extends GlobalOptions {
  duration?: number;
  rate: number;
  port?: number;
  pins?: string;
  json?: boolean;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number above 0');
  return n;
}

export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port from 0 to 65535 (0: any free port)');
  return n;
}

export function demoCommand(ctx: CliContext): Command {
  return new Command('demo')
    .description('run the Pinterest pipeline in this process: emulator → ingest API → log → cleaning job → view, archiver → lake; Ctrl-C stops')
    .option('-d, --duration <s>', 'stop after this many seconds (default: until Ctrl-C)', positiveNumber)
    .option('-r, --rate <ev/s>', 'pins per second from the emulator', positiveInt, 100)
    .option('-p, --port <port>', 'port of the ingest API (default: server.port; 0: any free port)', port)
    .option('--pins <file>', 'JSONL file of pins to cycle through (default: the 200 sample pins)')
    .option('--json', 'print the summary as JSON')
    .action(async (_o, command: Command) => {
      const options = command.optsWithGlobals<DemoCommandOptions>();
      const loaded = await ctx.loadConfig(options);
      const logger = await ctx.logger(loaded);
      const summary = await runDemo({
        config: loaded.config,
        cwd: ctx.io.cwd,
        logger,
        out: ctx.io.stdout,
        rate: options.rate,
        ...(ctx.io.signal === undefined ? {} : { signal: ctx.io.signal }),
        ...(options.duration === undefined ? {} : { durationMs: options.duration * 1000 }),
        ...(options.port === undefined ? {} : { port: options.port }),
        ...(options.pins === undefined ? {} : { pinsFile: options.pins }),
      });
      const { run, totals } = summary;
      if (options.json) {
        ctx.io.stdout.write(`${JSON.stringify(summary)}\n`);
        return;
      }
      ctx.io.stdout.write(
        [
          `demo stopped after ${(summary.elapsedMs / 1000).toFixed(1)} s${summary.drained ? '' : ' (the job had not caught up; it resumes on the next run)'}`,
          `  this run: sent ${run.sent}, accepted ${run.accepted}; job in ${run.in} = out ${run.out} + filtered ${run.filtered} + dead-lettered ${run.deadLettered}; archived ${run.archived}`,
          `  since the first run: accepted ${totals.accepted}; job in ${totals.in} = out ${totals.out} + filtered ${totals.filtered} + dead-lettered ${totals.deadLettered}; view pinterest_pins ${totals.viewRows} rows`,
          `  data in ${loaded.config.dataDir}; run again to continue`,
        ].join('\n') + '\n',
      );
    });
}
