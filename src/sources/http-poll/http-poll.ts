/**
 * http-poll: polls a JSON API and turns each response into records on a topic.
 *
 * One poll = one GET (with the shared retries, timeout and rate limit of src/sources/http/) →
 * parse (malformed JSON is SOURCE_INVALID_RESPONSE naming the URL and the position) → map to
 * records → check each against the topic schema (failures go to `<name>.dlq` with the reason) →
 * send → save progress.
 *
 * Progress (state namespace `source.<name>`, key `progress`): the poll count, the time of the last
 * success and, with `paging`, the next page. Records are sent before progress is saved, so a crash
 * between the two repeats that one page on restart; consumers dedup by the record key (the API's
 * own id, e.g. randomuser's `login.uuid`). An API without pages (randomuser without `page` returns
 * new random users each time) has nothing to resume from: every poll is new data, and duplicates
 * can only come from the API itself, again removed by key downstream.
 */
import { TributaryError } from '../../errors.ts';
import { jsonCodec, validate } from '../../log/codec.ts';
import type { LogProducer, ProducerRecord } from '../../log/log.ts';
import { createHttpClient } from '../http/http-client.ts';
import { parseJsonBody } from '../http/json-body.ts';
import { RateLimiter } from '../http/rate-limiter.ts';
import { sourceDeadLetter } from '../http/source-dead-letter.ts';
import { progressNamespace, type PollResult, type Source, type SourceComponent, type SourceContext } from '../source.ts';
import { httpPollConfigSchema, type HttpPollConfig } from './http-poll-config.ts';
import { mapResponse } from './map-response.ts';

export interface HttpPollProgress {
  polls: number;
  /** ISO time of the last poll that emitted and saved its progress. */
  lastSuccessAt?: string;
  /** With `paging`: the page (or cursor) the next poll asks for. */
  cursor?: number;
}

export const PROGRESS_KEY = 'progress';

export async function readHttpPollProgress(ctx: Pick<SourceContext, 'state'>, name: string): Promise<HttpPollProgress> {
  const saved = await ctx.state.get(progressNamespace(name), PROGRESS_KEY);
  return saved === undefined ? { polls: 0 } : (JSON.parse(saved.toString('utf8')) as HttpPollProgress);
}

export const httpPollSource: SourceComponent<typeof httpPollConfigSchema> = {
  name: 'http-poll',
  configSchema: httpPollConfigSchema,
  create: (config, ctx) => createHttpPoll(config, ctx),
};

function createHttpPoll(config: HttpPollConfig, ctx: SourceContext): Source {
  const client = createHttpClient(config, { rateLimiter: new RateLimiter(config.rateLimit), logger: ctx.logger });
  const codec = jsonCodec();
  const namespace = progressNamespace(config.name);
  let producer: LogProducer | undefined;
  let closed = false;

  const requestUrl = (cursor: number | undefined): string => {
    const url = new URL(config.url);
    for (const [name, value] of Object.entries(config.query)) url.searchParams.set(name, value);
    if (config.paging && cursor !== undefined) url.searchParams.set(config.paging.param, String(cursor));
    return url.toString();
  };

  return {
    name: config.name,
    async poll(signal) {
      if (closed) throw new TributaryError('INTERNAL', `source ${config.name}: poll after close`);
      const progress = await readHttpPollProgress(ctx, config.name);
      const cursor = config.paging ? (progress.cursor ?? config.paging.first) : undefined;
      const url = requestUrl(cursor);
      const response = await client.get(url, { signal, accept: 'application/json' });
      const body = parseJsonBody(response.body, url);
      const items = mapResponse(config, body, url);

      const records: ProducerRecord[] = [];
      let rejected = 0;
      for (const item of items) {
        let problem: Error | undefined = item.problem === undefined ? undefined : new TributaryError('SCHEMA_VALIDATION', `item from ${url}: ${item.problem}`);
        let value = item.value;
        if (!problem && config.schema) {
          try {
            value = validate(config.schema, item.value, config.topic);
          } catch (error) {
            problem = error as Error;
          }
        }
        if (problem) {
          rejected += 1;
          records.push(sourceDeadLetter(config.name, { key: item.key, value: item.value, url, step: 'map', error: problem }));
          continue;
        }
        records.push({ topic: config.topic, key: item.key === undefined ? null : Buffer.from(item.key), value: codec.encode(value, config.topic) });
      }
      if (records.length > 0) {
        producer ??= ctx.log.producer();
        await producer.send(records);
      }

      const next: HttpPollProgress = { polls: progress.polls + 1, lastSuccessAt: new Date().toISOString() };
      // An empty page means "caught up": ask for the same page again next time.
      if (cursor !== undefined) next.cursor = items.length > 0 ? cursor + 1 : cursor;
      await ctx.state.commit(namespace, new Map([[PROGRESS_KEY, Buffer.from(JSON.stringify(next))]]));
      return { emitted: records.length - rejected, skipped: 0, rejected, done: cursor !== undefined && items.length === 0 } satisfies PollResult;
    },
    async close() {
      closed = true;
      await producer?.close();
      producer = undefined;
    },
  };
}
