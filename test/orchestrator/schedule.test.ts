import { describe, expect, it } from 'vitest';
import { dueIntervals } from '../../src/orchestrator/schedule.ts';

const iso = (intervals: { start: Date; end: Date }[]) => intervals.map((i) => `${i.start.toISOString()}/${i.end.toISOString()}`);
const at = (s: string) => new Date(s).getTime();

describe('schedules as data intervals', () => {
  it('should give the interval that ended last when nothing ran and there is no start date', () => {
    const due = dueIntervals({ cron: '0 * * * *' }, { lastLogicalMs: undefined, nowMs: at('2026-01-01T05:30:00Z') });
    expect(iso(due)).toEqual(['2026-01-01T04:00:00.000Z/2026-01-01T05:00:00.000Z']);
  });

  it('should catch up every interval since the last logical date when catchup is on', () => {
    const due = dueIntervals({ cron: '0 * * * *', catchup: true }, { lastLogicalMs: at('2026-01-01T01:00:00Z'), nowMs: at('2026-01-01T04:00:00Z') });
    expect(iso(due)).toEqual(['2026-01-01T02:00:00.000Z/2026-01-01T03:00:00.000Z', '2026-01-01T03:00:00.000Z/2026-01-01T04:00:00.000Z']);
  });

  it('should give only the latest interval when catchup is off', () => {
    const due = dueIntervals({ cron: '0 * * * *', catchup: false }, { lastLogicalMs: at('2026-01-01T01:00:00Z'), nowMs: at('2026-01-01T04:10:00Z') });
    expect(iso(due)).toEqual(['2026-01-01T03:00:00.000Z/2026-01-01T04:00:00.000Z']);
    expect(dueIntervals({ cron: '0 * * * *', catchup: false }, { lastLogicalMs: at('2026-01-01T03:00:00Z'), nowMs: at('2026-01-01T04:10:00Z') })).toEqual([]);
  });

  it('should start from the schedule start date on the first catchup', () => {
    const due = dueIntervals({ cron: '0 0 * * *', start: new Date('2026-01-01T00:00:00Z') }, { lastLogicalMs: undefined, nowMs: at('2026-01-03T12:00:00Z') });
    expect(iso(due)).toEqual(['2026-01-01T00:00:00.000Z/2026-01-02T00:00:00.000Z', '2026-01-02T00:00:00.000Z/2026-01-03T00:00:00.000Z']);
  });

  it('should read a cron expression in its time zone across a daylight saving change', () => {
    const schedule = { cron: '0 0 * * *', timezone: 'America/Toronto', start: new Date('2026-03-07T05:00:00Z') };
    const due = dueIntervals(schedule, { lastLogicalMs: undefined, nowMs: at('2026-03-09T12:00:00Z') });
    // Midnight in Toronto is 05:00Z before 8 March 2026 and 04:00Z after: the 8th is 23 hours long.
    expect(iso(due)).toEqual(['2026-03-07T05:00:00.000Z/2026-03-08T05:00:00.000Z', '2026-03-08T05:00:00.000Z/2026-03-09T04:00:00.000Z']);
  });

  it('should cut fixed intervals aligned to the start date', () => {
    const due = dueIntervals({ everyMs: 60_000, start: new Date('2026-01-01T00:00:30Z') }, { lastLogicalMs: undefined, nowMs: at('2026-01-01T00:03:00Z') });
    expect(iso(due)).toEqual(['2026-01-01T00:00:30.000Z/2026-01-01T00:01:30.000Z', '2026-01-01T00:01:30.000Z/2026-01-01T00:02:30.000Z']);
  });

  it('should read a six-field cron expression with seconds', () => {
    const due = dueIntervals({ cron: '* * * * * *' }, { lastLogicalMs: at('2026-01-01T00:00:00Z'), nowMs: at('2026-01-01T00:00:03.500Z') });
    // After the run of 00:00:00, the intervals starting at 01 and 02 have ended; the one of 03 has not.
    expect(iso(due)).toEqual(['2026-01-01T00:00:01.000Z/2026-01-01T00:00:02.000Z', '2026-01-01T00:00:02.000Z/2026-01-01T00:00:03.000Z']);
  });
});
