/**
 * A small retrying `fetch` for the CKAN source: retries network errors, 5xx and 429 with exponential
 * backoff and full jitter, honouring `Retry-After` (capped). Anything else comes back to the caller
 * as it is. (The HTTP sources in src/sources/http/ have the general form of this; the two should be
 * unified once that exists.)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TributaryError } from '../../errors.ts';

export interface RetryOptions {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** First backoff; doubles per attempt, with jitter. */
  baseDelayMs: number;
  /** Upper bound of one wait, `Retry-After` included. */
  maxDelayMs: number;
  /** Until the response headers arrive. */
  timeoutMs: number;
}

/** A reason to try again: the wait before the next attempt, in ms, or undefined for the backoff. */
export class RetryableFailure extends Error {
  override readonly name = 'RetryableFailure';
  readonly waitMs: number | undefined;
  constructor(message: string, waitMs?: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.waitMs = waitMs;
  }
}

export function backoff(attempt: number, options: RetryOptions): number {
  return Math.random() * Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
}

/** Seconds or an HTTP date, as RFC 9110 allows; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** One `fetch` with a timeout on the headers; the body stays tied to the caller's signal only. */
export async function fetchOnce(url: string, init: RequestInit & { signal: AbortSignal }, timeoutMs: number): Promise<Response> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new Error(`no response within ${timeoutMs} ms`)), timeoutMs);
  try {
    return await fetch(url, { ...init, signal: AbortSignal.any([init.signal, timeout.signal]) });
  } catch (error) {
    if (init.signal.aborted) throw error;
    throw new RetryableFailure(`GET ${url} failed: ${describeError(error)}`, undefined, error);
  } finally {
    clearTimeout(timer);
  }
}

/** Turns a 5xx or 429 into a RetryableFailure (draining its body); returns any other response. */
export async function checkStatus(url: string, response: Response): Promise<Response> {
  if (response.status === 429 || response.status >= 500) {
    await response.body?.cancel().catch(() => undefined);
    throw new RetryableFailure(`GET ${url} answered ${response.status} ${response.statusText}`, response.status === 429 || response.status === 503 ? retryAfterMs(response.headers.get('retry-after')) : undefined);
  }
  return response;
}

/**
 * Runs `attempt` until it returns, retrying RetryableFailures up to `maxAttempts` in all; then throws
 * SOURCE_UNAVAILABLE naming the last failure. Other errors pass through at once.
 */
export async function withRetries<T>(what: string, options: RetryOptions, signal: AbortSignal, attempt: (n: number) => Promise<T>, onRetry?: (failure: RetryableFailure, waitMs: number) => void): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!(error instanceof RetryableFailure) || signal.aborted) throw error;
      if (n >= options.maxAttempts) {
        throw new TributaryError('SOURCE_UNAVAILABLE', `${what}: gave up after ${n} attempts; last: ${error.message}`, { cause: error });
      }
      const wait = Math.min(options.maxDelayMs, error.waitMs ?? backoff(n, options));
      onRetry?.(error, wait);
      await sleep(wait, undefined, { signal });
    }
  }
}

export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
