/** `tributary tail <topic>`: print records as JSON lines as they arrive, until Ctrl-C. */
import { Command, InvalidArgumentError } from 'commander';
import type { LogRecord } from '../../log/log.ts';
import type { CliContext, GlobalOptions } from '../context.ts';
import { positiveInt } from './topics.ts';

interface TailOptions extends GlobalOptions {
  from: 'earliest' | 'latest' | number;
  group?: string;
  max?: number;
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
    .description('print records as JSON lines ({partition, offset, timestamp, key, value}) until Ctrl-C')
    .option('--from <position>', 'where to start without committed offsets: earliest, latest or an offset in every partition', position, 'latest')
    .option('-g, --group <group>', 'read as this consumer group, committing as it goes (default: a throwaway group)')
    .option('-n, --max <n>', 'stop after this many records', positiveInt)
    .action((topic: string, _o, command: Command) => {
      const options = command.optsWithGlobals<TailOptions>();
      return ctx.withLog(options, async (log) => {
        const group = options.group ?? `tributary-tail-${process.pid}-${Date.now()}`;
        const from = options.from;
        const consumer = log.consumer({ group, topics: [topic], from: typeof from === 'number' ? 'earliest' : from });
        const sought = new Set<number>();
        let printed = 0;
        try {
          while (!ctx.io.signal?.aborted && (options.max === undefined || printed < options.max)) {
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
            const next = new Map<number, number>();
            for (const record of records) {
              if (options.max !== undefined && printed >= options.max) break;
              ctx.io.stdout.write(`${JSON.stringify(render(record))}\n`);
              next.set(record.partition, record.offset + 1);
              printed++;
            }
            if (options.group && next.size > 0) await consumer.commit([...next].map(([partition, offset]) => ({ topic, partition, offset })));
          }
        } finally {
          await consumer.close();
        }
      });
    });
}

function render(record: LogRecord): Record<string, unknown> {
  return {
    partition: record.partition,
    offset: record.offset,
    timestamp: new Date(record.timestamp).toISOString(),
    key: record.key?.toString('utf8') ?? null,
    value: decode(record.value),
    ...(Object.keys(record.headers).length > 0 ? { headers: Object.fromEntries(Object.entries(record.headers).map(([k, v]) => [k, v.toString('utf8')])) } : {}),
  };
}

/** JSON values print as JSON; anything else as text. */
function decode(value: Buffer | null): unknown {
  if (value === null) return null;
  const text = value.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
