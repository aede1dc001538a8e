/**
 * `tributary run <graph> [--date] [--partition] [--wait]`: trigger one run by hand. With the embedded
 * metadata store the run executes in this process (or in the running `tributary dev` that holds the
 * store) and the command waits for it; with PostgreSQL the workers run it, and `--wait` waits for its end.
 */
import { Command } from 'commander';
import { TributaryError } from '../../errors.ts';
import type { CliContext, GlobalOptions } from '../context.ts';
import { noGraphs, runDetailText, withRuns, type GraphProvider } from '../orchestrator-cli.ts';

interface RunOptions extends GlobalOptions {
  date?: string;
  partition?: string;
  wait?: boolean;
}

export function parseDate(value: string, flag: string): Date {
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(date.getTime())) throw new TributaryError('CLI_USAGE', `${flag} expects a date (YYYY-MM-DD or an ISO time), got ${JSON.stringify(value)}`);
  return date;
}

export function runGraphCommand(ctx: CliContext, graphs: GraphProvider = noGraphs): Command {
  return new Command('run')
    .argument('<graph>', 'graph to run')
    .description('trigger one run of a graph now')
    .option('--date <date>', 'logical date of the run (YYYY-MM-DD or ISO time)')
    .option('--partition <key>', 'partition key of the run')
    .option('--wait', 'wait for the run to end (always, with the embedded metadata store)')
    .action((graphId: string, _o, command: Command) => {
      const options = command.optsWithGlobals<RunOptions>();
      return withRuns(ctx, graphs, options, async (o, where) => {
        const { embedded } = where;
        if (embedded) await where.start();
        const run = await o.trigger(graphId, {
          ...(options.date ? { logicalDate: parseDate(options.date, '--date') } : {}),
          ...(options.partition !== undefined ? { partition: options.partition } : {}),
        });
        if (!run) throw new TributaryError('CLI_USAGE', `${graphId} has a run of that ${options.partition === undefined ? 'logical date' : 'partition'} already; see \`tributary runs --graph ${graphId}\``);
        ctx.io.stdout.write(`run ${run.runId} of ${graphId} queued${where.remote ? ` in the running process at ${where.remote}` : ''}\n`);
        if (!embedded && !options.wait) return;
        const end = await o.waitForRun(run.runId, { ...(ctx.io.signal ? { signal: ctx.io.signal } : {}) });
        const detail = await o.runDetail(end.runId);
        ctx.io.stdout.write(runDetailText(detail!));
        if (end.status !== 'succeeded') throw new TributaryError('ORCHESTRATOR_TASK_FAILED', `run ${end.runId} of ${graphId} ended ${end.status}`, { retryable: false });
      });
    });
}
