/** `tributary query <view>`: a merged view (batch view up to its high-watermark, real-time view after it) as a table or JSON. */
import { Command } from 'commander';
import { TributaryError } from '../../errors.ts';
import { openQueryService } from '../../serve/query/views.ts';
import type { QueryResult } from '../../serve/query/view.ts';
import type { CliContext, GlobalOptions } from '../context.ts';
import { table } from '../table.ts';

interface QueryOptions extends GlobalOptions {
  param?: string[];
  json?: boolean;
  recompute?: boolean;
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
  const partitions = Object.keys(asOf.covered).sort((a, b) => Number(a) - Number(b));
  if (partitions.length === 0) return `as of: nothing of ${asOf.topic} counted yet\n`;
  const parts = partitions.map((p) => `${p}: < ${asOf.covered[p]} (batch < ${asOf.batch.offsets[p] ?? 0}, real-time < ${asOf.realtime[p] ?? 0})`);
  return `as of ${asOf.topic} offsets, per partition: ${parts.join('; ')}${asOf.batch.computed ? `; batch view computed ${asOf.batch.computed}` : '; no batch view yet'}\n`;
}

export function queryCommand(ctx: CliContext): Command {
  return new Command('query')
    .description('answer a view from the serving layer: the batch view up to its high-watermark merged with the real-time view after it')
    .argument('<view>', 'the view, e.g. posts-per-category')
    .option('-p, --param <name=value>', 'a query parameter, e.g. category=finance (repeatable)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--recompute', 'recompute the batch view from the lake first')
    .option('--json', 'print the result as JSON')
    .action(async (view: string, _o, command: Command) => {
      const options = command.optsWithGlobals<QueryOptions>();
      const loaded = await ctx.loadConfig(options);
      const service = await openQueryService(loaded.config, { cwd: ctx.io.cwd });
      try {
        if (options.recompute) {
          const target = service.views.find((v) => v.name === view);
          await target?.recompute?.();
        }
        const result = await service.query(view, params(options.param ?? []));
        if (options.json) {
          ctx.io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
          return;
        }
        const rows = result.rows.map((row) => result.columns.map((c) => String(row[c] ?? '')));
        ctx.io.stdout.write(table(result.columns, rows));
        ctx.io.stdout.write(coverage(result));
      } finally {
        await service.close();
      }
    });
}
