/**
 * The web UI's JSON API, under `/api/ui/` and behind the API key like every `/api/` route:
 *
 * - `GET /api/ui/graph`: the loaded pipelines as nodes and edges (runtime/pipeline-graph.ts);
 * - `GET /api/ui/history`: the recent samples of the parts' counts and the groups' lag (ui-history.ts);
 * - `GET /api/ui/events`: the same samples as they are taken, as server-sent events (`event: sample`);
 * - `GET /api/ui/topics/:topic/messages?partition=P&offset=O&limit=N&key=K&path=$.a.b&equals=V`: one
 *   page of a partition from an offset, filtered on the server by key and by the value at a JSON
 *   path; `next` is where the following page starts, `scanned` how many records were read for it;
 * - `GET /api/ui/topics/:topic/offset?partition=P&time=T`: `{ offset }`, the first record of the
 *   partition at or after T (ISO 8601 or ms), or its end offset when none is: where "from a time" starts;
 * - `POST /api/ui/dead-letters/:topic/replay` `{ positions: [{ partition, offset }] }`: send those dead
 *   letters back to their topic (dead-letters.ts); answers `requested = replayed + missing.length`;
 * - `GET /api/ui/dead-letters`: `{ replayed: { <dead-letter topic>: n } }`, the totals of this process;
 * - `POST /api/ui/sql` `{ sql }`: one SELECT over the lake's tables (sql-explorer.ts), `GET /api/ui/sql/tables`
 *   the tables and columns it can read.
 *
 * The event stream ends when the server closes (a `preClose` hook), so a page left open never holds
 * a shutdown up. Errors answer `{ statusCode, error, code, message }`.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { PipelineGraph } from '../../runtime/pipeline-graph.ts';
import { body } from '../server.ts';
import type { LogView, RenderedRecord } from './log-view.ts';
import { fail } from './api-routes.ts';
import type { DeadLetterReplayer } from './dead-letters.ts';
import { eventStreams } from './event-stream.ts';
import { offsetForTime } from './offset-for-time.ts';
import type { SqlExplorer } from './sql-explorer.ts';
import type { UiHistory } from './ui-history.ts';

export interface UiRoutesOptions extends Record<string, unknown> {
  graph: () => PipelineGraph;
  history: UiHistory;
  logView: LogView;
  replayer: DeadLetterReplayer;
  sql?: SqlExplorer;
}

/** At most this many records are read for one page of a filtered browse. */
export const MAX_SCAN = 20_000;
const PATH = /^\$(\.[A-Za-z_][A-Za-z0-9_]*)+$/;

