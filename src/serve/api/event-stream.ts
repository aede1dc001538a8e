/**
 * A server-sent event stream on a hijacked reply, for the UI's live routes: `subscribe(send)` gets a
 * function that writes one event, and returns how to stop. A comment line every 15 s keeps proxies
 * from closing an idle stream. The stream ends when the client goes or when `closeAll` runs (the
 * routes call it from the server's `preClose` hook, so a page left open never holds a shutdown up).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export type Send = (event: string, data: unknown) => void;

export interface EventStreams {
  open(request: FastifyRequest, reply: FastifyReply, subscribe: (send: Send) => () => void): void;
  closeAll(): void;
}

export function eventStreams(): EventStreams {
  const streams = new Set<{ end(): void }>();
  return {
    open(request, reply, subscribe) {
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      raw.write(': tributary\n\n');
      const unsubscribe = subscribe((event, data) => raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
      const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), 15_000);
      streams.add(raw);
      request.raw.on('close', () => {
        clearInterval(keepAlive);
        unsubscribe();
        streams.delete(raw);
      });
    },
    closeAll() {
      for (const s of streams) s.end();
      streams.clear();
    },
  };
}
