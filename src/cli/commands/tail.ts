/**
 * `tributary tail <topic>`: print records as JSON lines. Follows the topic until Ctrl-C; with
 * `-n N` it stops after N records, or at the end of the topic when there are fewer (`--follow` keeps
 * waiting for the rest); `--no-follow` stops at the end. Works beside a running `tributary dev`
 * through its local API.
 */
import { Command, InvalidArgumentError } from 'commander';
import { TributaryError } from '../../errors.ts';
import type { Log } from '../../log/log.ts';
import { renderRecord, type LogView, type RenderedRecord } from '../../serve/api/log-view.ts';
import type { CliContext, GlobalOptions } from '../context.ts';
import { positiveInt } from './topics.ts';

interface TailOptions extends GlobalOptions {
  from: 'earliest' | 'latest' | number;
  group?: string;
  max?: number;
  follow?: boolean;
}

function position(value: string): 'earliest' | 'latest' | number {
  if (value === 'earliest' || value === 'latest') return value;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected earliest, latest or an offset');
  return n;
}

export function tailCommand(ctx: CliContext): Command {
  return new Command('tail')
    .argument('<topic>', 'topic to read')
    .description('print records as JSON lines ({partition, offset, timestamp, key, value}); follows the topic until Ctrl-C unless -n or --no-follow')
    .option('--from <position>', 'where to start without committed offsets: earliest, latest or an offset in every partition', position, 'latest')
    .option('-g, --group <group>', 'read as this consumer group, committing as it goes (default: a throwaway group)')
    .option('-n, --max <n>', 'stop after this many records (or at the end of the topic, unless --follow)', positiveInt)
    .option('--follow', 'keep waiting for new records (the default without -n)')
    .option('--no-follow', 'stop at the end of the topic')
    .action((topic: string, _o, command: Command) => {
      const options = command.optsWithGlobals<TailOptions>();
      const follow = options.follow ?? options.max === undefined;
      const print = (record: RenderedRecord) => ctx.io.stdout.write(`${JSON.stringify(record)}\n`);
      return ctx.withLogView(options, async (view) => {
        if (view.log) return consumerTail(view.log, topic, options, follow, print, ctx.io.signal);
        if (options.group) throw new TributaryError('CLI_USAGE', `--group needs the log itself, and a running process (${view.via}) holds it; tail without --group, or stop that process first`);
        return rangeTail(view, topic, options, follow, print, ctx.io.signal);
      });
    });
}

/** Through the local API: read range after range from where the last one ended. */
async function rangeTail(view: LogView, topic: string, options: TailOptions, follow: boolean, print: (r: RenderedRecord) => void, signal?: AbortSignal): Promise<void> {
  let printed = 0;
  let offsets: Record<string, number> | undefined;
  while (!signal?.aborted && (options.max === undefined || printed < options.max)) {
    const max = Math.min(1000, (options.max ?? Infinity) - printed);
    const result = await view.read({ topic, from: options.from, max, waitMs: follow ? 1000 : 0, ...(offsets ? { offsets } : {}) });
    for (const record of result.records) print(record);
    printed += result.records.length;
    offsets = result.next;
    if (!follow && result.atEnd) return;
  }
}

/** On the log itself: one consumer, committing what was printed when a group is given. */
async function consumerTail(log: Log, topic: string, options: TailOptions, follow: boolean, print: (r: RenderedRecord) => void, signal?: AbortSignal): Promise<void> {
  const group = options.group ?? `tributary-tail-${process.pid}-${Date.now()}`;
  const from = options.from;
  const admin = log.admin();
  const { partitions } = await admin.describeTopic(topic).finally(() => admin.close());
  const ends = new Map(partitions.map((p) => [p.partition, p.endOffset]));
  const consumer = log.consumer({ group, topics: [topic], from: typeof from === 'number' ? 'earliest' : from });
  const sought = new Set<number>();
  // Per partition, the next offset to print; unknown until a record of it arrived.
  const next = new Map<number, number>();
  let printed = 0;
  let emptyPolls = 0;
  try {
    while (!signal?.aborted && (options.max === undefined || printed < options.max)) {
      const records = await consumer.poll(500);
      if (typeof from === 'number') {
        // An explicit offset applies to each partition once, when it is first assigned.
        const fresh = consumer.assignment().filter((tp) => !sought.has(tp.partition));
        if (fresh.length > 0) {
          for (const tp of fresh) {
            await consumer.seek(topic, tp.partition, { offset: from });
            sought.add(tp.partition);
          }
          continue;
        }
      }
      // Commit only what was printed: with --max the last batch may be cut short.
      const commit = new Map<number, number>();
      for (const record of records) {
        if (options.max !== undefined && printed >= options.max) break;
        print(renderRecord(record));
        commit.set(record.partition, record.offset + 1);
        next.set(record.partition, record.offset + 1);
        printed++;
      }
      if (options.group && commit.size > 0) await consumer.commit([...commit].map(([partition, offset]) => ({ topic, partition, offset })));
      if (follow) continue;
      const reachedEnds = [...ends].every(([p, end]) => end === 0 || (next.get(p) ?? -1) >= end);
      emptyPolls = records.length === 0 && consumer.assignment().length > 0 ? emptyPolls + 1 : 0;
      // The end: every partition printed up to the end it had at the start, or nothing more came in two polls (a start past the end, a group that had read it all).
      if (reachedEnds || emptyPolls >= 2) return;
    }
  } finally {
    await consumer.close();
  }
}
