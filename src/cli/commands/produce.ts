/** `tributary produce <topic>`: one record per line of standard input. */
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { TributaryError } from '../../errors.ts';
import type { ProducerRecord } from '../../log/log.ts';
import type { CliContext, GlobalOptions } from '../context.ts';

interface ProduceOptions extends GlobalOptions {
  keyField?: string;
  raw?: boolean;
}

const BATCH = 1000;

export function produceCommand(ctx: CliContext): Command {
  return new Command('produce')
    .argument('<topic>', 'topic to append to')
    .description('append one record per line of standard input (JSON unless --raw)')
    .option('-k, --key-field <path>', 'use this field of each JSON record as its key (dotted path, e.g. user.id)')
    .option('--raw', 'send each line as it is, without parsing it as JSON')
    .action((topic: string, _o, command: Command) => {
      const options = command.optsWithGlobals<ProduceOptions>();
      if (options.raw && options.keyField) throw new TributaryError('CLI_USAGE', '--key-field needs JSON records; it cannot be used with --raw');
      return ctx.withLogView(options, async (view) => {
        let batch: ProducerRecord[] = [];
        let lineNumber = 0;
        let produced = 0;
        const flush = async () => {
          if (batch.length === 0) return;
          await view.produce(batch);
          produced += batch.length;
          batch = [];
        };
        try {
          for await (const line of createInterface({ input: ctx.io.stdin ?? process.stdin, crlfDelay: Infinity })) {
            lineNumber++;
            if (line.trim() === '') continue;
            batch.push({ topic, key: keyOf(line, lineNumber, options), value: Buffer.from(line) });
            if (batch.length >= BATCH) await flush();
          }
          await flush();
        } catch (error) {
          if (error instanceof TributaryError && produced > 0) error.message += ` (${produced} records before it were produced)`;
          throw error;
        }
        ctx.io.stderr.write(`produced ${produced} record${produced === 1 ? '' : 's'} to ${topic}\n`);
      });
    });
}

function keyOf(line: string, lineNumber: number, options: ProduceOptions): Buffer | null {
  if (options.raw) return null;
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch (error) {
    throw new TributaryError('SCHEMA_VALIDATION', `line ${lineNumber} is not JSON (${(error as Error).message}); use --raw to send lines as they are`, { cause: error });
  }
  if (!options.keyField) return null;
  const key = options.keyField.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | null | undefined)?.[part], record);
  if (key === undefined || key === null) throw new TributaryError('SCHEMA_VALIDATION', `line ${lineNumber} has no field ${options.keyField} to use as its key`);
  return Buffer.from(typeof key === 'string' ? key : JSON.stringify(key));
}
