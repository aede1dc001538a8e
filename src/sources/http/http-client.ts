/**
 * GET with the manners and persistence an HTTP source needs: a User-Agent, a timeout per attempt,
 * a shared rate limit, and retries (retry.ts) with exponential backoff and jitter on 5xx, 408, 429,
 * timeouts and network errors. `Retry-After` (seconds or HTTP-date) replaces the backoff step when sent.
 *
 * Two levels: `get` is a whole request (body read as text, timeout over headers and body, retried);
 * `send` is one attempt that hands back the unread Response, for callers that stream the body and
 * retry more than the request (a resumable download runs `send` inside `retrying`).
 *
 * Errors: SOURCE_UNAVAILABLE (retryable) when the attempts ran out on something transient, or the
 * server asked to wait longer than `maxRetryAfterMs`; SOURCE_INVALID_RESPONSE for any other 4xx
 * from `get`. An abort of the caller's signal rejects with the signal's reason and is never retried.
 */
import type { Logger } from '../../logger.ts';
import { TributaryError } from '../../errors.ts';
import type { HttpOptions } from './http-options.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { parseRetryAfter } from './retry-after.ts';
import { RetryableFailure, describeNetworkError, withRetries, type Retried } from './retry.ts';

export interface HttpResponse {
  /** The final URL, after redirects. */
  url: string;
  status: number;
  headers: Headers;
  body: string;
  /** Attempts it took (1 when the first one succeeded). */
  attempts: number;
  /** Time spent sleeping between attempts. */
  waitedMs: number;
}

export interface GetOptions {
  signal?: AbortSignal;
  accept?: string;
  /** Return these non-2xx statuses instead of throwing (e.g. 404 for robots.txt). */
  acceptStatus?: (status: number) => boolean;
}

export interface SendOptions {
  signal?: AbortSignal;
  /** Request headers besides User-Agent (Accept, Range, If-None-Match...). */
  headers?: Record<string, string>;
}

export interface HttpClient {
  get(url: string, options?: GetOptions): Promise<HttpResponse>;
  /**
   * One attempt: rate limit, fetch, `timeoutMs` until the headers (the body is bounded only by the
   * caller's signal). A retryable status, a timeout or a network error throws a RetryableFailure
   * (the body drained); any other response comes back unread, whatever its status.
   */
  send(url: string, options?: SendOptions): Promise<Response>;
  /** Runs `attempt` under this client's retry policy, logging each retry as `<what>: <failure>`. */
  retrying<T>(what: string, signal: AbortSignal | undefined, attempt: (n: number) => Promise<T>): Promise<Retried<T>>;
}

export interface HttpClientDeps {
  /** Shared by every request of a source; none: no rate limit. */
  rateLimiter?: RateLimiter;
  logger?: Logger;
  /** For tests: the jitter's randomness. */
  random?: () => number;
}

/** Statuses worth another try: the server is overloaded, restarting, or timed out on its side. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

export function createHttpClient(options: Pick<HttpOptions, 'userAgent' | 'timeoutMs' | 'retry'>, deps: HttpClientDeps): HttpClient {
  /** Rate limit and fetch; network errors and timeouts become RetryableFailures. */
  async function fetchOnce(url: string, headers: Record<string, string>, signal: AbortSignal | undefined, timeout: AbortSignal, timedOut: string): Promise<Response> {
    await deps.rateLimiter?.take(signal ?? new AbortController().signal);
    try {
      return await fetch(url, { headers: { 'user-agent': options.userAgent, ...headers }, redirect: 'follow', signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (error) {
      throw failure(error, signal, timeout, timedOut);
    }
  }

  function failure(error: unknown, signal: AbortSignal | undefined, timeout: AbortSignal, timedOut: string): unknown {
    if (signal?.aborted) return signal.reason;
    if (timeout.aborted) return new RetryableFailure(timedOut, undefined, error);
    return new RetryableFailure(`network error: ${describeNetworkError(error)}`, undefined, error);
  }

  async function retryableStatus(response: Response): Promise<never> {
    await response.body?.cancel().catch(() => undefined);
    throw new RetryableFailure(`status ${response.status}`, parseRetryAfter(response.headers.get('retry-after')));
  }

  const client: HttpClient = {
    async get(url, get = {}) {
      const { value, attempts, waitedMs } = await client.retrying(`GET ${url}`, get.signal, async () => {
        const timeout = AbortSignal.timeout(options.timeoutMs);
        const timedOut = `no complete response within ${options.timeoutMs} ms`;
        const res = await fetchOnce(url, { accept: get.accept ?? '*/*' }, get.signal, timeout, timedOut);
        if (!res.ok && !get.acceptStatus?.(res.status)) {
          if (isRetryableStatus(res.status)) return await retryableStatus(res);
          await res.body?.cancel().catch(() => undefined);
          throw new TributaryError('SOURCE_INVALID_RESPONSE', `GET ${url} failed: status ${res.status}`);
        }
        let body: string;
        try {
          body = await res.text();
        } catch (error) {
          throw failure(error, get.signal, timeout, timedOut);
        }
        return { url: res.url || url, status: res.status, headers: res.headers, body };
      });
      return { ...value, attempts, waitedMs };
    },

    async send(url, send = {}) {
      const timer = new AbortController();
      const timeout = setTimeout(() => timer.abort(new Error(`no response headers within ${options.timeoutMs} ms`)), options.timeoutMs);
      try {
        const res = await fetchOnce(url, send.headers ?? {}, send.signal, timer.signal, `no response headers within ${options.timeoutMs} ms`);
        return isRetryableStatus(res.status) ? await retryableStatus(res) : res;
      } finally {
        clearTimeout(timeout);
      }
    },

    retrying(what, signal, attempt) {
      return withRetries(what, options.retry, signal, attempt, {
        ...(deps.random ? { random: deps.random } : {}),
        onRetry: (failed, waitMs, n) => deps.logger?.warn({ what, attempt: n, waitMs }, `${what}: ${failed.message}; retrying in ${waitMs} ms`),
      });
    },
  };
  return client;
}
