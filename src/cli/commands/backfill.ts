/**
 * `tributary backfill <graph> --from --to [--concurrency N] [--rerun-failed] [--wait]`: one run per
 * logical date (or per `--partitions` key). Running it again resumes: only missing runs are made.
 * With the embedded store the runs execute here and the command waits; with PostgreSQL the workers
 * run them.
 */
import { Command, InvalidArgumentError } from 'commander';
import { TributaryError } from '../../errors.ts';
import type { BackfillOptions } from '../../orchestrator/backfill.ts';
import { devFilePath, readDevFile } from '../../runtime/dev-file.ts';
import { apiClient } from '../../serve/api/api-client.ts';
import { remoteRuns, type RunsService } from '../../serve/api/run-client.ts';
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
    .action(async (graphId: string, _o, command: Command) => {
      const options = command.optsWithGlobals<BackfillCliOptions>();
      const plan: BackfillOptions = {
        ...(options.partitions !== undefined ? { partitions: options.partitions.split(',').map((p) => p.trim()).filter(Boolean) } : {}),
        ...(options.from !== undefined ? { from: parseDate(options.from, '--from') } : {}),
        // A date alone takes in the whole day.
        ...(options.to !== undefined ? { to: new Date(parseDate(options.to, '--to').getTime() + (/^\d{4}-\d{2}-\d{2}$/.test(options.to) ? 86_399_999 : 0)) } : {}),
        ...(options.rerunFailed ? { rerunFailed: true } : {}),
      };
      const loaded = await ctx.loadConfig(options);
      const running = loaded.config.metadata.backend === 'embedded' ? readDevFile(devFilePath(loaded.config, ctx.io.cwd)) : undefined;
      if (running) return backfillThrough(ctx, remoteRuns(apiClient(running.url, loaded.config.server.apiKey)), graphId, plan, options);
      const extra = options.concurrency === undefined ? {} : { maxActiveRuns: { [graphId]: options.concurrency } };
      return withOrchestrator(
        ctx, graphs, options,
        async (o, loaded) => {
          const { backfill } = await import('../../orchestrator/backfill.ts');
          const embedded = loaded.config.metadata.backend === 'embedded';
          if (embedded) await o.start();
          // A crashed earlier attempt may have left attempts queued or leased: pick them up.
          await o.sweep();
          const result = await backfill(o, graphId, plan);
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

/** The backfill through a running dev's local API (it holds the embedded store and runs the tasks); waits for its runs. */
async function backfillThrough(ctx: CliContext, runs: RunsService, graphId: string, plan: BackfillOptions, options: BackfillCliOptions): Promise<void> {
  if (options.concurrency !== undefined) throw new TributaryError('CLI_USAGE', `--concurrency applies to a backfill run by this command; the running tributary dev runs this one with ${graphId}'s maxActiveRuns. Stop dev, or leave out --concurrency`);
  const result = await runs.backfill(graphId, plan);
  ctx.io.stdout.write(`backfill ${result.id}: ${result.planned} runs planned, ${result.created} new, ${result.rerun} cleared to run again, ${result.planned - result.created} there already (run by the running tributary dev)\n`);
  for (;;) {
    const open = [...(await runs.listRuns({ graph: graphId, status: 'queued', limit: 1 })), ...(await runs.listRuns({ graph: graphId, status: 'running', limit: 1 }))];
    if (open.length === 0) break;
    if (ctx.io.signal?.aborted) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const failed = await runs.listRuns({ graph: graphId, status: 'failed', limit: 1000 });
  ctx.io.stdout.write(`backfill ${result.id}: done, ${failed.length}${failed.length === 1000 ? ' or more' : ''} failed runs of ${graphId}${failed.length ? ' (tributary runs --status failed)' : ''}\n`);
}
