/** The config of an http-poll source: where to poll, how to turn a response into records, and HTTP manners. */
import { z } from 'zod';
import { httpOptionsSchema } from '../http/http-options.ts';

/** One record a mapping produces: its log key (optional) and its value. */
export interface MappedRecord {
  key?: string;
  value: unknown;
}

/** A mapping in code: the parsed body in, records out. Throwing rejects the whole response. */
export type HttpPollMap = (body: unknown, context: { url: string }) => MappedRecord[];

export const httpPollConfigSchema = z.strictObject({
  name: z.string().min(1).describe('Source name: progress lives under source.<name>, dead letters go to <name>.dlq'),
  url: z.url().describe('The JSON API to poll'),
  query: z.record(z.string(), z.string()).default({}).describe('Extra query parameters on every request'),
  topic: z.string().min(1).describe('Topic the records go to'),
  records: z.string().default('').describe('Dot path to the array of items in the body ("" = the body itself); e.g. "results"'),
  key: z.string().optional().describe('Dot path to each item\'s key, e.g. "login.uuid"; items without it are dead letters'),
  map: z
    .custom<HttpPollMap>((value) => typeof value === 'function', 'expected a function (body, context) => [{ key, value }]')
    .optional()
    .describe('A mapping function (replaces records/key), for configs written in code'),
  schema: z
    .custom<z.ZodType>((value) => value instanceof z.ZodType, 'expected a zod schema')
    .optional()
    .describe('The topic schema; records that fail it go to <name>.dlq with the reason'),
  paging: z
    .strictObject({
      param: z.string().min(1).describe('Query parameter of the page or cursor, e.g. "page"'),
      first: z.number().int().default(1).describe('Its value on the very first poll'),
    })
    .optional()
    .describe('For APIs with pages: the next page number is kept in the state store and advances after each non-empty page'),
  ...httpOptionsSchema.shape,
});

export type HttpPollConfig = z.output<typeof httpPollConfigSchema>;
