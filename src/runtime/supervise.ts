/**
 * Supervision of the long-running parts (stream jobs, services, the archiver): each runs until the
 * signal aborts; when it crashes it is started again after a backoff from the shared retry policy
 * (default 500 ms doubling to 30 s, half of it jittered), which starts from the beginning again once
 * a run has lasted `healthyAfterMs`. A part whose error is not retryable (a bad config, a schema
 * that cannot fit) is not restarted: it stays `failed` with that error, and the other parts go on.
 * A part that returns on its own (a bounded emulator) is done: `stopped`, not crashed. The status
 * is what `tributary dev` prints and `GET /api/status` serves. Time is a Clock, so tests use a fake one.
 */
import { isTributaryError } from '../errors.ts';
import { systemClock, type Clock } from '../retry/clock.ts';
import { backoffDelay, isRetryable, retryPolicy, type RetryOptions } from '../retry/retry-policy.ts';

export type PartState = 'starting' | 'running' | 'restarting' | 'stopped' | 'failed';

export interface PartStatus {
  name: string;
  kind: 'stream-job' | 'service' | 'archiver' | 'source' | 'batch-job' | 'server';
  pipeline?: string;
  state: PartState;
  restarts: number;
  lastError?: { code: string; message: string; at: string };
  /** Live counts, updated by the part. */
  counts: Record<string, number>;
  /** Extra facts for status lines and the API (a schedule, a watermark, its graph). */
  info: Record<string, string>;
}

export interface SuperviseOptions {
  clock?: Clock;
  random?: () => number;
  /** The wait between restarts (maxAttempts does not apply: a retryable crash is always restarted). */
  backoff?: Omit<RetryOptions, 'maxAttempts'>;
  /** Up this long counts as healthy: the next crash backs off from the start again (default 60 s). */
  healthyAfterMs?: number;
  /** Called on each crash, with the status already updated (`restarting`, or `failed` for good). */
  onFailure?: (error: unknown, status: PartStatus) => void;
}

const DEFAULT_BACKOFF = { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, jitter: 0.5 };

export async function supervise(status: PartStatus, signal: AbortSignal, run: (signal: AbortSignal) => Promise<unknown>, options: SuperviseOptions = {}): Promise<void> {
  const clock = options.clock ?? systemClock;
  const policy = retryPolicy({ ...DEFAULT_BACKOFF, ...options.backoff, maxAttempts: 1000 });
  const healthyAfter = options.healthyAfterMs ?? 60_000;
  let failures = 0;
  while (!signal.aborted) {
    status.state = 'running';
    const started = clock.now();
    try {
      await run(signal);
      if (signal.aborted) break;
      status.state = 'stopped';
      return;
    } catch (error) {
      if (signal.aborted) break;
      status.lastError = { code: isTributaryError(error) ? error.code : 'INTERNAL', message: (error as Error).message ?? String(error), at: new Date(clock.now()).toISOString() };
      if (!isRetryable(error)) {
        status.state = 'failed';
        options.onFailure?.(error, status);
        return;
      }
      if (clock.now() - started >= healthyAfter) failures = 0;
      failures++;
      status.state = 'restarting';
      options.onFailure?.(error, status);
      try {
        await clock.sleep(backoffDelay(policy, failures, options.random), signal);
      } catch {
        break;
      }
      status.restarts += 1;
    }
  }
  status.state = 'stopped';
}
