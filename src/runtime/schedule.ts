/**
 * Running a piece of work on a pipeline's schedule (`{ everyMs }` or `{ cron, timezone }`, cron read
 * by croner), one run at a time: a run that outlasts its slot delays the next instead of overlapping
 * it. The orchestrator keeps run history and retries; this is the loop `tributary dev` uses for the
 * sources and batch jobs a pipeline declares.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Cron } from 'croner';
import { TributaryError } from '../errors.ts';
import type { Schedule } from './pipeline.ts';

/** The time of the next run after `after`, or undefined when a cron expression has no more. */
export function nextRunAt(schedule: Schedule, after: Date, lastStart?: Date): Date | undefined {
  if ('everyMs' in schedule) return new Date(lastStart === undefined ? after.getTime() : Math.max(after.getTime(), lastStart.getTime() + schedule.everyMs));
  return cronOf(schedule).nextRun(after) ?? undefined;
}

function cronOf(schedule: { cron: string; timezone?: string }): Cron {
  try {
    return new Cron(schedule.cron, { paused: true, ...(schedule.timezone === undefined ? {} : { timezone: schedule.timezone }) });
  } catch (error) {
    throw new TributaryError('PIPELINE_INVALID', `schedule "${schedule.cron}"${schedule.timezone ? ` (${schedule.timezone})` : ''} is not a valid cron expression: ${(error as Error).message}`, { cause: error });
  }
}

/** Check a schedule's expression now, so a typo fails when the pipeline loads rather than at the first run. */
export function checkSchedule(schedule: Schedule): void {
  if (!('everyMs' in schedule)) cronOf(schedule);
}

/** A human-readable form for status lines, e.g. "every 5 s" or "cron 0 6 * * * (Europe/Paris)". */
export function describeSchedule(schedule: Schedule): string {
  if ('everyMs' in schedule) return schedule.everyMs % 1000 === 0 ? `every ${schedule.everyMs / 1000} s` : `every ${schedule.everyMs} ms`;
  return `cron ${schedule.cron}${schedule.timezone ? ` (${schedule.timezone})` : ''}`;
}

/**
 * Call `run` on the schedule until `signal` aborts. Interval schedules run at once (unless
 * `runAtStart` is false), then every `everyMs` from the start of the previous run; cron schedules at
 * their next match. Errors from `run`
 * go to `onError` and the loop goes on.
 */
export async function runOnSchedule(schedule: Schedule, signal: AbortSignal, run: () => Promise<void>, onError: (error: unknown) => void, options: { runAtStart?: boolean } = {}): Promise<void> {
  // An interval schedule that does not run at start waits one interval first.
  let lastStart: Date | undefined = options.runAtStart === false ? new Date() : undefined;
  while (!signal.aborted) {
    const now = new Date();
    const next = nextRunAt(schedule, now, lastStart);
    if (next === undefined) return;
    const wait = next.getTime() - now.getTime();
    if (wait > 0) {
      try {
        await sleep(wait, undefined, { signal });
      } catch {
        return;
      }
    }
    lastStart = new Date();
    try {
      await run();
    } catch (error) {
      if (signal.aborted) return;
      onError(error);
    }
  }
}
