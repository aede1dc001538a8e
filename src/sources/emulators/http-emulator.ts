/**
 * The plumbing the HTTP emulators share: a node:http server on 127.0.0.1 (port 0 unless given), a
 * log of the requests it saw, and failure injection for the next requests (a status such as 500 or
 * 429 with Retry-After, a delay long enough to time out, a replaced body, a body cut short, a
 * connection reset mid-body).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  /** Answer with this status (and Retry-After, when given) instead of the real response. */
  | { kind: 'status'; status: number; retryAfter?: string; body?: string }
  /** Wait this long before answering normally (long enough, and the client times out). */
  | { kind: 'delay'; ms: number }
  /** Answer with this body instead of the real one (e.g. malformed JSON). */
  | { kind: 'body'; body: string; contentType?: string }
  /** Send only the first `bytes` of the real body and end the response cleanly. */
  | { kind: 'truncate'; bytes: number }
  /** Send the first `bytes` of the real body, then reset the connection. */
  | { kind: 'reset'; bytes: number };

export interface InjectOptions {
  /** How many requests the fault applies to. Default 1. */
  times?: number;
  /** Only requests whose path and query start with this (`/search`, `/search?page=2`). Default: every request. */
  path?: string;
}

export interface RequestRecord {
  method: string;
  /** Path and query. */
  url: string;
  userAgent: string | undefined;
  /** performance.now() when the request arrived. */
  at: number;
  status: number;
  fault?: Fault['kind'];
}

export interface EmulatorResponse {
  status: number;
  body: string;
  contentType: string;
  headers?: Record<string, string>;
}

export type Route = (url: URL, request: IncomingMessage) => EmulatorResponse | Promise<EmulatorResponse>;

export interface HttpEmulator {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: RequestRecord[];
  inject(fault: Fault, options?: InjectOptions): void;
  /** Remove every pending fault. */
  clearFaults(): void;
  close(): Promise<void>;
}

interface PendingFault {
  fault: Fault;
  left: number;
  path: string | undefined;
}

export async function startHttpEmulator(route: Route, options: { port?: number } = {}): Promise<HttpEmulator> {
  const faults: PendingFault[] = [];
  const requests: RequestRecord[] = [];
  const takeFault = (path: string): Fault | undefined => {
    const index = faults.findIndex((pending) => pending.path === undefined || path.startsWith(pending.path));
    if (index < 0) return undefined;
    const pending = faults[index]!;
    pending.left -= 1;
    if (pending.left <= 0) faults.splice(index, 1);
    return pending.fault;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const record: RequestRecord = { method: request.method ?? 'GET', url: `${url.pathname}${url.search}`, userAgent: request.headers['user-agent'], at: performance.now(), status: 0 };
    requests.push(record);
    const fault = takeFault(record.url);
    if (fault) record.fault = fault.kind;
    if (fault?.kind === 'status') {
      record.status = fault.status;
      response.writeHead(fault.status, { 'content-type': 'text/plain', ...(fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter }) });
      response.end(fault.body ?? `injected ${fault.status}`);
      return;
    }
    if (fault?.kind === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.ms));
    if (response.destroyed) return;
    const real = fault?.kind === 'body' ? { status: 200, body: fault.body, contentType: fault.contentType ?? 'application/json' } : await route(url, request);
    record.status = real.status;
    const bytes = Buffer.from(real.body);
    if (fault?.kind === 'truncate' || fault?.kind === 'reset') {
      // No Content-Length: the client cannot tell a cleanly ended short body from a whole one.
      response.writeHead(real.status, { 'content-type': real.contentType, ...real.headers });
      response.write(bytes.subarray(0, fault.bytes));
      if (fault.kind === 'reset') response.destroy();
      else response.end();
      return;
    }
    response.writeHead(real.status, { 'content-type': real.contentType, 'content-length': String(bytes.length), ...real.headers });
    response.end(bytes);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`emulator error: ${(error as Error).message}`);
    });
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    inject(fault, inject = {}) {
      faults.push({ fault, left: inject.times ?? 1, path: inject.path });
    },
    clearFaults() {
      faults.length = 0;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
