/**
 * The run store on PostgreSQL (node-postgres): three tables in `<schema>`, `tributary_orch_runs`,
 * `tributary_orch_tasks` and `tributary_orch_attempts`, one SQL operation per file in `runs/`.
 * Values travel as bind parameters; the schema name is checked against a strict pattern and quoted.
 */
import type { Pool } from 'pg';
import { TributaryError, isTributaryError } from '../../errors.ts';
import type { AttemptRef, RunDetail, RunRecord, RunTrigger } from '../../orchestrator/orchestrator.ts';
import { mutateOneRun, type ExpiredLease, type MutateTools, type NewRun, type RunActivity, type RunFilter, type RunMutation, type RunSnapshot, type RunsMutation, type RunStore } from '../run-store.ts';
import { activateRuns } from './runs/activate-runs.ts';
import { createRuns } from './runs/create-runs.ts';
import { expiredLeases } from './runs/expired-leases.ts';
import { graphsWithQueuedRuns, runActivity } from './runs/graphs-with-queued-runs.ts';
import { latestLogical } from './runs/latest-logical.ts';
import { listRuns } from './runs/list-runs.ts';
import { mutateRuns } from './runs/mutate-runs.ts';
import { migrateRunTables } from './runs/orch-schema.ts';
import { renewLease } from './runs/renew-lease.ts';
import { runDetail } from './runs/run-detail.ts';
import { staleQueued } from './runs/stale-queued.ts';

export interface PostgresRunStoreOptions {
  url: string;
  password?: string;
  schema?: string;
  /** Connections in the pool (default 4). */
  maxConnections?: number;
  connectTimeoutMs?: number;
}

const TRANSIENT = /^(08|53|57P0|40001|40P01)/;

function toError(error: unknown, operation: string): unknown {
  if (isTributaryError(error)) return error;
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const retryable = code === '' || code.startsWith('E') || TRANSIENT.test(code);
  return new TributaryError('METADATA_UNAVAILABLE', `postgres run store: ${operation} failed: ${String(e.message ?? error)}${code ? ` (${code})` : ''}`, { cause: error, retryable });
}

export async function openPostgresRunStore(options: PostgresRunStoreOptions): Promise<RunStore> {
  const schema = options.schema ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new TributaryError('CONFIG_INVALID', `postgres run store: schema ${JSON.stringify(schema)} must be a lower-case identifier`);
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 4,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    ...(options.password === undefined ? {} : { password: options.password }),
  });
  pool.on('error', () => undefined);
  try {
    await migrateRunTables(pool, `"${schema}"`);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw toError(error, 'open');
  }
  return new PostgresRunStore(pool, `"${schema}"`);
}

class PostgresRunStore implements RunStore {
  readonly backend = 'postgres';
  private closed = false;
  private readonly pool: Pool;
  private readonly s: string;

  constructor(pool: Pool, s: string) {
    this.pool = pool;
    this.s = s;
  }

  private async call<T>(operation: string, fn: (pool: Pool, s: string) => Promise<T>): Promise<T> {
    if (this.closed) throw new TributaryError('METADATA_CLOSED', `postgres run store: ${operation} after close`);
    try {
      return await fn(this.pool, this.s);
    } catch (error) {
      throw toError(error, operation);
    }
  }

  createRuns(runs: readonly NewRun[]): Promise<RunRecord[]> {
    return this.call('createRuns', (pool, s) => createRuns(pool, s, runs));
  }
  activateRuns(graph: string, maxActive: number, nowMs: number): Promise<AttemptRef[]> {
    return this.call('activateRuns', (pool, s) => activateRuns(pool, s, graph, maxActive, nowMs));
  }
  mutateRun<T>(runId: string, decide: (snapshot: RunSnapshot, tools: MutateTools) => Promise<RunMutation<T>> | RunMutation<T>): Promise<T | undefined> {
    return mutateOneRun(this, runId, decide);
  }
  mutateRuns<T>(
    runIds: readonly string[],
    decide: (snapshots: ReadonlyMap<string, RunSnapshot>, tools: MutateTools) => Promise<RunsMutation<T>> | RunsMutation<T>,
    options: { skipLocked?: boolean } = {},
  ): Promise<T> {
    return this.call('mutateRuns', (pool, s) => mutateRuns(pool, s, runIds, decide, options.skipLocked));
  }
  renewLease(ref: AttemptRef, owner: string, expiresMs: number): Promise<boolean> {
    return this.call('renewLease', (pool, s) => renewLease(pool, s, ref, owner, expiresMs));
  }
  expiredLeases(nowMs: number, limit: number): Promise<ExpiredLease[]> {
    return this.call('expiredLeases', (pool, s) => expiredLeases(pool, s, nowMs, limit));
  }
  staleQueued(beforeMs: number, limit: number): Promise<AttemptRef[]> {
    return this.call('staleQueued', (pool, s) => staleQueued(pool, s, beforeMs, limit));
  }
  graphsWithQueuedRuns(): Promise<string[]> {
    return this.call('graphsWithQueuedRuns', (pool, s) => graphsWithQueuedRuns(pool, s));
  }
  activity(nowMs: number): Promise<RunActivity> {
    return this.call('activity', (pool, s) => runActivity(pool, s, nowMs));
  }
  latestLogical(graph: string, trigger: RunTrigger): Promise<number | undefined> {
    return this.call('latestLogical', (pool, s) => latestLogical(pool, s, graph, trigger));
  }
  listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.call('listRuns', (pool, s) => listRuns(pool, s, filter));
  }
  runDetail(runId: string): Promise<RunDetail | undefined> {
    return this.call('runDetail', (pool, s) => runDetail(pool, s, runId));
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
