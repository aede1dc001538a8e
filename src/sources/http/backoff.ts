/**
 * Exponential backoff with "equal jitter": half of the exponential step is fixed, half is random,
 * so retries from many clients spread out but never collapse to zero.
 */
export interface BackoffOptions {
  baseDelayMs: number;
  maxDelayMs: number;
}

/** The wait before retry number `retry` (1 for the first retry). */
export function backoffDelay(retry: number, options: BackoffOptions, random: () => number = Math.random): number {
  const step = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(step / 2 + random() * (step / 2));
}
