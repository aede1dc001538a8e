/**
 * GET with the manners and persistence an HTTP source needs: a User-Agent, a timeout per attempt,
 * a shared rate limit, and retries with exponential backoff and jitter on 5xx, 408, 429, timeouts
 * and network errors. `Retry-After` (seconds or HTTP-date) replaces the backoff step when sent.
 *
 * Errors: SOURCE_UNAVAILABLE (retryable) when the attempts ran out on something transient, or the
 * server asked to wait longer than `maxRetryAfterMs`; SOURCE_INVALID_RESPONSE for any other 4xx.
 * An abort of the caller's signal rejects with the signal's reason and is never retried.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TributaryError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { backoffDelay } from './backoff.ts';
import type { HttpOptions } from './http-options.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { parseRetryAfter } from './retry-after.ts';

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

export interface HttpClient {
  get(url: string, options?: GetOptions): Promise<HttpResponse>;
}

export interface HttpClientDeps {
  rateLimiter: RateLimiter;
  logger?: Logger;
  /** For tests: the jitter's randomness. */
  random?: () => number;
}

/** Statuses worth another try: the server is overloaded, restarting, or timed out on its side. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

type Attempt = { response: HttpResponse } | { retryAfterMs?: number; problem: string; cause?: unknown; fatal?: boolean };

export function createHttpClient(options: Pick<HttpOptions, 'userAgent' | 'timeoutMs' | 'retry'>, deps: HttpClientDeps): HttpClient {
  const { retry } = options;

  async function attempt(url: string, get: GetOptions, attempts: number, waitedMs: number): Promise<Attempt> {
    const signal = get.signal ?? new AbortController().signal;
    await deps.rateLimiter.take(signal);
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const both = AbortSignal.any([signal, timeout]);
    try {
      const res = await fetch(url, {
        headers: { 'user-agent': options.userAgent, accept: get.accept ?? '*/*' },
        redirect: 'follow',
        signal: both,
      });
      const body = await res.text();
      const response: HttpResponse = { url: res.url || url, status: res.status, headers: res.headers, body, attempts, waitedMs };
      if (res.ok || get.acceptStatus?.(res.status)) return { response };
      if (!isRetryableStatus(res.status)) return { problem: `status ${res.status}`, fatal: true };
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
      return { problem: `status ${res.status}`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (timeout.aborted) return { problem: `no complete response within ${options.timeoutMs} ms`, cause: error };
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      return { problem: `network error: ${cause?.code ?? cause?.message ?? (error as Error).message}`, cause: error };
    }
  }

  return {
    async get(url, get = {}) {
      let waitedMs = 0;
      for (let attempts = 1; ; attempts += 1) {
        const result = await attempt(url, get, attempts, waitedMs);
        if ('response' in result) return result.response;
        if (result.fatal) {
          throw new TributaryError('SOURCE_INVALID_RESPONSE', `GET ${url} failed: ${result.problem}`);
        }
        if (attempts >= retry.maxAttempts) {
          throw new TributaryError('SOURCE_UNAVAILABLE', `GET ${url} failed after ${attempts} attempts: last ${result.problem}`, { cause: result.cause });
        }
        if (result.retryAfterMs !== undefined && result.retryAfterMs > retry.maxRetryAfterMs) {
          throw new TributaryError(
            'SOURCE_UNAVAILABLE',
            `GET ${url}: ${result.problem} asks to retry after ${Math.round(result.retryAfterMs / 1000)} s, more than retry.maxRetryAfterMs (${retry.maxRetryAfterMs} ms)`,
          );
        }
        const wait = result.retryAfterMs ?? backoffDelay(attempts, retry, deps.random);
        deps.logger?.warn({ url, attempt: attempts, waitMs: wait }, `GET ${url}: ${result.problem}; retrying in ${wait} ms`);
        await sleep(wait, undefined, { signal: get.signal });
        waitedMs += wait;
      }
    },
  };
}
