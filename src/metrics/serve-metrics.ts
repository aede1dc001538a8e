/**
 * A bare /metrics endpoint for processes that run no other HTTP server (`tributary worker`), so that
 * Prometheus can scrape every worker. Binds to loopback unless told otherwise, like every server here.
 *
 * Beyond loopback the endpoint needs the API key (`server.apiKey`), presented as the HTTP API takes
 * it: `Authorization: Bearer <key>` (Prometheus: `authorization: { credentials: <key> }` in the scrape
 * config) or `X-API-Key`. It refuses to listen beyond loopback without one. On loopback it stays open,
 * so a local Prometheus scrapes it without credentials.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { isLoopback } from '../config/schema.ts';
import { TributaryError } from '../errors.ts';
import { keyMatcher, presentedKey } from '../serve/auth.ts';

export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

export interface ServeMetricsOptions {
  host: string;
  port: number;
  /** The key scrapers must present when `host` is not loopback (mandatory there). */
  apiKey?: string | undefined;
}

export async function serveMetrics(registry: Registry, options: ServeMetricsOptions): Promise<MetricsServer> {
  const exposed = !isLoopback(options.host);
  if (exposed && options.apiKey === undefined) {
    throw new TributaryError('SERVER_LISTEN_FAILED', `will not serve /metrics on ${options.host}, which is not a loopback address, without an API key: set TRIBUTARY_SERVER_API_KEY`);
  }
  const matches = exposed && options.apiKey !== undefined ? keyMatcher(options.apiKey) : undefined;
  const server: Server = createServer((request, response) => {
    // The key first, so that without it nothing tells which paths exist.
    if (matches && !matches(presentedKey(request))) {
      response.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('an API key is required: send Authorization: Bearer <key> or X-API-Key: <key>\n');
      return;
    }
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`collecting metrics failed: ${(error as Error).message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
