/**
 * A pipeline's schedules (`{ everyMs }` or `{ cron, timezone }`, cron read by croner): checked when
 * the pipeline is defined, and described for status lines. The orchestrator runs them: each source
 * and scheduled batch job is a graph on the same schedule (part-graphs.ts).
 */
import { Cron } from 'croner';
import { TributaryError } from '../errors.ts';
import type { Schedule } from './pipeline.ts';

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
