/**
 * The one retry policy: a maximum number of attempts, exponential backoff with full jitter, and a
 * retry decision taken from the error. Sinks, sources and the orchestrator share it.
 *
 * Glossary:
 * - attempt: one call, numbered from 1.
 * - delay before attempt n+1: `min(maxDelayMs, initialDelayMs * factor^(n-1))`, then jittered: with
 *   `jitter` j in [0, 1], a uniform pick in `[delay * (1 - j), delay]` (j = 1 is "full jitter").
 * - retryable: a TributaryError's own flag (its code's default, or the occurrence's override); an
 *   error without a code counts as retryable, since most of them are I/O that may pass.
 *
 * Random numbers and time are injected (`random`, `clock`), so a test replays a schedule exactly.
 */
import { z } from 'zod';
import { isTributaryError } from '../errors.ts';
import { systemClock, type Clock } from './clock.ts';

export const retryOptionsSchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(1000).default(3).describe('attempts in all, the first one included'),
    initialDelayMs: z.number().int().min(0).default(1000).describe('delay before the second attempt, before jitter'),
    maxDelayMs: z.number().int().min(0).default(60_000).describe('upper bound of any one delay'),
    factor: z.number().min(1).default(2).describe('growth of the delay per attempt'),
    jitter: z.number().min(0).max(1).default(1).describe('share of the delay drawn at random (1: anywhere from 0 to the delay)'),
  })
  .strict();

export type RetryOptions = z.input<typeof retryOptionsSchema>;
export type RetryPolicy = Readonly<z.output<typeof retryOptionsSchema>>;

export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  return Object.freeze(retryOptionsSchema.parse(options));
}

/** The wait before attempt `attempt + 1`, after attempt `attempt` (from 1) failed. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** Math.max(0, attempt - 1));
  return Math.round(base * (1 - policy.jitter * random()));
}

export function isRetryable(error: unknown): boolean {
  return isTributaryError(error) ? error.retryable : true;
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: 'not-retryable' | 'attempts-exhausted' };

/** Whether to try again after attempt `attempt` failed with `error`, and after how long. */
export function decideRetry(policy: RetryPolicy, attempt: number, error: unknown, random: () => number = Math.random): RetryDecision {
  if (!isRetryable(error)) return { retry: false, reason: 'not-retryable' };
  if (attempt >= policy.maxAttempts) return { retry: false, reason: 'attempts-exhausted' };
  return { retry: true, delayMs: backoffDelay(policy, attempt, random) };
}

export interface WithRetryOptions {
  policy: RetryPolicy;
  clock?: Clock;
  random?: () => number;
  signal?: AbortSignal;
  /** Called before each wait, e.g. to log the failure. */
  onRetry?: (event: { attempt: number; error: unknown; delayMs: number }) => void;
}

/** Call `fn` until it succeeds, the policy gives up (the last error is thrown) or the signal aborts. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: WithRetryOptions): Promise<T> {
  const clock = options.clock ?? systemClock;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      const decision = decideRetry(options.policy, attempt, error, options.random);
      if (!decision.retry || options.signal?.aborted) throw error;
      options.onRetry?.({ attempt, error, delayMs: decision.delayMs });
      await clock.sleep(decision.delayMs, options.signal);
    }
  }
}
