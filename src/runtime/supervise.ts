/**
 * Supervision of long-running parts (stream jobs, services, the archiver): run until the signal
 * aborts; when the part fails, record the failure and start it again after a backoff that doubles
 * from `minDelayMs` to `maxDelayMs` (reset once a run has lasted `healthyAfterMs`). A failure that is
 * not retryable (a bad config, a schema that cannot fit) still restarts, at the longest delay, so one
 * broken part never takes the others down and its status shows why.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isTributaryError } from '../errors.ts';

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
  /** Extra facts for status lines and the API (a schedule, a watermark). */
  info: Record<string, string>;
}

export interface SuperviseOptions {
  minDelayMs?: number;
  maxDelayMs?: number;
  healthyAfterMs?: number;
  onFailure?: (error: unknown, status: PartStatus) => void;
}

export async function supervise(status: PartStatus, signal: AbortSignal, run: (signal: AbortSignal) => Promise<unknown>, options: SuperviseOptions = {}): Promise<void> {
  const min = options.minDelayMs ?? 500;
  const max = options.maxDelayMs ?? 30_000;
  const healthyAfter = options.healthyAfterMs ?? 60_000;
  let delay = min;
  while (!signal.aborted) {
    status.state = 'running';
    const started = Date.now();
    try {
      await run(signal);
      if (signal.aborted) break;
      // A part that returns on its own (a bounded emulator) is done, not crashed.
      status.state = 'stopped';
      return;
    } catch (error) {
      if (signal.aborted) break;
      status.restarts += 1;
      status.lastError = { code: isTributaryError(error) ? error.code : 'INTERNAL', message: (error as Error).message ?? String(error), at: new Date().toISOString() };
      status.state = 'restarting';
      options.onFailure?.(error, status);
      if (Date.now() - started >= healthyAfter) delay = min;
      const wait = isTributaryError(error) && !error.retryable ? max : delay;
      delay = Math.min(max, delay * 2);
      try {
        await sleep(wait, undefined, { signal });
      } catch {
        break;
      }
    }
  }
  status.state = 'stopped';
}
