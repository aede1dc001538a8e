/**
 * The scheduler: while it leads, it creates the runs of scheduled graphs as their intervals end
 * (all missed ones when `catchup` is on), and sweeps (expired leases, lost attempts, queued runs).
 * Leading is a Leadership's call: always in one process, a PostgreSQL advisory lock across many.
 * A run's key is its logical date, so a second scheduler, or one that took over, never makes a
 * run twice, and one that starts after a gap makes the runs of the gap (with catchup).
 */
import { systemClock, type Clock } from '../retry/clock.ts';
import type { Orchestrator } from './create-orchestrator.ts';
import type { RunRecord } from './orchestrator.ts';
import { dueIntervals, nextDueAt } from './schedule.ts';

export interface Leadership {
  /** True while this process leads; tries to become the leader when it does not. */
  holds(): Promise<boolean>;
  release(): Promise<void>;
}

export const alwaysLead: Leadership = { holds: () => Promise.resolve(true), release: () => Promise.resolve() };

export interface SchedulerOptions {
  orchestrator: Orchestrator<never> | Orchestrator<unknown> | Orchestrator;
  clock?: Clock;
  leadership?: Leadership;
  /** Longest wait between two ticks (default 1 s). */
  tickMs?: number;
  /** Time between sweeps (default 5 s). */
  sweepMs?: number;
  onError?: (error: unknown) => void;
}

export interface Scheduler {
  /** One pass: create the due runs (when leading), sweep when a sweep is due. Returns the runs created. */
  tick(): Promise<RunRecord[]>;
  start(): void;
  stop(): Promise<void>;
  readonly leading: boolean;
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  const orchestrator = options.orchestrator as Orchestrator;
  const clock = options.clock ?? systemClock;
  const leadership = options.leadership ?? alwaysLead;
  const tickMs = options.tickMs ?? 1000;
  const sweepMs = options.sweepMs ?? 5000;
  const stopping = new AbortController();
  let lastSweep = Number.NEGATIVE_INFINITY;
  let leading = false;
  let loop: Promise<void> | undefined;

  const hasActiveRun = async (graphId: string) =>
    (await orchestrator.store.listRuns({ graph: graphId, status: 'running', limit: 1 })).length > 0 ||
    (await orchestrator.store.listRuns({ graph: graphId, status: 'queued', limit: 1 })).length > 0;

  async function tick(): Promise<RunRecord[]> {
    leading = await leadership.holds();
    if (!leading) return [];
    const created: RunRecord[] = [];
    for (const g of orchestrator.graphs) {
      if (!g.schedule) continue;
      if (g.schedule.skipWhileActive && (await hasActiveRun(g.id))) continue;
      const last = await orchestrator.store.latestLogical(g.id, 'schedule');
      const due = dueIntervals(g.schedule, { lastLogicalMs: last, nowMs: clock.now() });
      if (due.length === 0) continue;
      created.push(...(await orchestrator.createRuns(g.id, due.map((interval) => ({ trigger: 'schedule' as const, logicalDate: interval.start, interval })))));
      await orchestrator.activate(g.id);
    }
    if (clock.now() - lastSweep >= sweepMs) {
      lastSweep = clock.now();
      await orchestrator.sweep();
    }
    return created;
  }

  function nextWake(): number {
    const now = clock.now();
    let wake = now + tickMs;
    for (const g of orchestrator.graphs) {
      const at = g.schedule ? nextDueAt(g.schedule, now) : undefined;
      if (at !== undefined && at < wake) wake = at;
    }
    return Math.max(0, wake - now);
  }

  return {
    tick,
    get leading() {
      return leading;
    },
    start() {
      loop ??= (async () => {
        while (!stopping.signal.aborted) {
          try {
            await tick();
          } catch (error) {
            options.onError?.(error);
          }
          await clock.sleep(nextWake(), stopping.signal).catch(() => undefined);
        }
      })();
    },
    async stop() {
      stopping.abort();
      await loop;
      await leadership.release();
    },
  };
}
