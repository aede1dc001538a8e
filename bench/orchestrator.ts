/**
 * The orchestrator benchmark (`npm run bench -- orchestrator`):
 * - chain-40: 40 no-op tasks in a line, one graph run end to end, embedded (SQLite + in-process)
 *   and on PostgreSQL (run store + graphile-worker, the worker in this process);
 * - fan-out: no-op tasks through the PostgreSQL queue with 2 worker processes and run history
 *   written; peer: graphile-worker alone with 2 worker processes in the same run;
 * - latency: trigger → task start, p50 / p99, on PostgreSQL (a worker in this process, LISTEN/NOTIFY);
 * - backfill-10k: plan and queue 10,000 partitions (runs and tasks inserted, jobs added).
 * PostgreSQL cases need TRIBUTARY_POSTGRES_URL (`scripts/services env`); each uses its own schemas, dropped after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openEmbeddedRunStore } from '../src/metadata/embedded/embedded-run-store.ts';
import { openPostgresRunStore } from '../src/metadata/postgres/postgres-run-store.ts';
import type { RunStore } from '../src/metadata/run-store.ts';
import { backfill } from '../src/orchestrator/backfill.ts';
import { createOrchestrator, type Orchestrator } from '../src/orchestrator/create-orchestrator.ts';
import { createInProcessExecutor } from '../src/orchestrator/in-process/in-process-executor.ts';
import { createGraphileExecutor } from '../src/orchestrator/postgres/graphile-executor.ts';
import { FAN_OUT_WIDTH, benchGraphs } from './orchestrator-graphs.ts';

const here = import.meta.dirname;
const seconds = (start: number) => Number(((performance.now() - start) / 1000).toFixed(3));

function spawnReady(script: string, args: string[]): { child: ChildProcess; ready: Promise<void>; lines: string[] } {
  const child = spawn(process.execPath, [path.join(here, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (lines.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { child, ready, lines };
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(children.map(async (c) => {
    if (c.exitCode !== null) return;
    const exited = once(c, 'exit');
    c.kill('SIGTERM');
    await exited;
  }));
}

async function chainEmbedded(): Promise<object> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tributary-bench-orch-'));
  const store = await openEmbeddedRunStore({ file: path.join(dir, 'metadata.sqlite') });
  const o = createOrchestrator({ graphs: benchGraphs, store, executor: createInProcessExecutor() });
  await o.start();
  const result = await timeChain(o);
  await o.stop();
  await store.close();
  await rm(dir, { recursive: true, force: true });
  return { case: 'chain-40', backend: 'embedded', ...result, targetSeconds: 0.5 };
}

async function timeChain(o: Orchestrator): Promise<{ seconds: number; warmSeconds: number }> {
  const cold = performance.now();
  await o.waitForRun((await o.trigger('chain-40'))!.runId, { pollMs: 1000 });
  const coldSeconds = seconds(cold);
  const warm = performance.now();
  await o.waitForRun((await o.trigger('chain-40'))!.runId, { pollMs: 1000 });
  return { seconds: coldSeconds, warmSeconds: seconds(warm) };
}

interface Pg {
  url: string;
  schema: string;
  queue: string;
  store: RunStore;
  drop(): Promise<void>;
}

async function pgSetup(url: string, name: string): Promise<Pg> {
  const schema = `bench_${name}_${randomBytes(3).toString('hex')}`;
  const store = await openPostgresRunStore({ url, schema, maxConnections: 8 });
  return {
    url, schema, queue: `${schema}_q`, store,
    async drop() {
      await store.close();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.query(`DROP SCHEMA IF EXISTS "${schema}_q" CASCADE`);
      await client.end();
    },
  };
}

async function chainPostgres(url: string): Promise<object> {
  const db = await pgSetup(url, 'chain');
  const o = createOrchestrator({ graphs: benchGraphs, store: db.store, executor: createGraphileExecutor({ connectionString: url, schema: db.queue, concurrency: 4, pollIntervalMs: 100 }) });
  await o.start();
  const result = await timeChain(o);
  await o.stop();
  await db.drop();
  return { case: 'chain-40', backend: 'postgres', ...result, targetSeconds: 2 };
}

async function latency(url: string, samples: number): Promise<object> {
  const db = await pgSetup(url, 'latency');
  const executor = createGraphileExecutor({ connectionString: url, schema: db.queue, concurrency: 4, pollIntervalMs: 100 });
  const starts = new Map<string, number>();
  const o = createOrchestrator({ graphs: benchGraphs, store: db.store, executor, onEvent: (e) => void (e.type === 'orchestrator:attempt:started' && starts.set(e.ref.runId, performance.now())) });
  await o.start();
  const ms: number[] = [];
  for (let i = 0; i < samples + 5; i++) {
    const t0 = performance.now();
    const run = (await o.trigger('single'))!;
    await o.waitForRun(run.runId, { pollMs: 1000 });
    if (i >= 5) ms.push(starts.get(run.runId)! - t0);
  }
  await o.stop();
  await db.drop();
  ms.sort((a, b) => a - b);
  const q = (p: number) => Number(ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!.toFixed(2));
  return { case: 'latency', backend: 'postgres', samples, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: q(1), targetP99Ms: 20 };
}

async function fanOut(url: string, runs: number, graphId: 'fan-out' | 'single'): Promise<object> {
  const db = await pgSetup(url, 'fanout');
  const tasks = runs * (graphId === 'fan-out' ? FAN_OUT_WIDTH + 1 : 1);
  const o = createOrchestrator({ graphs: benchGraphs, store: db.store, executor: createGraphileExecutor({ connectionString: url, schema: db.queue }) });
  // Tables and the queue exist before the workers start.
  await o.createRuns('single', []);
  await o.sweep();
  const workers = [0, 1].map(() => spawnReady('orchestrator-worker.ts', [url, db.schema, db.queue, '512', '1000']));
  await Promise.all(workers.map((w) => w.ready));
  const start = performance.now();
  await o.createRuns(graphId, Array.from({ length: runs }, (_, i) => ({ partition: `p${i}`, trigger: 'backfill' as const })));
  await o.activate(graphId);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  for (;;) {
    const r = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${db.schema}".tributary_orch_runs WHERE status = 'succeeded'`);
    if (r.rows[0]!.n >= runs) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const took = seconds(start);
  const attempts = (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${db.schema}".tributary_orch_attempts WHERE status = 'succeeded'`)).rows[0]!.n;
  await client.end();
  await stopAll(workers.map((w) => w.child));
  await o.stop();
  await db.drop();
  const peer = await graphileAlone(url, tasks);
  const tasksPerSec = Math.round(tasks / took);
  return { case: graphId === 'fan-out' ? 'fan-out' : 'fan-out-single', graph: graphId, backend: 'postgres', workers: 2, runs, tasks, attemptsRecorded: attempts, seconds: took, tasksPerSec, peer, ratioToPeer: Number((tasksPerSec / peer.jobsPerSec).toFixed(3)), targetTasksPerSec: 5000 };
}

async function graphileAlone(url: string, jobs: number): Promise<{ name: string; jobs: number; seconds: number; jobsPerSec: number }> {
  const { makeWorkerUtils, Logger } = await import('graphile-worker');
  const schema = `bench_peer_${randomBytes(3).toString('hex')}`;
  const utils = await makeWorkerUtils({ connectionString: url, schema, logger: new Logger(() => () => undefined) });
  await utils.migrate();
  const workers = [0, 1].map(() => spawnReady('orchestrator-peer-worker.ts', [url, schema, '16', '200']));
  await Promise.all(workers.map((w) => w.ready));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const start = performance.now();
  for (let i = 0; i < jobs; i += 5000) await utils.addJobs(Array.from({ length: Math.min(5000, jobs - i) }, () => ({ identifier: 'noop', payload: {} })));
  for (;;) {
    const r = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}"._private_jobs`);
    if (r.rows[0]!.n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const took = seconds(start);
  await stopAll(workers.map((w) => w.child));
  await utils.release();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
  return { name: 'graphile-worker alone, 2 processes × 16, localQueue 200', jobs, seconds: took, jobsPerSec: Math.round(jobs / took) };
}

async function backfill10k(url: string | undefined): Promise<object[]> {
  const out: object[] = [];
  const partitions = Array.from({ length: 10_000 }, (_, i) => `p${String(i).padStart(5, '0')}`);
  {
    const dir = await mkdtemp(path.join(tmpdir(), 'tributary-bench-orch-'));
    const store = await openEmbeddedRunStore({ file: path.join(dir, 'metadata.sqlite') });
    const o = createOrchestrator({ graphs: benchGraphs, store, executor: createInProcessExecutor() });
    const start = performance.now();
    const result = await backfill(o, 'single', { partitions });
    out.push({ case: 'backfill-10k', backend: 'embedded', ...result, seconds: seconds(start), targetSeconds: 2 });
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
  if (url) {
    const db = await pgSetup(url, 'backfill');
    const executor = createGraphileExecutor({ connectionString: url, schema: db.queue });
    await executor.utils();
    // Where the time goes: inserting runs and tasks, starting the runs, adding the jobs.
    const spent = { createRuns: 0, activateRuns: 0, addJobs: 0 };
    const timed = <A extends unknown[], R>(key: keyof typeof spent, fn: (...a: A) => Promise<R>) => async (...a: A) => {
      const t = performance.now();
      try {
        return await fn(...a);
      } finally {
        spent[key] += (performance.now() - t) / 1000;
      }
    };
    const store = { ...db.store, backend: db.store.backend, createRuns: timed('createRuns', db.store.createRuns.bind(db.store)), activateRuns: timed('activateRuns', db.store.activateRuns.bind(db.store)) } as RunStore;
    for (const name of ['mutateRuns', 'mutateRun', 'renewLease', 'expiredLeases', 'staleQueued', 'graphsWithQueuedRuns', 'latestLogical', 'listRuns', 'runDetail', 'close'] as const) {
      (store as unknown as Record<string, unknown>)[name] = (db.store[name] as (...a: unknown[]) => unknown).bind(db.store);
    }
    const o = createOrchestrator({ graphs: benchGraphs, store, executor: { ...executor, dispatch: timed('addJobs', executor.dispatch.bind(executor)) } });
    const start = performance.now();
    const result = await backfill(o, 'single', { partitions });
    const split = Object.fromEntries(Object.entries(spent).map(([k, v]) => [`${k}Seconds`, Number(v.toFixed(3))]));
    out.push({ case: 'backfill-10k', backend: 'postgres', ...result, seconds: seconds(start), ...split, targetSeconds: 2 });
    await o.stop();
    await db.drop();
  }
  return out;
}

export async function run(args: Record<string, string | boolean | undefined>): Promise<object> {
  const url = process.env.TRIBUTARY_POSTGRES_URL;
  const only = typeof args.case === 'string' ? args.case : undefined;
  const want = (name: string) => only === undefined || only === name;
  const cases: object[] = [];
  if (want('chain-40')) cases.push(await chainEmbedded());
  if (want('chain-40') && url) cases.push(await chainPostgres(url));
  if (want('latency') && url) cases.push(await latency(url, Number(args.records ?? 200)));
  if (want('backfill-10k')) cases.push(...(await backfill10k(url)));
  if (want('fan-out') && url) cases.push(await fanOut(url, Number(args.rows ?? 200), 'fan-out'));
  if (want('fan-out-single') && url) cases.push(await fanOut(url, Number(args.rows ?? 200) * (FAN_OUT_WIDTH + 1), 'single'));
  return { bench: 'orchestrator', postgres: url !== undefined, cases };
}
