/**
 * The ingest API benchmark, over real HTTP on loopback against the embedded log (default fsync:
 * interval, 50 ms), server and clients in this one process.
 *
 * - `one-client`: one client posting one record per request, each after the last was answered:
 *   latency percentiles (what a lone producer sees).
 * - `concurrent-<n>`: n such clients at once: throughput, latency, and how well fsyncs are shared
 *   (records per datasync call; every datasync of the process is counted).
 * - `hostile-*`: a 1 MiB NDJSON body of `{}` lines (349,525 invalid records), with the default record
 *   limit and with the limit raised so every record is checked; meanwhile /health is asked every 5 ms
 *   from a worker thread. Reports the answer's time, /health's worst latency, the event loop's longest stall and the heap's
 *   growth. `hostile-4x800k`: four 800 KB bodies at once.
 *
 * `npm run bench -- ingest [--records N]` (N: requests of the one-client case, default 1000);
 * `node --max-old-space-size=384 bench/run.ts ingest` runs it on a small heap.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { configSchema } from '../src/config/schema.ts';
import { openEmbeddedLog } from '../src/log/embedded/embedded-log.ts';
import type { Log } from '../src/log/log.ts';
import { createLogger } from '../src/logger.ts';
import { ingestRoutes } from '../src/serve/ingest/ingest-routes.ts';
import type { TopicRegistry } from '../src/serve/ingest/topics.ts';
import { createServer, listen, serverPlugin } from '../src/serve/server.ts';

const topics: TopicRegistry = { clicks: { schema: z.object({ id: z.string().min(1), user: z.number().int() }), keyField: 'id' } };

interface Server {
  url: string;
  close(): Promise<void>;
}

async function startServer(dir: string, maxRecordsPerRequest?: number): Promise<Server> {
  const log: Log = await openEmbeddedLog({ dir, defaultPartitions: 4 });
  const server = { ...configSchema.parse({}).server, rateLimitMax: 0, ...(maxRecordsPerRequest === undefined ? {} : { maxRecordsPerRequest }) };
  const app = createServer({ server, logger: await createLogger({ level: 'silent' }), plugins: [serverPlugin(ingestRoutes, { log, topics, maxRecordsPerRequest: server.maxRecordsPerRequest })] });
  const url = await listen(app, '127.0.0.1', 0);
  return {
    url,
    close: async () => {
      await app.close();
      await log.close();
    },
  };
}

/** Counts FileHandle.datasync calls (the embedded log's fsyncs) while the returned stop() is not called. */
async function countDatasyncs(dir: string): Promise<{ count: () => number; stop: () => void }> {
  const handle = await open(path.join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(handle) as FileHandle;
  await handle.close();
  const original: (this: FileHandle) => Promise<void> = Reflect.get(proto, 'datasync');
  let calls = 0;
  proto.datasync = function (this: FileHandle) {
    calls++;
    return original.call(this);
  };
  return { count: () => calls, stop: () => (proto.datasync = original) };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

async function post(url: string, body: string, ndjson = false): Promise<number> {
  const response = await fetch(`${url}/ingest/clicks`, { method: 'POST', headers: { 'content-type': ndjson ? 'application/x-ndjson' : 'application/json' }, body });
  await response.arrayBuffer();
  return response.status;
}

async function clients(url: string, clientCount: number, requestsEach: number, dir: string): Promise<Record<string, unknown>> {
  const syncs = await countDatasyncs(dir);
  const latencies: number[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: clientCount }, async (_, c) => {
      for (let i = 0; i < requestsEach; i++) {
        const sent = performance.now();
        const status = await post(url, JSON.stringify({ id: `c${c}-${i}`, user: i }));
        if (status !== 202) throw new Error(`status ${status}`);
        latencies.push(performance.now() - sent);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const fsyncs = syncs.count();
  syncs.stop();
  latencies.sort((a, b) => a - b);
  const records = clientCount * requestsEach;
  return {
    case: clientCount === 1 ? 'one-client' : `concurrent-${clientCount}`,
    requests: records,
    requestsPerSec: Math.round(records / seconds),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(latencies.at(-1)!),
    fsyncs,
    recordsPerFsync: round(records / Math.max(1, fsyncs), 1),
  };
}

/** Asks /health every 5 ms from a worker thread, whose event loop the server's cannot hold up; stop() gives the latencies. */
function healthProber(url: string): { stop: () => Promise<number[]> } {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
    const latencies = [];
    let done = false;
    parentPort.once('message', () => (done = true));
    (async () => {
      while (!done) {
        const sent = performance.now();
        await (await fetch(workerData + '/health')).arrayBuffer();
        latencies.push(performance.now() - sent);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      parentPort.postMessage(latencies);
    })();`,
    { eval: true, workerData: url },
  );
  return {
    stop: async () => {
      const result = new Promise<number[]>((resolve) => worker.once('message', resolve));
      worker.postMessage('stop');
      const latencies = await result;
      await worker.terminate();
      return latencies;
    },
  };
}

/** Sends `bodies` at once while /health is asked every 5 ms; reports the answers and what the server's loop went through. */
async function hostile(name: string, url: string, bodies: string[]): Promise<Record<string, unknown>> {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const heapBefore = process.memoryUsage().heapUsed;
  let heapPeak = heapBefore;
  const heapSampler = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 10);
  const prober = healthProber(url);
  // Let the prober's first answers come back before the bodies are sent.
  await new Promise((resolve) => setTimeout(resolve, 200));
  loop.enable();
  const start = performance.now();
  const statuses = await Promise.all(bodies.map((body) => post(url, body, true).catch(() => 0)));
  const seconds = (performance.now() - start) / 1000;
  loop.disable();
  clearInterval(heapSampler);
  const health = (await prober.stop()).sort((a, b) => a - b);
  return {
    case: name,
    statuses,
    answeredAfterS: round(seconds),
    eventLoopMaxStallMs: round(loop.max / 1e6, 1),
    eventLoopP99StallMs: round(loop.percentile(99) / 1e6, 1),
    healthProbes: health.length,
    healthP50Ms: round(percentile(health, 50)),
    healthP99Ms: round(percentile(health, 99)),
    healthMaxMs: round(health.at(-1) ?? NaN),
    heapGrowthMb: Math.round((heapPeak - heapBefore) / 1e6),
  };
}

export async function run(args: Record<string, string | boolean | undefined>): Promise<object> {
  const requests = Number(args.records ?? 1000);
  const dir = await mkdtemp(path.join(tmpdir(), 'tributary-bench-ingest-'));
  const cases: Record<string, unknown>[] = [];
  try {
    const server = await startServer(path.join(dir, 'latency'));
    try {
      // Warm up the connection pool and the JIT before measuring.
      for (let i = 0; i < 50; i++) await post(server.url, JSON.stringify({ id: `warm-${i}`, user: i }));
      cases.push(await clients(server.url, 1, requests, dir));
      cases.push(await clients(server.url, 16, Math.max(50, Math.round(requests / 8)), dir));
      cases.push(await clients(server.url, 64, Math.max(25, Math.round(requests / 16)), dir));
    } finally {
      await server.close();
    }
    const oneMiB = '{}\n'.repeat(349_525);
    const limited = await startServer(path.join(dir, 'hostile-limited'));
    try {
      cases.push(await hostile('hostile-1MiB-default-limit', limited.url, [oneMiB]));
    } finally {
      await limited.close();
    }
    const open = await startServer(path.join(dir, 'hostile-open'), 1_000_000);
    try {
      cases.push(await hostile('hostile-1MiB-every-record-checked', open.url, [oneMiB]));
      const k800 = '{}\n'.repeat(Math.floor(800_000 / 3));
      cases.push(await hostile('hostile-4x800KB-every-record-checked', open.url, [k800, k800, k800, k800]));
    } finally {
      await open.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  // The machine's load while it ran: on a shared machine the latencies move with it.
  return { bench: 'ingest', node: process.version, heapLimitMb: Math.round(getHeapStatistics().heap_size_limit / 1e6), loadAverage1m: round(loadavg()[0]!, 1), cases };
}
