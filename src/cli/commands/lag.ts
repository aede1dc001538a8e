/**
 * `tributary lag [group|job]`: how far consumer groups are behind, per partition. Without an
 * argument, every group the loaded pipelines read as (each stream job's, the archiver's); with a
 * stream job's name (as `tributary dev` prints it), that job's groups; otherwise the named group.
 */
import { Command } from 'commander';
import { TributaryError } from '../../errors.ts';
import { pipelineGroups } from '../../runtime/groups.ts';
import { loadPipelines } from '../../runtime/load-pipelines.ts';
import { lagOf, type GroupLag } from '../../serve/api/api-routes.ts';
import { apiClient } from '../../serve/api/api-client.ts';
import type { CliContext, GlobalOptions } from '../context.ts';
import { table } from '../table.ts';

interface LagOptions extends GlobalOptions {
  pipeline?: string[];
  json?: boolean;
}

export function lagCommand(ctx: CliContext): Command {
  return new Command('lag')
    .argument('[group]', "a consumer group, or a stream job's name; default: every group of the loaded pipelines")
    .description('show committed offset, end offset and lag per partition for consumer groups')
    .option('--pipeline <module>', 'the pipelines whose groups to list (repeatable; default: those in the project config)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--json', 'print JSON')
    .action((name: string | undefined, _o, command: Command) => {
      const options = command.optsWithGlobals<LagOptions>();
      return ctx.withLogView(options, async (view, loaded) => {
        let known: Array<{ group: string; reader: string }>;
        if (view.log) known = pipelineGroups((await loadPipelines(options.pipeline ?? [], loaded, ctx.io.cwd)).map((l) => l.pipeline));
        else known = (await apiClient(view.via, loaded.config.server.apiKey).get<{ groups: GroupLag[] }>('/api/lag')).groups.map((g) => ({ group: g.group, reader: g.reader ?? g.group }));
        let groups: GroupLag[];
        if (name === undefined) {
          if (known.length === 0) throw new TributaryError('CLI_USAGE', 'no pipelines loaded, so no groups to list: name a group (tributary lag job.<job>), or pass --pipeline <module>');
          groups = await Promise.all(known.map((k) => lagOf(view, k.group, k.reader)));
        } else {
          const ofJob = known.filter((k) => k.reader === name);
          const candidates = ofJob.length > 0 ? ofJob : [{ group: name, reader: name }];
          groups = await Promise.all(candidates.map((k) => lagOf(view, k.group, k.reader)));
          // A job name without the pipelines loaded: its groups are job.<name> and, when windowed, job.<name>.windows.
          if (ofJob.length === 0 && groups.every((g) => g.partitions.length === 0) && !name.startsWith('job.')) {
            groups = (await Promise.all([`job.${name}`, `job.${name}.windows`].map((g) => lagOf(view, g, name)))).filter((g) => g.partitions.length > 0);
            if (groups.length === 0) groups = [await lagOf(view, name, name)];
          }
        }
        if (options.json) {
          ctx.io.stdout.write(`${JSON.stringify({ groups }, null, 2)}\n`);
          return;
        }
        for (const g of groups) {
          if (g.partitions.length === 0) {
            ctx.io.stdout.write(`group ${g.group} has no committed offsets\n`);
            continue;
          }
          const rows = g.partitions.map((l) => [l.topic, String(l.partition), l.committedOffset === undefined ? '-' : String(l.committedOffset), String(l.endOffset), String(l.lag)]);
          if (groups.length > 1 || name === undefined) ctx.io.stdout.write(`group ${g.group}${g.reader && g.reader !== g.group ? ` (${g.reader})` : ''}\n`);
          ctx.io.stdout.write(`${table(['topic', 'partition', 'committed', 'end', 'lag'], rows)}total lag ${g.total}\n`);
        }
      });
    });
}
