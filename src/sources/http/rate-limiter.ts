/**
 * A token bucket: `requestsPerSecond` tokens flow in continuously up to `burst`; each request takes
 * one, waiting until one is there. Waiters are served in arrival order, so one busy caller cannot
 * starve another sharing the same bucket.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface RateLimitOptions {
  requestsPerSecond: number;
  /** Tokens the bucket holds when full (and starts with). */
  burst: number;
}

export interface RateLimiterClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const systemClock: RateLimiterClock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }),
};

export class RateLimiter {
  readonly options: RateLimitOptions;
  readonly #clock: RateLimiterClock;
  #tokens: number;
  #updated: number;
  /** The tail of the queue of waiters: each waits for the one before it. */
  #queue: Promise<void> = Promise.resolve();
  /** A minimum gap between requests asked for by the other side (robots.txt Crawl-delay). */
  #minIntervalMs = 0;
  #last = -Infinity;

  constructor(options: RateLimitOptions, clock: RateLimiterClock = systemClock) {
    if (!(options.requestsPerSecond > 0) || !(options.burst >= 1)) {
      throw new RangeError(`rate limit needs requestsPerSecond > 0 and burst >= 1, got ${options.requestsPerSecond} and ${options.burst}`);
    }
    this.options = options;
    this.#clock = clock;
    this.#tokens = options.burst;
    this.#updated = clock.now();
  }

  /** Never go faster than one request per `ms`, whatever the bucket holds (robots.txt Crawl-delay). */
  setMinInterval(ms: number): void {
    this.#minIntervalMs = Math.max(0, ms);
  }

  /** Resolves when the caller may send one request. Rejects if the signal aborts while waiting. */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.#queue.then(() => this.#wait(signal));
    // A waiter that aborted must not block the ones behind it.
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  async #wait(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    for (;;) {
      const now = this.#clock.now();
      this.#tokens = Math.min(this.options.burst, this.#tokens + ((now - this.#updated) / 1000) * this.options.requestsPerSecond);
      this.#updated = now;
      const gap = this.#last + this.#minIntervalMs - now;
      if (this.#tokens >= 1 && gap <= 0) {
        this.#tokens -= 1;
        this.#last = now;
        return;
      }
      const forToken = this.#tokens >= 1 ? 0 : ((1 - this.#tokens) / this.options.requestsPerSecond) * 1000;
      await this.#clock.sleep(Math.max(forToken, gap, 1), signal);
    }
  }
}
