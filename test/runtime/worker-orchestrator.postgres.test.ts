/**
 * `tributary worker` on PostgreSQL metadata: two worker processes share a pipeline's scheduled graph
 * through the graphile-worker queue, one of them scheduling. One is SIGKILLed while it holds a lease;
 * the other takes over the scheduling and the lost attempt (once its lease expires). Every interval
 * must then have one run that succeeded, each task one recorded success, and no lease may be left.
 */
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cli, tempDir } from '../support/cli.ts';
import { endpoint, uniqueName } from '../support/services.ts';
import { startCliProcess, type WorkerProcess } from '../support/worker-process.ts';

const TICKER = path.resolve(import.meta.dirname, 'fixtures/ticker-pipeline.ts');
const LEASE_MS = 1500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('tributary worker with the orchestrator on PostgreSQL', () => {
  it('should run every interval of a scheduled graph once to success on 2 workers while one is SIGKILLed midway, leaving no lease', { timeout: 240_000 }, async () => {
    const url = endpoint('TRIBUTARY_POSTGRES_URL');
    const schema = uniqueName('orch_worker');
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    onTestFinished(async () => {
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.query(`DROP SCHEMA IF EXISTS "${schema}_queue" CASCADE`);
      await db.end();
    });
    const s = `"${schema}"`;
    const count = async (sql: string, values: unknown[] = []) => (await db.query<{ n: number }>(sql, values).catch(() => ({ rows: [{ n: 0 }] }))).rows[0]!.n;

    const cwd = await tempDir();
    const startMs = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    const env = {
      TICK_START_MS: String(startMs),
      TRIBUTARY_METADATA_BACKEND: 'postgres',
      TRIBUTARY_POSTGRES_URL: url,
      TRIBUTARY_POSTGRES_SCHEMA: schema,
      TRIBUTARY_ORCHESTRATOR_LEASE_MS: String(LEASE_MS),
      TRIBUTARY_ORCHESTRATOR_SWEEP_MS: '250',
    };
    const worker = () => startCliProcess(['worker', TICKER, '--log-level', 'warn'], env, cwd);
    const ready = /worker (\d+): no stream jobs; 1 graphs on the postgres orchestrator \(worker (\S+)\)/;
    // The first one creates the tables and the queue's schema; the second starts once it has.
    const first = worker();
    await first.seen(ready, 90_000);
    const second = worker();
    await second.seen(ready, 90_000);
    const workers = [first, second];
    const idOf = (w: WorkerProcess) => ready.exec(w.output().stdout)![2]!;

    const deadline = (ms: number, what: string) => {
      const at = Date.now() + ms;
      return () => {
        if (Date.now() > at) throw new Error(`timed out waiting for ${what}; outputs:\n${workers.map((w) => JSON.stringify(w.output())).join('\n')}`);
      };
    };
    const check1 = deadline(90_000, 'three succeeded runs, with attempts succeeded on both workers');
    const bothWorked = async () => (await count(`SELECT count(DISTINCT worker)::int AS n FROM ${s}.tributary_orch_attempts WHERE status = 'succeeded'`)) === 2;
    while ((await count(`SELECT count(*)::int AS n FROM ${s}.tributary_orch_runs WHERE status = 'succeeded'`)) < 3 || !(await bothWorked())) {
      check1();
      await sleep(100);
    }

    // Midway: the worker that has just started an attempt (each takes 400 ms) is killed while it holds the lease.
    let victim: WorkerProcess | undefined;
    const check2 = deadline(30_000, 'an attempt that has just started');
    while (!victim) {
      check2();
      const leased = await db.query<{ owner: string }>(`SELECT lease_owner AS owner FROM ${s}.tributary_orch_tasks WHERE status = 'running' AND started_ms > $1`, [Date.now() - 150]);
      victim = workers.find((w) => leased.rows.some((r) => r.owner === idOf(w)));
      if (!victim) await sleep(20);
    }
    victim.kill('SIGKILL');
    await victim.exited;
    const survivor = workers.find((w) => w !== victim)!;
    const killedAt = Date.now();

    // The survivor leads now, expires the lease, retries the lost task, and keeps making a run per second.
    const endMs = Math.ceil((killedAt + 4000) / 1000) * 1000;
    const intervals = (endMs - startMs) / 1000;
    const check3 = deadline(120_000, `the ${intervals} runs before ${new Date(endMs).toISOString()} to succeed`);
    while ((await count(`SELECT count(*)::int AS n FROM ${s}.tributary_orch_runs WHERE status = 'succeeded' AND logical_ms < $1`, [endMs])) < intervals) {
      check3();
      await sleep(200);
    }
    survivor.kill('SIGTERM');
    expect(await survivor.exited).toBe(0);

    const runs = (await db.query<{ key: string; logical: string; status: string }>(`SELECT run_key AS key, logical_ms::text AS logical, status FROM ${s}.tributary_orch_runs WHERE logical_ms < $1 ORDER BY logical_ms`, [endMs])).rows;
    expect(runs.map((r) => Number(r.logical))).toEqual(Array.from({ length: intervals }, (_, i) => startMs + i * 1000));
    expect(new Set(runs.map((r) => r.key)).size).toBe(intervals);
    expect(runs.filter((r) => r.status !== 'succeeded')).toEqual([]);
    // Every task of every run (of the whole history, later runs included) succeeded at most once, and those before endMs exactly once.
    const twice = await db.query(`SELECT run_id, task_id, count(*)::int AS n FROM ${s}.tributary_orch_attempts WHERE status = 'succeeded' GROUP BY run_id, task_id HAVING count(*) > 1`);
    expect(twice.rows).toEqual([]);
    const successes = await count(`SELECT count(*)::int AS n FROM ${s}.tributary_orch_attempts a JOIN ${s}.tributary_orch_runs r USING (run_id) WHERE a.status = 'succeeded' AND r.logical_ms < $1`, [endMs]);
    expect(successes).toBe(intervals * 2);
    // The killed worker's attempt was found by its lease, failed as such, and run again by the survivor.
    const expired = await db.query<{ worker: string }>(`SELECT worker FROM ${s}.tributary_orch_attempts WHERE error_code = 'ORCHESTRATOR_LEASE_EXPIRED'`);
    expect(expired.rows.map((r) => r.worker)).toContain(idOf(victim));
    // Both workers ran attempts; nothing is left running or leased.
    const by = await db.query<{ worker: string }>(`SELECT DISTINCT worker FROM ${s}.tributary_orch_attempts WHERE status = 'succeeded'`);
    expect(by.rows.map((r) => r.worker).sort()).toEqual([idOf(first), idOf(second)].sort());
    expect(await count(`SELECT count(*)::int AS n FROM ${s}.tributary_orch_tasks WHERE status = 'running' OR lease_owner IS NOT NULL OR lease_expires_ms IS NOT NULL`)).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM ${s}.tributary_orch_attempts WHERE status = 'running'`)).toBe(0);

    // tributary runs reads the same history from PostgreSQL, the lost attempt included.
    const listed = await cli(['runs', '--graph', 'ticker.tick', '--status', 'succeeded', '--limit', '1000'], { cwd, env });
    expect(listed.code).toBe(0);
    expect(listed.stdout.trim().split('\n').length - 1).toBeGreaterThanOrEqual(intervals);
    const lost = await db.query<{ run_id: string }>(`SELECT run_id FROM ${s}.tributary_orch_attempts WHERE error_code = 'ORCHESTRATOR_LEASE_EXPIRED' LIMIT 1`);
    const shown = await cli(['runs', 'show', lost.rows[0]!.run_id], { cwd, env });
    expect(shown.stdout).toMatch(new RegExp(`attempt \\d+ \\(failed, worker ${idOf(victim).replaceAll('.', '\\.')}, ORCHESTRATOR_LEASE_EXPIRED\\)`));
    expect(shown.stdout).toContain('status    succeeded');
  });
});
