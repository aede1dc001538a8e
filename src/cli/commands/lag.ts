/** `tributary lag <group>`: how far a consumer group is behind, per partition. */
import { Command } from 'commander';
import type { CliContext, GlobalOptions } from '../context.ts';
import { table } from '../table.ts';

export function lagCommand(ctx: CliContext): Command {
  return new Command('lag')
    .argument('<group>', 'consumer group')
    .description('show committed offset, end offset and lag per partition for a consumer group')
    .action((group: string, _o, command: Command) =>
      ctx.withLog(command.optsWithGlobals<GlobalOptions>(), async (log) => {
        const admin = log.admin();
        const lag = await admin.groupLag(group);
        await admin.close();
        if (lag.length === 0) {
          ctx.io.stdout.write(`group ${group} has no committed offsets\n`);
          return;
        }
        const rows = lag.map((l) => [l.topic, String(l.partition), l.committedOffset === undefined ? '-' : String(l.committedOffset), String(l.endOffset), String(l.lag)]);
        const total = lag.reduce((n, l) => n + l.lag, 0);
        ctx.io.stdout.write(`${table(['topic', 'partition', 'committed', 'end', 'lag'], rows)}total lag ${total}\n`);
      }),
    );
}
