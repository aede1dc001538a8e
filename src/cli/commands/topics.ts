/** `tributary topics list|create|describe|delete`: topic admin on the configured log. */
import { Command, InvalidArgumentError } from 'commander';
import type { CliContext, GlobalOptions } from '../context.ts';
import { table } from '../table.ts';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of 1 or more');
  return n;
}

export function topicsCommand(ctx: CliContext): Command {
  const topics = new Command('topics').description('list, create, describe and delete topics');
  const globals = (command: Command) => command.optsWithGlobals<GlobalOptions & { partitions?: number }>();

  topics
    .command('list')
    .description('list the topics')
    .action((_o, command: Command) =>
      ctx.withLogView(globals(command), async (view) => {
        for (const name of (await view.listTopics()).sort()) ctx.io.stdout.write(`${name}\n`);
      }),
    );

  topics
    .command('create <topic>')
    .description('create a topic')
    .option('-p, --partitions <n>', 'number of partitions (default: log.defaultPartitions)', positiveInt)
    .action((topic: string, _o, command: Command) =>
      ctx.withLogView(globals(command), async (view, { config }) => {
        const partitions = globals(command).partitions ?? config.log.defaultPartitions;
        await view.createTopic(topic, partitions);
        ctx.io.stdout.write(`created topic ${topic} with ${partitions} partition${partitions === 1 ? '' : 's'}\n`);
      }),
    );

  topics
    .command('describe <topic>')
    .description('show each partition with its first and next offset')
    .action((topic: string, _o, command: Command) =>
      ctx.withLogView(globals(command), async (view) => {
        const { partitions } = await view.describeTopic(topic);
        const rows = partitions.map((p) => [String(p.partition), String(p.startOffset), String(p.endOffset), String(p.endOffset - p.startOffset)]);
        ctx.io.stdout.write(`topic ${topic}\n${table(['partition', 'start', 'end', 'records'], rows)}`);
      }),
    );

  topics
    .command('delete <topic>')
    .description('delete a topic and its records')
    .action((topic: string, _o, command: Command) =>
      ctx.withLogView(globals(command), async (view) => {
        await view.deleteTopic(topic);
        ctx.io.stdout.write(`deleted topic ${topic}\n`);
      }),
    );
  return topics;
}
