/**
 * The HTTP server: one fastify instance that every HTTP-facing area (ingest API, query API, UI,
 * metrics) adds its routes to as a fastify plugin.
 *
 * Glossary:
 * - server plugin: a function that registers one area's routes on the instance, made with
 *   `serverPlugin(plugin, options)`; the caller passes the list to `createServer`, nothing registers
 *   itself.
 * - public route: a route with `config: { public: true }`; it needs no API key (`GET /health`).
 *
 * Lifecycle: `createServer(options)` → `listen(app, host, port)` → `app.close()` (stops accepting,
 * waits for requests in flight, then runs each plugin's onClose hooks).
 *
 * What every route gets, in this order:
 * 1. rate limit (`server.rateLimitMax` requests per `server.rateLimitWindowMs` per client: its API key
 *    when that key is valid, its IP otherwise; 429 with `Retry-After` beyond it);
 * 2. API key, when `server.apiKey` is set (`Authorization: Bearer <key>` or `X-API-Key`, compared in
 *    constant time; 401 otherwise), except on public routes;
 * 3. the body limit (`server.bodyLimitBytes`; 413 beyond it).
 * Unknown routes get 1 and 2 as well before their 404, so they cannot be listed without the key.
 * Errors are answered as `{ statusCode, error, code, message }`; TributaryErrors map to a status
 * (SCHEMA_VALIDATION 400, RECORD_TOO_LARGE 413, LOG_DISK_FULL 507, retryable 503, others 500).
 */
import type { AddressInfo } from 'node:net';
import rateLimit from '@fastify/rate-limit';
import { LogController, fastify, type FastifyError, type FastifyInstance, type FastifyPluginAsync, type FastifyRequest, type onRequestHookHandler } from 'fastify';
import type { Config } from '../config/schema.ts';
import { TributaryError, isTributaryError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { digest, keyMatcher, presentedKey } from './auth.ts';
import { clientErrorHandler } from './client-error.ts';

export type ServerSettings = Readonly<Config['server']>;

/** Registers one area's routes; made by `serverPlugin`. */
export type ServerPlugin = (app: FastifyInstance) => void;

/** A fastify plugin with its options, ready for `createServer({ plugins })`. */
export function serverPlugin<O extends Record<string, unknown>>(plugin: FastifyPluginAsync<O>, options: O): ServerPlugin {
  return (app) => {
    void app.register(plugin, options);
  };
}

export interface CreateServerOptions {
  server: ServerSettings;
  logger: Logger;
  plugins?: readonly ServerPlugin[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** No API key needed. */
    public?: boolean;
  }
}

export function createServer(options: CreateServerOptions): FastifyInstance {
  const settings = options.server;
  const app = fastify({
    loggerInstance: options.logger,
    // One debug line per request (below) instead of fastify's two info lines.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: settings.bodyLimitBytes,
    clientErrorHandler,
  }) as unknown as FastifyInstance;
  const matches = settings.apiKey === undefined ? undefined : keyMatcher(settings.apiKey);

  if (settings.rateLimitMax > 0) {
    void app.register(rateLimit, {
      global: true,
      max: settings.rateLimitMax,
      timeWindow: settings.rateLimitWindowMs,
      // One bucket per valid key; anything else (no key, a wrong one) counts against the IP, so
      // guessing keys is limited too.
      keyGenerator: (request) => {
        const key = presentedKey(request);
        return matches?.(key) ? `key:${digest(key!).toString('hex', 0, 12)}` : `ip:${request.ip}`;
      },
      errorResponseBuilder: (_request, context) =>
        httpError(429, 'RATE_LIMITED', `rate limit exceeded: at most ${context.max} requests per ${settings.rateLimitWindowMs} ms per client; retry in ${context.after}`),
    });
  }

  const requireKey: onRequestHookHandler | undefined =
    matches &&
    ((request, reply, done) => {
      if (request.routeOptions.config.public || matches(presentedKey(request))) return done();
      void reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send(body(401, 'UNAUTHORIZED', presentedKey(request) === undefined ? 'an API key is required: send Authorization: Bearer <key> or X-API-Key: <key>' : 'the API key is not valid'));
    });
  app.after(() => {
    if (requireKey) {
      // Added to each route after the rate limit's own hook (onRoute hooks run in the order they were
      // added, and the rate limit adds its hook once its plugin has loaded), so failed attempts are
      // rate-limited as well.
      app.addHook('onRoute', (route) => {
        const existing = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
        route.onRequest = [...(existing as onRequestHookHandler[]), requireKey];
      });
    }
    // An unknown route is rate-limited and needs the key like any other, so that without a key the
    // answers do not tell which routes exist, and keys cannot be guessed there without limit.
    const preHandler = [...(settings.rateLimitMax > 0 ? [app.rateLimit()] : []), ...(requireKey ? [requireKey] : [])];
    app.setNotFoundHandler({ preHandler }, (request, reply) => reply.code(404).send(body(404, 'NOT_FOUND', `no route ${request.method} ${request.url}`)));
  });

  app.addHook('onResponse', (request, reply, done) => {
    request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
    done();
  });
  app.setErrorHandler((error: FastifyError | TributaryError, request, reply) => reply.code(statusOf(error)).send(errorBody(error, request)));

  app.get('/health', { config: { public: true, rateLimit: false } }, () => ({ status: 'ok' }));
  // Each in a plugin of its own, loaded after the key's onRoute hook is in place, so that no route escapes it.
  for (const plugin of options.plugins ?? []) {
    void app.register((child, _options, done) => {
      plugin(child);
      done();
    });
  }
  return app;
}

/** Start listening; resolves with the base URL (`http://127.0.0.1:8080`). */
export async function listen(app: FastifyInstance, host: string, port: number): Promise<string> {
  try {
    await app.listen({ host, port });
  } catch (error) {
    await app.close().catch(() => undefined);
    throw new TributaryError('SERVER_LISTEN_FAILED', `cannot listen on ${host}:${port}: ${(error as Error).message}`, { cause: error });
  }
  const address = app.server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${shown}:${address.port}`;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};

export function body(statusCode: number, code: string, message: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { statusCode, error: STATUS_TEXT[statusCode] ?? 'Error', code, message, ...extra };
}

/** An error carrying its HTTP status, for fastify's error handler. */
export function httpError(statusCode: number, code: string, message: string): Error & { statusCode: number; code: string } {
  return Object.assign(new Error(message), { statusCode, code });
}

function statusOf(error: FastifyError | TributaryError): number {
  if (isTributaryError(error)) {
    if (error.code === 'SCHEMA_VALIDATION') return 400;
    if (error.code === 'RECORD_TOO_LARGE') return 413;
    if (error.code === 'LOG_DISK_FULL') return 507;
    return error.retryable ? 503 : 500;
  }
  const status = error.statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

function errorBody(error: FastifyError | TributaryError, request: FastifyRequest): Record<string, unknown> {
  const status = statusOf(error);
  if (status >= 500) request.log.error({ err: error, url: request.url }, 'request failed');
  // A 500 that is not ours says nothing about the internals.
  const message = status === 500 && !isTributaryError(error) ? 'internal error; the server log has the details' : error.message;
  return body(status, typeof error.code === 'string' ? error.code : 'ERROR', message);
}
