/**
 * Exactly once under faults, on the real PostgreSQL: a 1-second cron while two schedulers and two
 * workers are SIGKILLed and restarted at random. Every logical date must have one run, run to
 * success once, with no gap, and no lease may be left. Each seed's plan of faults is printed; replay
 * one with TRIBUTARY_FAULT_SEED=<seed>. TRIBUTARY_FAULT_SEEDS (default 20) and
 * TRIBUTARY_FAULT_SECONDS (default 4; the issue's soak is 60) size the run.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openPostgresRunStore } from '../../src/metadata/postgres/postgres-run-store.ts';
import type { RunStore } from '../../src/metadata/run-store.ts';
import { createOrchestrator } from '../../src/orchestrator/create-orchestrator.ts';
import { graph, task } from '../../src/orchestrator/define.ts';
import { createGraphileExecutor } from '../../src/orchestrator/postgres/graphile-executor.ts';
import { kill, seeded, sleep, spawnRole, type FaultProcess } from './fault-processes.ts';
import { freshSchema } from './support.ts';

const replay = process.env.TRIBUTARY_FAULT_SEED;
const count = Number(process.env.TRIBUTARY_FAULT_SEEDS ?? 20);
const seconds = Number(process.env.TRIBUTARY_FAULT_SECONDS ?? 4);
const base = Math.floor(Math.random() * 1e9);
const seeds = replay !== undefined ? [Number(replay)] : Array.from({ length: count }, (_, i) => base + i);
const LEASE_MS = 1500;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('exactly once under faults', () => {
  it.each(seeds)('should run every logical date of a 1-second cron once to success while processes are SIGKILLed (seed %i)', async (seed) => {
    process.stdout.write(`exactly-once: seed ${seed} (replay with TRIBUTARY_FAULT_SEED=${seed})\n`);
    const random = seeded(seed);
    const db = freshSchema('orch_faults');
    const startMs = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    const env = { ORCH_URL: db.url, ORCH_SCHEMA: db.schema, ORCH_QUEUE: db.queueSchema, ORCH_SCENARIO: 'cron', ORCH_START_MS: String(startMs), ORCH_LEASE_MS: String(LEASE_MS) };
    const procs: FaultProcess[] = [];
    cleanups.push(async () => {
      for (const p of procs) await kill(p);
      await db.drop();
    });
    // The first one migrates the tables; the others start once it has.
    procs.push(spawnRole('worker', env));
    await procs[0]!.ready;
    procs.push(spawnRole('worker', env), spawnRole('scheduler', env), spawnRole('scheduler', env));
    await Promise.all(procs.map((p) => p.ready));

    const faultsEnd = Date.now() + seconds * 1000;
    let kills = 0;
    while (Date.now() < faultsEnd) {
      await sleep(150 + random() * 450);
      const index = Math.floor(random() * procs.length);
      const victim = procs[index]!;
      await kill(victim);
      kills++;
      await sleep(random() * 300);
      procs[index] = spawnRole(victim.role, env);
    }
    await Promise.all(procs.map((p) => p.ready));
    // Under load the restarted schedulers may still be catching up on the last intervals: let them
    // create a run for every interval of the fault window before they stop (catchup makes them).
    {
      const probe = new pg.Client({ connectionString: db.url });
      await probe.connect();
      try {
        const guard = Date.now() + 60_000;
        for (;;) {
          const made = await probe.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${db.schema}".tributary_orch_runs`).catch(() => ({ rows: [{ n: 0 }] }));
          if (made.rows[0]!.n >= seconds) break;
          if (Date.now() > guard) throw new Error(`the schedulers made ${made.rows[0]!.n} runs of ${seconds} in 60 s`);
          await sleep(200);
        }
      } finally {
        await probe.end();
      }
    }
    // Stop scheduling; sweep from here (expired leases of killed workers) until every run has ended.
    for (const p of procs.filter((x) => x.role === 'scheduler')) await kill(p);
    const store: RunStore = await openPostgresRunStore({ url: db.url, schema: db.schema });
    const sweeper = createOrchestrator({
      graphs: [graph({ id: 'every-second', tasks: [task({ id: 'extract', run: () => undefined }), task({ id: 'load', after: ['extract'], run: () => undefined })] })],
      store, executor: createGraphileExecutor({ connectionString: db.url, schema: db.queueSchema }), leaseMs: LEASE_MS, redispatchAfterMs: LEASE_MS,
    });
    cleanups.push(async () => {
      await sweeper.stop();
      await store.close();
    });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    cleanups.push(() => client.end());
    const s = `"${db.schema}"`;
    const hangGuard = Date.now() + 60_000;
    for (;;) {
      const open = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${s}.tributary_orch_runs WHERE status NOT IN ('succeeded', 'failed', 'cancelled')`);
      if (open.rows[0]!.n === 0) break;
      if (Date.now() > hangGuard) throw new Error(`runs still open after 60 s: ${JSON.stringify((await client.query(`SELECT run_key, status FROM ${s}.tributary_orch_runs WHERE status <> 'succeeded' ORDER BY logical_ms`)).rows)}`);
      await sweeper.sweep();
      await sleep(250);
    }
    for (const p of procs) await kill(p);

    const runs = (await client.query(`SELECT run_key, logical_ms::bigint AS logical, status FROM ${s}.tributary_orch_runs ORDER BY logical_ms`)).rows as { run_key: string; logical: string; status: string }[];
    const logical = runs.map((r) => Number(r.logical));
    process.stdout.write(`exactly-once: seed ${seed}: ${kills} kills, ${runs.length} logical dates\n`);
    expect(runs.length).toBeGreaterThanOrEqual(seconds);
    expect(logical[0]).toBe(startMs);
    expect(logical.every((ms, i) => i === 0 || ms - logical[i - 1]! === 1000)).toBe(true);
    expect(new Set(runs.map((r) => r.run_key)).size).toBe(runs.length);
    expect(runs.filter((r) => r.status !== 'succeeded')).toEqual([]);
    const successes = await client.query(`SELECT run_id, task_id, count(*)::int AS n FROM ${s}.tributary_orch_attempts WHERE status = 'succeeded' GROUP BY run_id, task_id HAVING count(*) <> 1`);
    expect(successes.rows).toEqual([]);
    const perRun = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${s}.tributary_orch_attempts WHERE status = 'succeeded'`);
    expect(perRun.rows[0]!.n).toBe(runs.length * 2);
    const leases = await client.query(`SELECT run_id, task_id, status FROM ${s}.tributary_orch_tasks WHERE status <> 'succeeded' OR lease_owner IS NOT NULL OR lease_expires_ms IS NOT NULL`);
    expect(leases.rows).toEqual([]);
    const running = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${s}.tributary_orch_attempts WHERE status = 'running'`);
    expect(running.rows[0]!.n).toBe(0);
  });
});
