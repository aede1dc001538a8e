/**
 * The generator source: synthetic records from a function, for examples, demos and tests that must
 * run with nothing but this process. Each poll appends `perPoll` records, `record(i)` for the next
 * sequence numbers, and then stores the sequence number in the state store, so a restart continues
 * the numbering (a crash between the two may append one poll's records again, with the same
 * numbers: at-least-once, like every source).
 *
 * Config: `name`, `topic`, `perPoll` (default 10), `record(i)` → the value (JSON), `key(value)` →
 * the record's key (optional), `limit` (stop after this many records in all; the poll then says
 * it is done).
 */
import { z } from 'zod';
import type { LogProducer } from '../../log/log.ts';
import { progressNamespace, type Source, type SourceComponent } from '../source.ts';

export const generatorConfigSchema = z.strictObject({
  name: z.string().min(1).describe('Source name: progress lives under source.<name>'),
  topic: z.string().min(1).describe('Topic the records go to'),
  perPoll: z.number().int().min(1).max(100_000).default(10).describe('Records each poll appends'),
  record: z.custom<(i: number) => unknown>((value) => typeof value === 'function', 'expected a function (i) => value').describe('The i-th record (i counts from 0 across runs)'),
  key: z
    .custom<(value: unknown) => string>((value) => typeof value === 'function', 'expected a function (value) => key')
    .optional()
    .describe("Each record's key; without it, records have no key"),
  limit: z.number().int().min(1).optional().describe('Records in all; after them the source is done'),
});

export type GeneratorConfig = z.output<typeof generatorConfigSchema>;

const PROGRESS_KEY = 'next';

export const generatorSource: SourceComponent<typeof generatorConfigSchema> = {
  name: 'generator',
  configSchema: generatorConfigSchema,
  create(config, ctx): Source {
    const namespace = progressNamespace(config.name);
    let producer: LogProducer | undefined;
    return {
      name: config.name,
      async poll() {
        const saved = await ctx.state.get(namespace, PROGRESS_KEY);
        const next = saved === undefined ? 0 : Number(saved.toString('utf8'));
        const n = Math.min(config.perPoll, (config.limit ?? Infinity) - next);
        if (n <= 0) return { emitted: 0, skipped: 0, rejected: 0, done: true };
        const records = Array.from({ length: n }, (_, j) => {
          const value = config.record(next + j);
          return { topic: config.topic, key: config.key ? Buffer.from(config.key(value)) : null, value: Buffer.from(JSON.stringify(value)) };
        });
        producer ??= ctx.log.producer();
        await producer.send(records);
        await ctx.state.commit(namespace, new Map([[PROGRESS_KEY, Buffer.from(String(next + n))]]));
        return { emitted: n, skipped: 0, rejected: 0, done: config.limit !== undefined && next + n >= config.limit };
      },
      async close() {
        await producer?.close();
        producer = undefined;
      },
    };
  },
};
