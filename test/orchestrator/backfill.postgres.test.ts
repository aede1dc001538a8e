/**
 * A backfill of 10,000 partitions of a no-op graph on 2 worker processes, on the real PostgreSQL:
 * both workers are SIGKILLed midway, the backfill is run again and new workers start; every
 * partition must end succeeded, with one successful attempt, and no lease left.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openPostgresRunStore } from '../../src/metadata/postgres/postgres-run-store.ts';
import { backfill } from '../../src/orchestrator/backfill.ts';
import { createOrchestrator } from '../../src/orchestrator/create-orchestrator.ts';
import { graph, task } from '../../src/orchestrator/define.ts';
import { createGraphileExecutor } from '../../src/orchestrator/postgres/graphile-executor.ts';
import { kill, sleep, spawnRole, type FaultProcess } from './fault-processes.ts';
import { freshSchema } from './support.ts';

const PARTITIONS = 10_000;
const LEASE_MS = 1500;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('backfill on PostgreSQL', () => {
  it('should run each of 10,000 partitions once to success on 2 workers, resuming after they are SIGKILLed midway', async () => {
    const db = freshSchema('orch_backfill');
    const env = { ORCH_URL: db.url, ORCH_SCHEMA: db.schema, ORCH_QUEUE: db.queueSchema, ORCH_SCENARIO: 'backfill', ORCH_LEASE_MS: String(LEASE_MS) };
    const procs: FaultProcess[] = [];
    cleanups.push(async () => {
      for (const p of procs) await kill(p);
      await db.drop();
    });
    const store = await openPostgresRunStore({ url: db.url, schema: db.schema });
    const g = graph({ id: 'noop-backfill', maxActiveRuns: 100_000, tasks: [task({ id: 'noop', run: () => undefined })] });
    const orchestrator = createOrchestrator({ graphs: [g], store, executor: createGraphileExecutor({ connectionString: db.url, schema: db.queueSchema }), leaseMs: LEASE_MS, redispatchAfterMs: LEASE_MS });
    cleanups.push(async () => {
      await orchestrator.stop();
      await store.close();
    });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    cleanups.push(() => client.end());
    const s = `"${db.schema}"`;
    const succeeded = async () => (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${s}.tributary_orch_runs WHERE status = 'succeeded'`)).rows[0]!.n;

    const partitions = Array.from({ length: PARTITIONS }, (_, i) => `p${String(i).padStart(5, '0')}`);
    const first = await backfill(orchestrator, 'noop-backfill', { partitions });
    expect(first).toMatchObject({ planned: PARTITIONS, created: PARTITIONS, dispatched: PARTITIONS });
    procs.push(spawnRole('worker', env), spawnRole('worker', env));
    await Promise.all(procs.map((p) => p.ready));
    const guard = Date.now() + 240_000;
    while ((await succeeded()) < PARTITIONS / 4) {
      if (Date.now() > guard) throw new Error(`workers never got a quarter done:\n${procs.map((p) => p.output()).join('\n')}`);
      await sleep(50);
    }
    for (const p of procs) await kill(p);
    const midway = await succeeded();
    expect(midway).toBeLessThan(PARTITIONS);

    const resumed = await backfill(orchestrator, 'noop-backfill', { partitions });
    expect(resumed).toMatchObject({ planned: PARTITIONS, created: 0 });
    procs.splice(0, procs.length, spawnRole('worker', env), spawnRole('worker', env));
    await Promise.all(procs.map((p) => p.ready));
    while ((await succeeded()) < PARTITIONS) {
      if (Date.now() > guard) throw new Error(`backfill did not finish: ${await succeeded()} of ${PARTITIONS}`);
      await orchestrator.sweep();
      await sleep(250);
    }
    process.stdout.write(`backfill: ${midway} partitions done when the workers were killed\n`);
    const runs = await client.query<{ n: number }>(`SELECT count(*)::int AS n, count(DISTINCT partition_key)::int AS p FROM ${s}.tributary_orch_runs`);
    expect(runs.rows[0]).toEqual({ n: PARTITIONS, p: PARTITIONS });
    const once = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${s}.tributary_orch_attempts WHERE status = 'succeeded'`);
    expect(once.rows[0]!.n).toBe(PARTITIONS);
    const twice = await client.query(`SELECT run_id FROM ${s}.tributary_orch_attempts WHERE status = 'succeeded' GROUP BY run_id, task_id HAVING count(*) > 1`);
    expect(twice.rows).toEqual([]);
    const leases = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${s}.tributary_orch_tasks WHERE status <> 'succeeded' OR lease_owner IS NOT NULL`);
    expect(leases.rows[0]!.n).toBe(0);
  }, 300_000);
});
