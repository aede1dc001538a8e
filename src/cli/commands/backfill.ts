/**
 * `tributary backfill <graph> --from --to [--concurrency N] [--rerun-failed] [--wait]`: one run per
 * logical date (or per `--partitions` key). Running it again resumes: only missing runs are made.
 * With the embedded store the runs execute here and the command waits; with PostgreSQL the workers
 * run them.
 */
import { Command, InvalidArgumentError } from 'commander';
import type { CliContext, GlobalOptions } from '../context.ts';
import { noGraphs, withOrchestrator, type GraphProvider } from '../orchestrator-cli.ts';
import { parseDate } from './run-graph.ts';

interface BackfillCliOptions extends GlobalOptions {
  from?: string;
  to?: string;
  partitions?: string;
  concurrency?: number;
  rerunFailed?: boolean;
  wait?: boolean;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of 1 or more');
  return n;
}

export function backfillCommand(ctx: CliContext, graphs: GraphProvider = noGraphs): Command {
  return new Command('backfill')
    .argument('<graph>', 'graph to backfill')
    .description("run a graph over a range of logical dates (its schedule's intervals; daily without one) or partitions")
    .option('--from <date>', 'first logical date, inclusive')
    .option('--to <date>', 'last logical date, inclusive (a date alone: the whole day)')
    .option('--partitions <keys>', 'comma-separated partition keys instead of dates')
    .option('--concurrency <n>', "runs at once from this command (default the graph's maxActiveRuns)", positive)
    .option('--rerun-failed', 'clear the failed and cancelled runs of the range so they run again')
    .option('--wait', 'wait for every run of the backfill to end (always, with the embedded metadata store)')
    .action((graphId: string, _o, command: Command) => {
      const options = command.optsWithGlobals<BackfillCliOptions>();
      const extra = options.concurrency === undefined ? {} : { maxActiveRuns: { [graphId]: options.concurrency } };
      return withOrchestrator(
        ctx, graphs, options,
        async (o, loaded) => {
          const { backfill } = await import('../../orchestrator/backfill.ts');
          const embedded = loaded.config.metadata.backend === 'embedded';
          if (embedded) await o.start();
          // A crashed earlier attempt may have left attempts queued or leased: pick them up.
          await o.sweep();
          const result = await backfill(o, graphId, {
            ...(options.partitions !== undefined ? { partitions: options.partitions.split(',').map((p) => p.trim()).filter(Boolean) } : {}),
            ...(options.from !== undefined ? { from: parseDate(options.from, '--from') } : {}),
            // A date alone takes in the whole day.
            ...(options.to !== undefined ? { to: new Date(parseDate(options.to, '--to').getTime() + (/^\d{4}-\d{2}-\d{2}$/.test(options.to) ? 86_399_999 : 0)) } : {}),
            ...(options.rerunFailed ? { rerunFailed: true } : {}),
          });
          ctx.io.stdout.write(`backfill ${result.id}: ${result.planned} runs planned, ${result.created} new, ${result.rerun} cleared to run again, ${result.planned - result.created} there already\n`);
          if (!embedded && !options.wait) return;
          for (;;) {
            const open = [
              ...(await o.store.listRuns({ graph: graphId, status: 'queued', limit: 1 })),
              ...(await o.store.listRuns({ graph: graphId, status: 'running', limit: 1 })),
            ];
            if (open.length === 0) break;
            await o.sweep();
            await new Promise((resolve) => setTimeout(resolve, 200));
            if (ctx.io.signal?.aborted) return;
          }
          const failed = await o.store.listRuns({ graph: graphId, status: 'failed', limit: 1_000_000 });
          ctx.io.stdout.write(`backfill ${result.id}: done, ${failed.length} failed runs of ${graphId}${failed.length ? ' (tributary runs --status failed)' : ''}\n`);
        },
        extra,
      );
    });
}
