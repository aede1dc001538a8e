/**
 * The CLI's side of run-routes.ts: the run history and the run commands of a running process
 * (`tributary dev`) through its local API, with the ISO times of the JSON turned back into Dates.
 * It has the shape of the part of the orchestrator the run commands use (`RunsService`), so
 * `tributary runs` works the same on a store opened here and through a running process.
 */
import { TributaryError } from '../../errors.ts';
import type { BackfillOptions, BackfillResult } from '../../orchestrator/backfill.ts';
import type { AttemptRecord, RunDetail, RunRecord, RunStatus, TaskRecord, TriggerOptions } from '../../orchestrator/orchestrator.ts';
import type { ApiClient } from './api-client.ts';

/** What the run commands ask of an orchestrator, here or in a running process. */
export interface RunsService {
  listRuns(filter: { graph?: string; status?: RunStatus; limit?: number }): Promise<RunRecord[]>;
  runDetail(runId: string): Promise<RunDetail | undefined>;
  trigger(graphId: string, options: Pick<TriggerOptions, 'logicalDate' | 'partition' | 'params'>): Promise<RunRecord | undefined>;
  retry(runId: string): Promise<boolean>;
  cancel(runId: string): Promise<boolean>;
  backfill(graphId: string, options: BackfillOptions): Promise<BackfillResult>;
  waitForRun(runId: string, options?: { pollMs?: number; signal?: AbortSignal }): Promise<RunRecord>;
}

type Wire<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | undefined ? string | undefined : T[K] extends { start: Date; end: Date } | undefined ? { start: string; end: string } | undefined : T[K] };

const asDate = (s: string | undefined) => (s === undefined ? undefined : new Date(s));

function dates<T extends object>(o: T, keys: readonly string[]): T {
  const out = { ...o } as Record<string, unknown>;
  for (const k of keys) if (typeof out[k] === 'string') out[k] = asDate(out[k]);
  return out as T;
}

export function runFromWire(w: Wire<RunRecord>): RunRecord {
  const run = dates(w as unknown as RunRecord, ['logicalDate', 'created', 'started', 'finished']);
  return w.interval ? { ...run, interval: { start: new Date(w.interval.start), end: new Date(w.interval.end) } } : run;
}

export function detailFromWire(w: { run: Wire<RunRecord>; tasks: Wire<TaskRecord>[]; attempts: Wire<AttemptRecord>[] }): RunDetail {
  return {
    run: runFromWire(w.run),
    tasks: w.tasks.map((t) => dates(t as unknown as TaskRecord, ['runAt', 'leaseExpires', 'started', 'finished'])),
    attempts: w.attempts.map((a) => dates(a as unknown as AttemptRecord, ['started', 'finished'])),
  };
}

const enc = encodeURIComponent;
const isTerminal = (s: RunStatus) => s === 'succeeded' || s === 'failed' || s === 'cancelled';

export function remoteRuns(client: ApiClient): RunsService {
  const runDetail = async (runId: string): Promise<RunDetail | undefined> => {
    try {
      return detailFromWire(await client.get(`/api/runs/${enc(runId)}`));
    } catch (error) {
      if (error instanceof TributaryError && error.code === 'ORCHESTRATOR_RUN_NOT_FOUND') return undefined;
      throw error;
    }
  };
  return {
    async listRuns(filter) {
      const q = new URLSearchParams();
      if (filter.graph !== undefined) q.set('graph', filter.graph);
      if (filter.status !== undefined) q.set('status', filter.status);
      if (filter.limit !== undefined) q.set('limit', String(Math.min(1000, filter.limit)));
      const { runs } = await client.get<{ runs: Wire<RunRecord>[] }>(`/api/runs?${q.toString()}`);
      return runs.map(runFromWire);
    },
    runDetail,
    async trigger(graphId, options) {
      const payload = {
        ...(options.logicalDate ? { date: options.logicalDate.toISOString() } : {}),
        ...(options.partition === undefined ? {} : { partition: options.partition }),
        ...(options.params ? { params: options.params } : {}),
      };
      const { run } = await client.send<{ run: Wire<RunRecord> | null }>('POST', `/api/graphs/${enc(graphId)}/runs`, payload);
      return run ? runFromWire(run) : undefined;
    },
    retry: async (runId) => (await client.send<{ retried: boolean }>('POST', `/api/runs/${enc(runId)}/retry`)).retried,
    cancel: async (runId) => (await client.send<{ cancelled: boolean }>('POST', `/api/runs/${enc(runId)}/cancel`)).cancelled,
    backfill: (graphId, options) =>
      client.send<BackfillResult>('POST', `/api/graphs/${enc(graphId)}/backfill`, {
        ...(options.partitions ? { partitions: options.partitions } : {}),
        ...(options.from ? { from: options.from.toISOString() } : {}),
        ...(options.to ? { to: options.to.toISOString() } : {}),
        ...(options.rerunFailed ? { rerunFailed: true } : {}),
      }),
    async waitForRun(runId, options = {}) {
      const pollMs = options.pollMs ?? 250;
      for (;;) {
        const detail = await runDetail(runId);
        if (!detail) throw new TributaryError('ORCHESTRATOR_RUN_NOT_FOUND', `no run ${runId}`);
        if (isTerminal(detail.run.status)) return detail.run;
        if (options.signal?.aborted) throw options.signal.reason as Error;
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    },
  };
}