export function valueAt(value: unknown, jsonPath: string): unknown {
  let at: unknown = value;
  for (const field of jsonPath.slice(2).split('.')) {
    if (typeof at !== 'object' || at === null || Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[field];
  }
  return at;
}

export const uiRoutes: FastifyPluginAsync<UiRoutesOptions> = (app, options) => {
  const streams = eventStreams();
  app.addHook('preClose', (done) => {
    streams.closeAll();
    done();
  });

  app.get('/api/ui/graph', () => options.graph());
  app.get('/api/ui/history', () => ({ samples: options.history.samples() }));
  app.get('/api/ui/events', (request, reply) => streams.open(request, reply, (send) => options.history.subscribe((sample) => send('sample', sample))));

  app.get<{ Params: { topic: string }; Querystring: Record<string, string | undefined> }>('/api/ui/topics/:topic/messages', async (request, reply) => {
    const q = request.query;
    const numbers = { partition: q.partition ?? '0', offset: q.offset ?? '0', limit: q.limit ?? '50' };
    for (const [name, text] of Object.entries(numbers)) {
      if (!/^\d+$/.test(text)) return reply.code(400).send(body(400, 'CLI_USAGE', `${name}: expected a whole number, got "${text}"`));
    }
    if (q.path !== undefined && q.path !== '' && !PATH.test(q.path)) return reply.code(400).send(body(400, 'CLI_USAGE', `path: expected a JSON path of fields like $.user.country, got "${q.path}"`));
    const partition = Number(numbers.partition);
    const limit = Math.min(500, Math.max(1, Number(numbers.limit)));
    const key = q.key === '' ? undefined : q.key;
    const jsonPath = q.path === '' ? undefined : q.path;
    const equals = q.equals ?? '';
    try {
      const topic = await options.logView.describeTopic(request.params.topic);
      const bounds = topic.partitions.find((p) => p.partition === partition);
      if (!bounds) return reply.code(404).send(body(404, 'PARTITION_NOT_FOUND', `topic ${topic.name} has no partition ${partition} (it has ${topic.partitions.length})`));
      const records: RenderedRecord[] = [];
      let offset = Math.max(bounds.startOffset, Number(numbers.offset));
      let scanned = 0;
      while (records.length < limit && offset < bounds.endOffset && scanned < MAX_SCAN) {
        const page = await options.logView.read({ topic: topic.name, from: 'latest', partitions: [partition], offsets: { [partition]: offset }, max: Math.min(1000, MAX_SCAN - scanned) });
        const mine = page.records.filter((r) => r.partition === partition);
        if (mine.length === 0) break;
        for (const r of mine) {
          scanned += 1;
          offset = r.offset + 1;
          if (key !== undefined && r.key !== key) continue;
          if (jsonPath !== undefined && String(valueAt(r.value, jsonPath)) !== equals) continue;
          records.push(r);
          if (records.length === limit) break;
        }
      }
      return { topic: topic.name, partition, startOffset: bounds.startOffset, endOffset: bounds.endOffset, records, next: offset, scanned, atEnd: offset >= bounds.endOffset };
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.get<{ Params: { topic: string }; Querystring: { partition?: string; time?: string } }>('/api/ui/topics/:topic/offset', async (request, reply) => {
    const { partition = '0', time = '' } = request.query;
    if (!/^\d+$/.test(partition)) return reply.code(400).send(body(400, 'CLI_USAGE', `partition: expected a whole number, got "${partition}"`));
    const timestamp = /^\d+$/.test(time) ? Number(time) : /^\d{4}-\d{2}-\d{2}/.test(time) ? Date.parse(time) : Number.NaN;
    if (Number.isNaN(timestamp)) return reply.code(400).send(body(400, 'CLI_USAGE', `time: expected an ISO 8601 time (2026-12-03T10:00:00Z) or milliseconds since 1970, got "${time}"`));
    const log = options.logView.log;
    if (!log) return reply.code(400).send(body(400, 'CLI_USAGE', 'finding an offset by time needs the log open in this process'));
    try {
      const topic = await options.logView.describeTopic(request.params.topic);
      const bounds = topic.partitions.find((p) => p.partition === Number(partition));
      if (!bounds) return reply.code(404).send(body(404, 'PARTITION_NOT_FOUND', `topic ${topic.name} has no partition ${partition} (it has ${topic.partitions.length})`));
      return { topic: topic.name, partition: bounds.partition, time: new Date(timestamp).toISOString(), offset: await offsetForTime(log, topic.name, bounds, timestamp) };
    } catch (error) {
      return fail(reply, error);
    }
  });

  const sql = options.sql;
  if (sql) {
    app.get('/api/ui/sql/tables', async (_request, reply) => {
      try {
        return { tables: await sql.tables() };
      } catch (error) {
        return fail(reply, error);
      }
    });
    app.post<{ Body: { sql?: unknown } }>('/api/ui/sql', async (request, reply) => {
      const text = request.body?.sql;
      if (typeof text !== 'string') return reply.code(400).send(body(400, 'SQL_REFUSED', 'expected { "sql": "<one SELECT>" }'));
      try {
        return await sql.run(text);
      } catch (error) {
        return fail(reply, error);
      }
    });
  }

  app.get('/api/ui/dead-letters', () => ({ replayed: options.replayer.replayTotals() }));

  app.post<{ Params: { topic: string }; Body: { positions?: unknown } }>('/api/ui/dead-letters/:topic/replay', async (request, reply) => {
    const positions = request.body?.positions;
    const valid = (p: unknown): p is { partition: number; offset: number } =>
      typeof p === 'object' && p !== null && Number.isInteger((p as { partition?: unknown }).partition) && Number.isInteger((p as { offset?: unknown }).offset) && (p as { partition: number }).partition >= 0 && (p as { offset: number }).offset >= 0;
    if (!Array.isArray(positions) || positions.length === 0 || positions.length > 1000 || !positions.every(valid)) {
      return reply.code(400).send(body(400, 'CLI_USAGE', 'expected { "positions": [{ "partition": <n ≥ 0>, "offset": <n ≥ 0> }, …] } with 1 to 1000 positions'));
    }
    if (!request.params.topic.endsWith('.dlq')) return reply.code(400).send(body(400, 'CLI_USAGE', `${request.params.topic} is not a dead-letter topic (those are named <job>.dlq)`));
    try {
      return await options.replayer.replay({ topic: request.params.topic, positions: positions.map((p) => ({ partition: p.partition, offset: p.offset })) });
    } catch (error) {
      return fail(reply, error);
    }
  });
  return Promise.resolve();
};
