/**
 * Backfills: one run per partition key or per logical date in a range, created in batches with the
 * same keys the scheduler uses (`logical:<iso>`, `partition:<key>`), so a backfill run again after a
 * crash creates only what is missing, and dates the scheduler already ran are not run twice.
 * `rerunFailed` clears the failed runs of the range so they run again.
 */
import { createHash } from 'node:crypto';
import { TributaryError } from '../errors.ts';
import { runKey, type Orchestrator } from './create-orchestrator.ts';
import { findGraph } from './define.ts';
import type { Graph, TriggerOptions } from './orchestrator.ts';
import { fireTimes } from './schedule.ts';

export interface BackfillOptions {
  /** First logical date (inclusive). */
  from?: Date;
  /** Last logical date (inclusive). */
  to?: Date;
  /** Partition keys instead of dates. */
  partitions?: readonly string[];
  /** Clear the range's failed (and cancelled) runs so they run again. */
  rerunFailed?: boolean;
  /** Most runs planned at once (default 100,000). */
  limit?: number;
}

export interface BackfillResult {
  /** Names the backfill; the same range gets the same id, so a resumed one is found again. */
  id: string;
  planned: number;
  created: number;
  rerun: number;
  dispatched: number;
}

const DAY = 86_400_000;

/** The runs a backfill covers: by partition, by the graph's schedule, or daily (UTC) without one. */
export function planBackfill(g: Graph<unknown>, options: BackfillOptions): TriggerOptions[] {
  const limit = options.limit ?? 100_000;
  if (options.partitions) {
    if (options.partitions.length > limit) throw new TributaryError('CLI_USAGE', `backfill of ${options.partitions.length} partitions is over the limit of ${limit}`);
    return options.partitions.map((partition) => ({ partition, trigger: 'backfill' as const }));
  }
  const { from, to } = options;
  if (!from || !to || Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw new TributaryError('CLI_USAGE', 'backfill needs --from and --to dates, or partitions');
  if (to < from) throw new TributaryError('CLI_USAGE', `backfill --to ${to.toISOString()} is before --from ${from.toISOString()}`);
  const times = g.schedule ? fireTimes(g.schedule) : { latest: (ms: number) => Math.floor(ms / DAY) * DAY, next: (ms: number) => (Math.floor(ms / DAY) + 1) * DAY };
  const out: TriggerOptions[] = [];
  let start = times.latest(from.getTime()) === from.getTime() ? from.getTime() : times.next(from.getTime());
  while (start !== undefined && start <= to.getTime()) {
    const end = times.next(start);
    if (end === undefined) break;
    if (out.length >= limit) throw new TributaryError('CLI_USAGE', `backfill from ${from.toISOString()} to ${to.toISOString()} is over the limit of ${limit} runs`);
    out.push({ logicalDate: new Date(start), interval: { start: new Date(start), end: new Date(end) }, trigger: 'backfill' });
    start = end;
  }
  return out;
}

export function backfillId(graphId: string, options: BackfillOptions): string {
  if (options.partitions) return `${graphId}:partitions:${createHash('sha256').update(options.partitions.join('\n')).digest('hex').slice(0, 12)}`;
  return `${graphId}:${options.from?.toISOString()}..${options.to?.toISOString()}`;
}

export async function backfill(orchestrator: Orchestrator<never> | Orchestrator<unknown> | Orchestrator, graphId: string, options: BackfillOptions): Promise<BackfillResult> {
  const o = orchestrator as Orchestrator;
  const g = findGraph(o.graphs, graphId);
  const planned = planBackfill(g, options);
  const id = backfillId(graphId, options);
  const created = await o.createRuns(graphId, planned, { backfill: id });
  let rerun = 0;
  if (options.rerunFailed) {
    // By key, so failed runs of the range that the scheduler made are cleared too.
    const keys = new Set(planned.map((p) => runKey('backfill', p, '')));
    for (const status of ['failed', 'cancelled'] as const) {
      for (const run of await o.store.listRuns({ graph: graphId, status, limit: 1_000_000 })) if (keys.has(run.key) && (await o.retry(run.runId))) rerun++;
    }
  }
  const dispatched = await o.activate(graphId);
  return { id, planned: planned.length, created: created.length, rerun, dispatched };
}
