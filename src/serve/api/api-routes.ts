/**
 * The local JSON API under `/api/`: what a running `tributary dev` (or `serve`, `worker`) knows, for
 * the CLI commands that run beside it and for the UI. Behind the server's API key like every route.
 *
 * - `GET /api/status`: the process, its pipelines and the live status of each part;
 * - `GET /api/topics`, `GET /api/topics/:topic`, `POST /api/topics` `{ name, partitions }`,
 *   `DELETE /api/topics/:topic`;
 * - `GET /api/topics/:topic/records?from=earliest|latest|<offset>&offsets=<p>:<o>,…&max=N&waitMs=N`:
 *   records from positions, and where to continue (log-view.ts `ReadResult`);
 * - `POST /api/topics/:topic/records` `{ records: [{ key, value, partition? }] }`: append (text values);
 * - `GET /api/lag` (every group the loaded pipelines use) or `?group=<group>`.
 *
 * Errors answer `{ statusCode, error, code, message }`: a `*_NOT_FOUND` code 404, other
 * non-retryable TributaryErrors 400, retryable ones 503.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { TributaryError, isTributaryError } from '../../errors.ts';
import type { PartitionLag } from '../../log/log.ts';
import { body } from '../server.ts';
import type { LogView } from './log-view.ts';

export interface GroupLag {
  group: string;
  /** The job or part that reads as this group, when known. */
  reader?: string;
  partitions: PartitionLag[];
  total: number;
}

export interface ApiRoutesOptions extends Record<string, unknown> {
  logView: LogView;
  /** The status document of `GET /api/status`. */
  status: () => unknown;
  /** The consumer groups of the loaded pipelines, with the part that reads as each. */
  groups: () => ReadonlyArray<{ group: string; reader: string }>;
}

const POSITION = /^(earliest|latest|\d+)$/;

export function fail(reply: FastifyReply, error: unknown): FastifyReply {
  if (!isTributaryError(error)) throw error;
  const status = error.code.endsWith('_NOT_FOUND') ? 404 : error.retryable ? 503 : 400;
  return reply.code(status).send(body(status, error.code, error.message));
}

function parseOffsets(text: string | undefined): Record<string, number> | undefined {
  if (text === undefined || text === '') return undefined;
  const offsets: Record<string, number> = {};
  for (const pair of text.split(',')) {
    const match = /^(\d+):(\d+)$/.exec(pair.trim());
    if (!match) throw new TributaryError('CLI_USAGE', `offsets: expected partition:offset pairs separated by commas, e.g. 0:120,1:98; got "${pair}"`);
    offsets[match[1]!] = Number(match[2]);
  }
  return offsets;
}

export async function lagOf(view: LogView, group: string, reader?: string): Promise<GroupLag> {
  const partitions = await view.groupLag(group);
  return { group, ...(reader === undefined ? {} : { reader }), partitions, total: partitions.reduce((n, p) => n + p.lag, 0) };
}

export const apiRoutes: FastifyPluginAsync<ApiRoutesOptions> = (app, options) => {
  const { logView } = options;
  app.get('/api/status', () => options.status());

  app.get('/api/topics', async (_request, reply) => {
    try {
      const names = (await logView.listTopics()).sort();
      return { topics: await Promise.all(names.map((name) => logView.describeTopic(name))) };
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.get<{ Params: { topic: string } }>('/api/topics/:topic', async (request, reply) => {
    try {
      return await logView.describeTopic(request.params.topic);
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.post<{ Body: { name?: unknown; partitions?: unknown } }>('/api/topics', async (request, reply) => {
    const { name, partitions } = request.body ?? {};
    if (typeof name !== 'string' || !Number.isInteger(partitions) || (partitions as number) < 1) {
      return reply.code(400).send(body(400, 'CLI_USAGE', 'expected { "name": "<topic>", "partitions": <n ≥ 1> }'));
    }
    try {
      await logView.createTopic(name, partitions as number);
      return reply.code(201).send({ name, partitions });
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.delete<{ Params: { topic: string } }>('/api/topics/:topic', async (request, reply) => {
    try {
      await logView.deleteTopic(request.params.topic);
      return { deleted: request.params.topic };
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.get<{ Params: { topic: string }; Querystring: { from?: string; offsets?: string; max?: string; waitMs?: string } }>('/api/topics/:topic/records', async (request, reply) => {
    const { from = 'earliest', offsets, max = '100', waitMs = '0' } = request.query;
    if (!POSITION.test(from) || !/^\d+$/.test(max) || !/^\d+$/.test(waitMs)) {
      return reply.code(400).send(body(400, 'CLI_USAGE', 'expected from=earliest|latest|<offset>, max=<n>, waitMs=<ms>'));
    }
    try {
      return await logView.read({
        topic: request.params.topic,
        from: from === 'earliest' || from === 'latest' ? from : Number(from),
        max: Math.min(10_000, Math.max(1, Number(max))),
        waitMs: Math.min(30_000, Number(waitMs)),
        ...(offsets === undefined ? {} : { offsets: parseOffsets(offsets)! }),
      });
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.post<{ Params: { topic: string }; Body: { records?: unknown } }>('/api/topics/:topic/records', async (request, reply) => {
    const records = request.body?.records;
    if (!Array.isArray(records)) return reply.code(400).send(body(400, 'CLI_USAGE', 'expected { "records": [{ "key": string|null, "value": string|null, "partition"?: n }] }'));
    try {
      const positions = await logView.produce(
        records.map((r: { key?: unknown; value?: unknown; partition?: unknown }) => ({
          topic: request.params.topic,
          key: typeof r.key === 'string' ? Buffer.from(r.key) : null,
          value: typeof r.value === 'string' ? Buffer.from(r.value) : null,
          ...(Number.isInteger(r.partition) ? { partition: r.partition as number } : {}),
        })),
      );
      return { positions };
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.get<{ Querystring: { group?: string } }>('/api/lag', async (request, reply) => {
    try {
      const known = options.groups();
      if (request.query.group !== undefined) {
        const group = request.query.group;
        return { groups: [await lagOf(logView, group, known.find((k) => k.group === group)?.reader)] };
      }
      return { groups: await Promise.all(known.map((k) => lagOf(logView, k.group, k.reader))) };
    } catch (error) {
      return fail(reply, error);
    }
  });
  return Promise.resolve();
};
