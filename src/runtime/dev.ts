/**
 * `tributary dev`: every part of the loaded pipelines in one process, on the areas the config names
 * (embedded by default):
 *
 *   sources (orchestrator graphs) ──► log ──┬─► stream jobs ──► sinks / real-time tables ─┐
 *   ingest API (POST /ingest/<topic>) ──►  └─► archiver ──► lake raw zone ──► batch jobs ─┴─► views (GET /query/<view>)
 *   services (emulators, custom loops); /metrics; the local API (/api/) that other commands use
 *
 * Lifecycle: the runtime opens every area; declared topics are created when missing; the server
 * listens and `<dataDir>/dev.json` tells other commands where; then every part starts. On the signal
 * (Ctrl-C, SIGTERM) or after `durationMs`, in order: sources, services and batch schedules stop; the
 * server stops taking requests; with `drain`, stream jobs read up to the end of their topics; stream
 * jobs and the archiver stop, committing what they hold; views close; the areas close. A restart
 * continues from what was committed: nothing is lost and nothing counted twice.
 */
import type { Writable } from 'node:stream';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import type { LoadedPipeline } from './load-pipelines.ts';
import type { DefinedPipeline } from './pipeline.ts';
import { startPipelineServer } from './pipeline-server.ts';
import { startOrchestration, type Orchestration, type OrchestrationOptions } from './orchestration.ts';
import { newStatus, startArchiver, startService, startStreamJob } from './run-parts.ts';
import { openRuntime, type Runtime } from './runtime.ts';
import { statusLines } from './status.ts';
import type { PartStatus } from './supervise.ts';

export interface DevOptions {
  config: Readonly<Config>;
  cwd: string;
  logger: Logger;
  pipelines: readonly LoadedPipeline[];
  /** Status lines: redrawn in place on a terminal, appended otherwise. */
  out: Writable & { isTTY?: boolean };
  signal?: AbortSignal;
  durationMs?: number;
  /** Overrides server.port; 0 picks a free one. */
  port?: number;
  /** Print the status this often; default 2000 ms; 0 prints only the first and the last. */
  statusMs?: number;
  /** Before stopping, let the stream jobs read to the end of their topics (at most this long). */
  drainMs?: number;
  /** Roll archived ranges this often; default 10 s in dev, so the raw zone fills while one watches. */
  archiveRollMs?: number;
  /** The orchestrator's settings in this process (lease, sweep, concurrency). */
  orchestration?: OrchestrationOptions;
  /** Called once the server listens, with its URL. */
  onReady?: (url: string) => void;
}

export interface DevSummary {
  url: string;
  elapsedMs: number;
  parts: PartStatus[];
}

