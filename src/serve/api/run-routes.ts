/**
 * The orchestrator's part of the local JSON API, for `tributary runs` beside a running process and
 * for the UI's Runs page. Times are ISO 8601 strings.
 *
 * - `GET /api/graphs`: every graph: `{ graphs: [{ id, tasks: [{ id, after }], schedule, maxActiveRuns, pool, on }] }`;
 * - `GET /api/runs?graph=&status=&limit=&offset=`: runs, newest first (`limit` default 50, at most 1000;
 *   `offset` skips that many, for a page further back);
 * - `GET /api/runs/:id/events`: the run's detail as server-sent events (`event: run`), each time it
 *   changes, ending once the run has finished (run-events.ts);
 * - `GET /api/runs/:id`: one run with its tasks and every attempt with its log lines (`RunDetail`);
 * - `POST /api/graphs/:graph/runs` `{ date?, partition?, params? }`: trigger a run now (201 `{ run }`;
 *   `{ run: null }` when a run of that logical date or partition exists already);
 * - `POST /api/runs/:id/retry`, `POST /api/runs/:id/cancel`: `{ runId, retried | cancelled }`;
 * - `POST /api/graphs/:graph/backfill` `{ from, to } | { partitions }, rerunFailed?`: plan and queue a
 *   backfill (`BackfillResult`).
 *
 * Errors answer as the rest of /api/ does: ORCHESTRATOR_GRAPH_NOT_FOUND and ORCHESTRATOR_RUN_NOT_FOUND
 * 404, CLI_USAGE 400 for a body or query that does not fit.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { TributaryError } from '../../errors.ts';
import type { Orchestrator } from '../../orchestrator/create-orchestrator.ts';
import { findGraph } from '../../orchestrator/define.ts';
import type { Graph, RunStatus } from '../../orchestrator/orchestrator.ts';
import { fail } from './api-routes.ts';
import { runEvents } from './run-events.ts';

export interface RunRoutesOptions extends Record<string, unknown> {
  orchestrator: Orchestrator<never> | Orchestrator<unknown> | Orchestrator;
}

const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const satisfies readonly RunStatus[];

const date = z.string().refine((s) => !Number.isNaN(new Date(s).getTime()), 'expected an ISO 8601 date or time').transform((s) => new Date(s));
const listQuery = z.strictObject({
  graph: z.string().min(1).optional(),
  status: z.enum(STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
const triggerBody = z.strictObject({
  date: date.optional(),
  partition: z.string().min(1).optional(),
  params: z.record(z.string(), z.json()).optional(),
});
const backfillBody = z
  .strictObject({ from: date.optional(), to: date.optional(), partitions: z.array(z.string().min(1)).min(1).optional(), rerunFailed: z.boolean().optional() })
  .refine((b) => (b.partitions !== undefined) !== (b.from !== undefined || b.to !== undefined), 'expected { from, to } or { partitions }, not both');

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
  throw new TributaryError('CLI_USAGE', `${what}: ${problems}`);
}

export function describeGraph(g: Graph<never> | Graph<unknown> | Graph) {
  return {
    id: g.id,
    tasks: g.order.map((id) => ({ id, after: [...(g.upstream[id] ?? [])] })),
    schedule: g.schedule ?? null,
    maxActiveRuns: g.maxActiveRuns,
    pool: g.pool ?? null,
    on: [...(g.on ?? [])],
  };
}

export const runRoutes: FastifyPluginAsync<RunRoutesOptions> = (app, options) => {
  const o = options.orchestrator as Orchestrator;

  app.get('/api/graphs', () => ({ graphs: o.graphs.map(describeGraph) }));

  app.get('/api/runs', async (request, reply) => {
    try {
      const q = parse(listQuery, request.query, 'GET /api/runs');
      return { runs: await o.store.listRuns({ limit: q.limit, offset: q.offset, ...(q.graph ? { graph: q.graph } : {}), ...(q.status ? { status: q.status } : {}) }) };
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.get<{ Params: { id: string } }>('/api/runs/:id', async (request, reply) => {
    try {
      const detail = await o.store.runDetail(request.params.id);
      if (!detail) throw new TributaryError('ORCHESTRATOR_RUN_NOT_FOUND', `no run ${request.params.id}`);
      return detail;
    } catch (error) {
      return fail(reply, error);
    }
  });

  runEvents(app, o);

  app.post<{ Params: { graph: string } }>('/api/graphs/:graph/runs', async (request, reply) => {
    try {
      const b = parse(triggerBody, request.body, `POST /api/graphs/${request.params.graph}/runs`);
      findGraph(o.graphs, request.params.graph);
      const run = await o.trigger(request.params.graph, {
        trigger: 'manual',
        ...(b.date ? { logicalDate: b.date } : {}),
        ...(b.partition === undefined ? {} : { partition: b.partition }),
        ...(b.params ? { params: b.params } : {}),
      });
      return reply.code(201).send({ run: run ?? null });
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.post<{ Params: { id: string } }>('/api/runs/:id/retry', async (request, reply) => {
    try {
      return { runId: request.params.id, retried: await o.retry(request.params.id) };
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.post<{ Params: { id: string } }>('/api/runs/:id/cancel', async (request, reply) => {
    try {
      return { runId: request.params.id, cancelled: await o.cancel(request.params.id) };
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.post<{ Params: { graph: string } }>('/api/graphs/:graph/backfill', async (request, reply) => {
    try {
      const b = parse(backfillBody, request.body, `POST /api/graphs/${request.params.graph}/backfill`);
      const { backfill } = await import('../../orchestrator/backfill.ts');
      return await backfill(o, request.params.graph, {
        ...(b.partitions ? { partitions: b.partitions } : {}),
        ...(b.from ? { from: b.from } : {}),
        ...(b.to ? { to: b.to } : {}),
        ...(b.rerunFailed ? { rerunFailed: true } : {}),
      });
    } catch (error) {
      return fail(reply, error);
    }
  });
  return Promise.resolve();
};
