/**
 * The interval runner: calls a source's `poll` every `intervalMs`, for `times` polls, for
 * `durationMs`, until the source says it is done, or until the signal aborts, whichever comes first.
 * (The orchestrator will schedule sources with cron later; this is the simple form.)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isTributaryError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { PollResult, Source } from './source.ts';

export interface RunSourceOptions {
  intervalMs: number;
  /** Stop after this many polls. */
  times?: number;
  /** Stop once this much time has passed (checked between polls). */
  durationMs?: number;
  /** Stop when a poll returns `done: true` (an extract that caught up, a download pass). */
  untilDone?: boolean;
  signal?: AbortSignal;
  logger?: Logger;
  /** Called after every poll, e.g. to print progress. */
  onPoll?: (result: PollResult, totals: SourceTotals) => void;
}

export interface SourceTotals extends PollResult {
  polls: number;
  /** Polls that failed with a retryable error and were skipped. */
  failedPolls: number;
}

export async function runSource(source: Source, options: RunSourceOptions): Promise<SourceTotals> {
  const totals: SourceTotals = { polls: 0, failedPolls: 0, emitted: 0, skipped: 0, rejected: 0 };
  const signal = options.signal ?? new AbortController().signal;
  const started = Date.now();
  const timeLeft = () => (options.durationMs === undefined ? Infinity : options.durationMs - (Date.now() - started));

  while (!signal.aborted && totals.polls < (options.times ?? Infinity) && timeLeft() > 0) {
    const pollStarted = Date.now();
    totals.polls += 1;
    try {
      const result = await source.poll(signal);
      totals.emitted += result.emitted;
      totals.skipped += result.skipped;
      totals.rejected += result.rejected;
      options.onPoll?.(result, totals);
      if (options.untilDone && result.done) break;
    } catch (error) {
      if (signal.aborted) break;
      if (!isTributaryError(error) || !error.retryable) throw error;
      totals.failedPolls += 1;
      options.logger?.warn({ err: error, source: source.name }, `source ${source.name}: poll failed, retrying on the next interval`);
    }
    const wait = Math.min(options.intervalMs - (Date.now() - pollStarted), timeLeft());
    if (wait > 0 && totals.polls < (options.times ?? Infinity)) await sleep(wait, undefined, { signal }).catch(() => undefined);
  }
  totals.done = true;
  return totals;
}