export async function runDev(options: DevOptions): Promise<DevSummary> {
  const { config, logger } = options;
  const started = performance.now();
  const pipelines = options.pipelines.map((l) => l.pipeline);
  const runtime = await openRuntime(config, { cwd: options.cwd, logger, areas: ['log', 'metrics', 'state', 'lake', 'metadata'] });
  const parts: PartStatus[] = [];
  const stopParts = new AbortController();
  const stopJobs = new AbortController();
  const running: Promise<void>[] = [];
  const jobRuns: Promise<void>[] = [];
  let ticker: NodeJS.Timeout | undefined;
  let closeServer: (() => Promise<void>) | undefined;
  let orchestration: Orchestration | undefined;

  try {
    await createTopics(runtime, pipelines);
    // Sources and scheduled batch jobs are graphs: the orchestrator schedules and runs them, with their run history in the metadata store.
    orchestration = await startOrchestration(runtime, pipelines, (name) => runtime.context(name), options.orchestration);
    parts.push(...orchestration.parts);
    const orchestrator = orchestration;
    const server = await startPipelineServer(runtime, pipelines, {
      parts,
      orchestrator: orchestrator.orchestrator,
      statusExtra: () => ({ orchestrator: orchestrator.describe() }),
      ...(options.port === undefined ? {} : { port: options.port }),
    });
    closeServer = () => server.close();
    const url = server.url;
    options.onReady?.(url);
    const apiKey = config.server.apiKey;
    const serverInfo = { url, ...(apiKey === undefined ? {} : { apiKey }) };

    for (const loaded of options.pipelines) {
      const pipeline = loaded.pipeline;
      const ctx = runtime.context(pipeline.name, serverInfo);
      for (const job of pipeline.streamJobs) {
        const s = newStatus('stream-job', job.name, pipeline.name);
        parts.push(s);
        jobRuns.push(startStreamJob(runtime, job, s, stopJobs.signal));
      }
      for (const svc of pipeline.services) {
        const s = newStatus('service', svc.name, pipeline.name);
        parts.push(s);
        running.push(startService(ctx, svc, s, stopParts.signal));
      }
    }
    const archived = [...new Set(pipelines.flatMap((p) => p.topics.filter((t) => t.archive !== false).map((t) => t.name)))];
    if (archived.length > 0) {
      const s = newStatus('archiver', 'archiver');
      parts.push(s);
      jobRuns.push(startArchiver(runtime, archived, s, stopJobs.signal, options.archiveRollMs ?? 10_000));
    }

    options.out.write(`tributary dev: ${pipelines.map((p) => p.name).join(', ')} on the ${runtime.log.backend} log; server ${url} (ingest POST /ingest/<topic>, GET /query/<view>, /metrics, /api/status); Ctrl-C stops\n`);
    const tty = options.out.isTTY === true;
    let drawn = 0;
    const print = () => {
      const lines = statusLines(parts, (performance.now() - started) / 1000);
      if (tty && drawn > 0) options.out.write(`\x1b[${drawn}F\x1b[J`);
      options.out.write(`${lines.join('\n')}\n`);
      drawn = lines.length;
    };
    print();
    if ((options.statusMs ?? 2000) > 0) ticker = setInterval(print, options.statusMs ?? 2000);

    await waitFor(options.signal, options.durationMs);
    // Sources and batch runs first, while the services they may read (emulators) still answer.
    await orchestration.close();
    stopParts.abort();
    await Promise.allSettled(running);
    await closeServer?.();
    closeServer = undefined;
    if (options.drainMs) await drain(runtime, pipelines, parts, options.drainMs);
    stopJobs.abort();
    await Promise.allSettled(jobRuns);
    if (ticker) clearInterval(ticker);
    ticker = undefined;
    print();
    return { url, elapsedMs: performance.now() - started, parts };
  } finally {
    if (ticker) clearInterval(ticker);
    stopParts.abort();
    stopJobs.abort();
    await Promise.allSettled([...running, ...jobRuns]);
    await orchestration?.close().catch((error: unknown) => logger.warn({ err: error }, 'dev: closing the orchestrator failed'));
    await closeServer?.();
    await runtime.close();
  }
}

async function createTopics(runtime: Runtime, pipelines: readonly DefinedPipeline[]): Promise<void> {
  const admin = runtime.log.admin();
  try {
    const existing = new Set(await admin.listTopics());
    for (const pipeline of pipelines) {
      for (const t of pipeline.topics) {
        if (existing.has(t.name)) continue;
        await admin.createTopic(t.name, { partitions: runtime.config.log.defaultPartitions });
        existing.add(t.name);
      }
    }
  } finally {
    await admin.close();
  }
}

function waitFor(signal: AbortSignal | undefined, durationMs: number | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = durationMs === undefined ? undefined : setTimeout(resolve, durationMs);
    signal?.addEventListener(
      'abort',
      () => {
        if (timer) clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/** Wait until every stream job has read its input topic to the end, or `ms` passed. */
async function drain(runtime: Runtime, pipelines: readonly DefinedPipeline[], parts: readonly PartStatus[], ms: number): Promise<void> {
  const admin = runtime.log.admin();
  const deadline = Date.now() + ms;
  const readers: Array<{ group: string; topic: string }> = [];
  for (const pipeline of pipelines) {
    for (const job of pipeline.streamJobs) readers.push({ group: `job.${job.name}`, topic: job.pipeline.topic });
  }
  try {
    while (Date.now() < deadline) {
      if (parts.some((p) => p.kind === 'stream-job' && p.state !== 'running')) return;
      const behind = await Promise.all(readers.map((r) => lagBehind(admin, r.group, r.topic)));
      if (behind.every((n) => n === 0)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    runtime.logger.warn({ ms }, 'dev: the stream jobs had not caught up with their topics; they resume there on the next start');
  } finally {
    await admin.close();
  }
}

/** Records of `topic` that `group` has not committed yet; a partition it never committed counts from its start. */
async function lagBehind(admin: ReturnType<Runtime['log']['admin']>, group: string, topic: string): Promise<number> {
  const [description, lag] = await Promise.all([admin.describeTopic(topic), admin.groupLag(group)]);
  let behind = 0;
  for (const p of description.partitions) {
    const committed = lag.find((l) => l.topic === topic && l.partition === p.partition)?.committedOffset ?? p.startOffset;
    behind += Math.max(0, p.endOffset - committed);
  }
  return behind;
}
