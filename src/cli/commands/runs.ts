/**
 * `tributary runs [--graph] [--status]`, `runs show <id>`, `runs retry <id>`, `runs cancel <id>`: the
 * run history, from the metadata store, or through a running `tributary dev` that holds the embedded one.
 */
import { Command, InvalidArgumentError } from 'commander';
import { TributaryError } from '../../errors.ts';
import type { RunStatus } from '../../orchestrator/orchestrator.ts';
import type { CliContext, GlobalOptions } from '../context.ts';
import { noGraphs, runDetailText, runsTable, withRuns, type GraphProvider } from '../orchestrator-cli.ts';

const STATUSES: readonly RunStatus[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

interface ListOptions extends GlobalOptions {
  graph?: string;
  status?: RunStatus;
  limit?: number;
}

function status(value: string): RunStatus {
  if (!(STATUSES as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${STATUSES.join(', ')}`);
  return value as RunStatus;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of 1 or more');
  return n;
}

export function runsCommand(ctx: CliContext, graphs: GraphProvider = noGraphs): Command {
  const out = (text: string) => ctx.io.stdout.write(text);
  const runs = new Command('runs')
    .description('list graph runs, newest first; `runs show|retry|cancel <id>` for one')
    .option('--graph <graph>', 'only this graph')
    .option('--status <status>', `only runs in this status (${STATUSES.join(', ')})`, status)
    .option('--limit <n>', 'at most this many runs (default 50)', positive)
    .action((_o, command: Command) => {
      const options = command.optsWithGlobals<ListOptions>();
      return withRuns(ctx, graphs, options, async (o) => {
        const list = await o.listRuns({ limit: options.limit ?? 50, ...(options.graph ? { graph: options.graph } : {}), ...(options.status ? { status: options.status } : {}) });
        out(list.length === 0 ? 'no runs\n' : runsTable(list));
      });
    });

  runs
    .command('show <id>')
    .description("one run: its tasks, every attempt, and each attempt's log lines")
    .action((id: string, _o, command: Command) =>
      withRuns(ctx, graphs, command.optsWithGlobals<GlobalOptions>(), async (o) => {
        const detail = await o.runDetail(id);
        if (!detail) throw new TributaryError('ORCHESTRATOR_RUN_NOT_FOUND', `no run ${id}; see \`tributary runs\``);
        out(runDetailText(detail));
      }),
    );

  runs
    .command('retry <id>')
    .description("run a failed or cancelled run's unfinished tasks again")
    .action((id: string, _o, command: Command) =>
      withRuns(ctx, graphs, command.optsWithGlobals<GlobalOptions>(), async (o) => {
        const done = await o.retry(id);
        out(done ? `run ${id} queued again\n` : `run ${id} has not failed or been cancelled; nothing to retry\n`);
      }),
    );

  runs
    .command('cancel <id>')
    .description('cancel a queued or running run; its running tasks are told to stop')
    .action((id: string, _o, command: Command) =>
      withRuns(ctx, graphs, command.optsWithGlobals<GlobalOptions>(), async (o) => {
        const done = await o.cancel(id);
        out(done ? `run ${id} cancelled\n` : `run ${id} had already finished\n`);
      }),
    );
  return runs;
}
