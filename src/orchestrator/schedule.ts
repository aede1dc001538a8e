/**
 * Schedules as data intervals, Airflow's way: fire times f0 < f1 < ... cut time into intervals
 * [f_i, f_i+1); the run of an interval is due once its end has passed, and its logical date is its
 * start. Cron expressions (five or six fields, seconds first when six) are read by croner in the
 * schedule's time zone; `everyMs` intervals are aligned to `start` (default the epoch).
 */
import { Cron } from 'croner';
import { TributaryError } from '../errors.ts';
import type { DataInterval, Schedule } from './orchestrator.ts';

export function checkSchedule(graphId: string, schedule: Schedule): void {
  try {
    if ('cron' in schedule) new Cron(schedule.cron, { timezone: schedule.timezone ?? 'UTC', paused: true }).nextRun();
    else if (!(Number.isInteger(schedule.everyMs) && schedule.everyMs >= 1)) throw new Error('everyMs must be a positive integer');
  } catch (error) {
    throw new TributaryError('ORCHESTRATOR_GRAPH_INVALID', `graph ${graphId}: schedule: ${(error as Error).message}`, { cause: error });
  }
}

/** The schedule's fire times: `next(t)` is the first one strictly after t, `latest(t)` the last one at or before t. */
export interface FireTimes {
  next(afterMs: number): number | undefined;
  latest(atMs: number): number | undefined;
}

export function fireTimes(schedule: Schedule): FireTimes {
  if ('cron' in schedule) {
    const cron = new Cron(schedule.cron, { timezone: schedule.timezone ?? 'UTC', paused: true });
    return {
      next: (afterMs) => cron.nextRun(new Date(afterMs))?.getTime(),
      latest: (atMs) => cron.previousRuns(1, new Date(atMs + 1))[0]?.getTime(),
    };
  }
  const every = schedule.everyMs;
  const anchor = schedule.start?.getTime() ?? 0;
  return {
    next: (afterMs) => anchor + (Math.floor((afterMs - anchor) / every) + 1) * every,
    latest: (atMs) => anchor + Math.floor((atMs - anchor) / every) * every,
  };
}

export interface DueOptions {
  /** The logical date of the newest scheduled run there is, if any. */
  lastLogicalMs: number | undefined;
  nowMs: number;
  /** Most intervals returned at once (the rest come on the next call). */
  limit?: number;
}

/** The intervals whose runs are due and not yet created, oldest first. */
export function dueIntervals(schedule: Schedule, options: DueOptions): DataInterval[] {
  const times = fireTimes(schedule);
  const { nowMs, lastLogicalMs } = options;
  const limit = options.limit ?? 10_000;
  const latestEnd = times.latest(nowMs);
  if (latestEnd === undefined) return [];
  const catchup = schedule.catchup ?? true;
  let start: number | undefined;
  if (!catchup || (lastLogicalMs === undefined && schedule.start === undefined)) {
    // Only the interval that ended last: the one before `latestEnd`.
    start = previousFire(times, latestEnd);
    if (start === undefined || (lastLogicalMs !== undefined && start <= lastLogicalMs)) return [];
    if (schedule.start !== undefined && start < schedule.start.getTime()) return [];
    return [{ start: new Date(start), end: new Date(latestEnd) }];
  }
  start = lastLogicalMs === undefined ? firstAtOrAfter(times, schedule.start!.getTime()) : times.next(lastLogicalMs);
  const out: DataInterval[] = [];
  while (start !== undefined && out.length < limit) {
    const end = times.next(start);
    if (end === undefined || end > nowMs) break;
    out.push({ start: new Date(start), end: new Date(end) });
    start = end;
  }
  return out;
}

/** When the next interval after the newest due one ends, i.e. when `dueIntervals` changes next. */
export function nextDueAt(schedule: Schedule, nowMs: number): number | undefined {
  return fireTimes(schedule).next(nowMs);
}

function previousFire(times: FireTimes, fireMs: number): number | undefined {
  return times.latest(fireMs - 1);
}

function firstAtOrAfter(times: FireTimes, ms: number): number | undefined {
  return times.latest(ms) === ms ? ms : times.next(ms);
}
