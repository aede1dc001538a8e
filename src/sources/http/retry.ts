/**
 * The retry loop every HTTP source shares: an attempt either returns, throws a RetryableFailure
 * (a 5xx, 408 or 429, a timeout, a network error, a body cut short: try again after the backoff, or
 * after the server's Retry-After), or throws anything else (passed through at once).
 *
 * Errors: SOURCE_UNAVAILABLE (retryable) when the attempts run out, or when the server asks to wait
 * longer than `maxRetryAfterMs`; the message names `what` and the last failure. An abort of the
 * caller's signal rejects with the signal's reason and is never retried.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TributaryError } from '../../errors.ts';
import { backoffDelay } from './backoff.ts';
import type { HttpOptions } from './http-options.ts';

export type RetryOptions = HttpOptions['retry'];

/** A reason to try again; `retryAfterMs` replaces the backoff step (0: at once, e.g. to resume a cut body). */
export class RetryableFailure extends Error {
  override readonly name = 'RetryableFailure';
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs?: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.retryAfterMs = retryAfterMs;
  }
}

export interface RetryHooks {
  /** Called before each wait, e.g. to log it. */
  onRetry?: (failure: RetryableFailure, waitMs: number, attempt: number) => void;
  /** For tests: the jitter's randomness. */
  random?: () => number;
}

export interface Retried<T> {
  value: T;
  /** Attempts it took (1 when the first one succeeded). */
  attempts: number;
  /** Time spent sleeping between attempts. */
  waitedMs: number;
}

export async function withRetries<T>(what: string, retry: RetryOptions, signal: AbortSignal | undefined, attempt: (n: number) => Promise<T>, hooks: RetryHooks = {}): Promise<Retried<T>> {
  let waitedMs = 0;
  for (let n = 1; ; n += 1) {
    try {
      return { value: await attempt(n), attempts: n, waitedMs };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (!(error instanceof RetryableFailure)) throw error;
      if (n >= retry.maxAttempts) {
        throw new TributaryError('SOURCE_UNAVAILABLE', `${what} failed after ${n} attempts: last ${error.message}`, { cause: error.cause ?? error });
      }
      if (error.retryAfterMs !== undefined && error.retryAfterMs > retry.maxRetryAfterMs) {
        throw new TributaryError(
          'SOURCE_UNAVAILABLE',
          `${what}: ${error.message} asks to retry after ${Math.round(error.retryAfterMs / 1000)} s, more than retry.maxRetryAfterMs (${retry.maxRetryAfterMs} ms)`,
        );
      }
      const wait = error.retryAfterMs ?? backoffDelay(n, retry, hooks.random);
      hooks.onRetry?.(error, wait, n);
      await sleep(wait, undefined, signal ? { signal } : undefined);
      waitedMs += wait;
    }
  }
}

/** A network error's reason, as undici reports it (`ECONNRESET`, `UND_ERR_SOCKET`...). */
export function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
