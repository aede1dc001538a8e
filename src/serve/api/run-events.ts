/**
 * `GET /api/runs/:id/events`: one run's detail (`RunDetail`: the run, its tasks, every attempt with
 * its log lines) as server-sent events, `event: run`, sent at once and again each time it changes,
 * so the Runs page shows a run's logs while it runs without polling from the browser. The server
 * reads the run from the store every 250 ms and sends only a change; the stream ends after the
 * detail of a finished run (succeeded, failed, cancelled) has been sent, when the client goes, or
 * when the server closes. A run that does not exist answers 404 ORCHESTRATOR_RUN_NOT_FOUND.
 */
import type { FastifyInstance } from 'fastify';
import { TributaryError } from '../../errors.ts';
import type { Orchestrator } from '../../orchestrator/create-orchestrator.ts';
import { fail } from './api-routes.ts';

const EVERY_MS = 250;
const KEEP_ALIVE_MS = 15_000;
const DONE = new Set(['succeeded', 'failed', 'cancelled']);

export function runEvents(app: FastifyInstance, o: Orchestrator): void {
  const streams = new Set<() => void>();
  app.addHook('preClose', (done) => {
    for (const end of streams) end();
    streams.clear();
    done();
  });

  app.get<{ Params: { id: string } }>('/api/runs/:id/events', async (request, reply) => {
    const runId = request.params.id;
    let first;
    try {
      first = await o.store.runDetail(runId);
      if (!first) throw new TributaryError('ORCHESTRATOR_RUN_NOT_FOUND', `no run ${runId}`);
    } catch (error) {
      return fail(reply, error);
    }
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    let last = '';
    let ended = false;
    let timer: NodeJS.Timeout | undefined;
    const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    const end = () => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      clearInterval(keepAlive);
      streams.delete(end);
      raw.end();
    };
    streams.add(end);
    request.raw.on('close', end);
    const send = (detail: NonNullable<typeof first>) => {
      const text = JSON.stringify(detail);
      if (text !== last) raw.write(`event: run\ndata: ${text}\n\n`);
      last = text;
      if (DONE.has(detail.run.status)) end();
    };
    const tick = async () => {
      if (ended) return;
      try {
        const detail = await o.store.runDetail(runId);
        if (detail) send(detail);
      } catch (error) {
        request.log.warn({ err: error, runId }, 'reading a run for its event stream failed');
      }
      if (!ended) timer = setTimeout(() => void tick(), EVERY_MS);
    };
    send(first);
    if (!ended) timer = setTimeout(() => void tick(), EVERY_MS);
    return reply;
  });
}
