/** `tributary query <view>`: a merged view (batch view up to its high-watermark, real-time view after it) as a table or JSON. */
import { Command } from 'commander';
import { TributaryError } from '../../errors.ts';
import { devFilePath, readDevFile } from '../../runtime/dev-file.ts';
import { loadPipelines } from '../../runtime/load-pipelines.ts';
import { apiClient } from '../../serve/api/api-client.ts';
import type { QueryResult } from '../../serve/query/view.ts';
import type { CliContext, GlobalOptions } from '../context.ts';
import { table } from '../table.ts';

interface QueryOptions extends GlobalOptions {
  pipeline?: string[];
  param?: string[];
  json?: boolean;
  recompute?: boolean;
  asOf?: string;
}

function params(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new TributaryError('CLI_USAGE', `--param expects name=value (e.g. --param category=finance), got "${pair}"`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

function coverage(result: QueryResult): string {
  const { asOf } = result;
  if (asOf.batch.asOf !== undefined) {
    const held = Object.entries(asOf.batch.offsets).sort(([a], [b]) => Number(a) - Number(b)).map(([p, t]) => `${p}: < ${t}`);
    return `as of snapshot ${asOf.batch.asOf}: the batch view alone, ${held.length ? `${asOf.topic} offsets per partition ${held.join('; ')}` : `nothing of ${asOf.topic} in it`}${asOf.batch.computed ? `; computed ${asOf.batch.computed}` : ''}\n`;
  }
  const partitions = Object.keys(asOf.covered).sort((a, b) => Number(a) - Number(b));
  if (partitions.length === 0) return `as of: nothing of ${asOf.topic} counted yet\n`;
  const parts = partitions.map((p) => `${p}: < ${asOf.covered[p]} (batch < ${asOf.batch.offsets[p] ?? 0}, real-time < ${asOf.realtime[p] ?? 0})`);
  return `as of ${asOf.topic} offsets, per partition: ${parts.join('; ')}${asOf.batch.computed ? `; batch view computed ${asOf.batch.computed}` : '; no batch view yet'}\n`;
}

export function queryCommand(ctx: CliContext): Command {
  return new Command('query')
    .description("answer a view from the serving layer (the batch view up to its high-watermark merged with the real-time view after it), or a stream job's real-time table")
    .argument('<view>', 'the view or real-time table, e.g. posts-per-category or pinterest_pins')
    .option('--pipeline <module>', 'the pipelines whose views to load (repeatable; default: those in the project config, or those of a running tributary dev)', (v: string, acc: string[] = []) => [...acc, v])
    .option('-p, --param <name=value>', 'a query parameter, e.g. category=finance (repeatable)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--recompute', 'recompute the batch view from the lake first')
    .option('--as-of <snapshot|time>', "answer from the batch view as of a past snapshot of the lake (its id, or a time: the snapshot current then), without the real-time half")
    .option('--json', 'print the result as JSON')
    .action(async (view: string, _o, command: Command) => {
      const options = command.optsWithGlobals<QueryOptions>();
      const loaded = await ctx.loadConfig(options);
      const query = params(options.param ?? []);
      const { parseAsOf } = await import('../../lake/tables/as-of.ts');
      const asOf = options.asOf === undefined ? undefined : parseAsOf(options.asOf);
      if (asOf && options.recompute) throw new TributaryError('CLI_USAGE', '--as-of reads a past snapshot; --recompute makes a new one: use one or the other');
      const running = readDevFile(devFilePath(loaded.config, ctx.io.cwd));
      let result: QueryResult;
      if (running && !options.recompute && options.pipeline === undefined) {
        // The running process has every view of its pipelines open: ask it.
        const search = new URLSearchParams({ ...query, ...(options.asOf === undefined ? {} : { asOf: options.asOf }) }).toString();
        result = await apiClient(running.url, loaded.config.server.apiKey).get<QueryResult>(`/query/${encodeURIComponent(view)}${search ? `?${search}` : ''}`);
      } else {
        const pipelines = await loadPipelines(options.pipeline ?? [], loaded, ctx.io.cwd);
        if (pipelines.length === 0) throw new TributaryError('VIEW_NOT_FOUND', `No view "${view}": no pipeline is loaded; name one with --pipeline <module> or list them in the project config`);
        const logger = await ctx.logger(loaded);
        const { openRuntime } = await import('../../runtime/runtime.ts');
        const { pipelineViews } = await import('../../runtime/pipeline-server.ts');
        const { createQueryService } = await import('../../serve/query/query.ts');
        const runtime = await openRuntime(loaded.config, { cwd: ctx.io.cwd, logger, areas: ['lake'] });
        try {
          const service = createQueryService(await pipelineViews(runtime, pipelines.map((l) => l.pipeline)));
          try {
            if (options.recompute) await service.views.find((v) => v.name === view)?.recompute?.();
            result = await service.query(view, query, asOf ? { asOf } : {});
          } finally {
            await service.close();
          }
        } finally {
          await runtime.close();
        }
      }
      if (options.json) {
        ctx.io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const rows = result.rows.map((row) => result.columns.map((c) => String(row[c] ?? '')));
      ctx.io.stdout.write(table(result.columns, rows));
      ctx.io.stdout.write(coverage(result));
    });
}
