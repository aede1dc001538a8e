/**
 * What the orchestrator's commands share: where graphs come from (the runtime's loaded pipelines,
 * given by the caller), opening the configured orchestrator around a callback (or going through a
 * running process's local API), and printing runs.
 */
import type { LoadedConfig } from '../config/load.ts';
import type { Orchestrator } from '../orchestrator/create-orchestrator.ts';
import type { OpenOrchestratorOptions } from '../orchestrator/open-orchestrator.ts';
import type { Graph, LogLine, RunDetail, RunRecord } from '../orchestrator/orchestrator.ts';
import { devFilePath, readDevFile } from '../runtime/dev-file.ts';
import { apiClient } from '../serve/api/api-client.ts';
import { remoteRuns, type RunsService } from '../serve/api/run-client.ts';
import type { CliContext, GlobalOptions } from './context.ts';
import { table } from './table.ts';

export interface LoadedGraphs {
  graphs: readonly Graph<never>[] | readonly Graph[];
  /** What tasks get as `ctx.areas`. */
  areas?: unknown;
  /**
   * Starts the long-running services (emulators, ...) of the pipeline that declares `graphId`, as
   * `tributary dev` runs them, so that one run of its graph finds what its tasks read; resolves with
   * their stop. Absent when the graphs come without pipelines.
   */
  startServices?(graphId: string): Promise<() => Promise<void>>;
  /** Closes what loading the graphs opened (the areas). */
  close?(): Promise<void>;
}

/** The graphs of the loaded pipelines; the runtime provides it. */
export type GraphProvider = (options: GlobalOptions, loaded: LoadedConfig) => Promise<LoadedGraphs>;

/** For a program without pipelines: no graphs. */
export const noGraphs: GraphProvider = () => Promise.resolve({ graphs: [] });

export async function withOrchestrator<T>(
  ctx: CliContext,
  provider: GraphProvider,
  options: GlobalOptions,
  fn: (orchestrator: Orchestrator, loaded: LoadedConfig) => Promise<T>,
  extra: Omit<OpenOrchestratorOptions<unknown>, 'areas' | 'cwd'> = {},
): Promise<T> {
  return openedWith(ctx, provider, options, await ctx.loadConfig(options), fn, extra);
}

async function openedWith<T>(
  ctx: CliContext,
  provider: GraphProvider,
  options: GlobalOptions,
  loaded: LoadedConfig,
  fn: (orchestrator: Orchestrator, loaded: LoadedConfig) => Promise<T>,
  extra: Omit<OpenOrchestratorOptions<unknown>, 'areas' | 'cwd'> = {},
): Promise<T> {
  const provided = await provider(options, loaded);
  try {
    const { openOrchestrator } = await import('../orchestrator/open-orchestrator.ts');
    const opened = await openOrchestrator(loaded.config, provided.graphs as readonly Graph[], { ...extra, cwd: ctx.io.cwd, ...(provided.areas === undefined ? {} : { areas: provided.areas as Record<string, unknown> }) });
    try {
      return await fn(opened.orchestrator, loaded);
    } finally {
      await opened.close();
    }
  } finally {
    await provided.close?.();
  }
}

/** The run commands' view of an orchestrator opened here. */
export function localRuns(o: Orchestrator): RunsService {
  return {
    listRuns: (filter) => o.store.listRuns(filter),
    runDetail: (runId) => o.store.runDetail(runId),
    trigger: (graphId, options) => o.trigger(graphId, { ...options, trigger: 'manual' }),
    retry: (runId) => o.retry(runId),
    cancel: (runId) => o.cancel(runId),
    backfill: async (graphId, options) => (await import('../orchestrator/backfill.ts')).backfill(o, graphId, options),
    waitForRun: (runId, options) => o.waitForRun(runId, options),
  };
}

export interface RunsWhere {
  /** The URL of the running process the calls go through, when they do. */
  remote?: string;
  /** The metadata store is the embedded one: a run triggered from here runs here (or in that process). */
  embedded: boolean;
  /** Start taking attempts in this process (nothing to do when remote). */
  start(): Promise<void>;
}

/**
 * Run `fn` on the run history and the run commands: through the local API of a running `tributary
 * dev` when the metadata store is the embedded one and that process holds it, on the store opened
 * here otherwise (PostgreSQL is shared by every process as it is).
 */
export async function withRuns<T>(ctx: CliContext, provider: GraphProvider, options: GlobalOptions, fn: (runs: RunsService, where: RunsWhere) => Promise<T>): Promise<T> {
  const loaded = await ctx.loadConfig(options);
  const embedded = loaded.config.metadata.backend === 'embedded';
  const running = embedded ? readDevFile(devFilePath(loaded.config, ctx.io.cwd)) : undefined;
  if (running) return fn(remoteRuns(apiClient(running.url, loaded.config.server.apiKey)), { remote: running.url, embedded, start: () => Promise.resolve() });
  return openedWith(ctx, provider, options, loaded, (o) => fn(localRuns(o), { embedded, start: () => o.start() }));
}

const time = (d: Date | undefined) => (d ? d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');
const took = (a: Date | undefined, b: Date | undefined) => (a && b ? `${((b.getTime() - a.getTime()) / 1000).toFixed(2)}s` : '-');

export function runsTable(runs: readonly RunRecord[]): string {
  return table(
    ['run', 'graph', 'status', 'trigger', 'logical date / partition', 'started', 'took'],
    runs.map((r) => [r.runId, r.graph, r.status, r.trigger, r.partition ?? (r.logicalDate ? r.logicalDate.toISOString() : '-'), time(r.started), took(r.started, r.finished)]),
  );
}

export function logLine(line: LogLine, prefix = ''): string {
  const fields = line.fields && Object.keys(line.fields).length > 0 ? ` ${JSON.stringify(line.fields)}` : '';
  return `${prefix}${new Date(line.ts).toISOString()} ${line.level.toUpperCase().padEnd(5)} ${line.message}${fields}\n`;
}

export function runDetailText(detail: RunDetail): string {
  const { run, tasks, attempts } = detail;
  const head = [
    `run       ${run.runId}`,
    `graph     ${run.graph}`,
    `status    ${run.status}`,
    `trigger   ${run.trigger} (key ${run.key})`,
    ...(run.interval ? [`interval  ${run.interval.start.toISOString()} .. ${run.interval.end.toISOString()}`] : []),
    ...(run.partition !== undefined ? [`partition ${run.partition}`] : []),
    `started   ${time(run.started)}   finished ${time(run.finished)}   took ${took(run.started, run.finished)}`,
  ].join('\n');
  const taskRows = tasks.map((t) => [t.taskId, t.status, String(t.attempt), took(t.started, t.finished), t.error ? `${t.error.code}: ${t.error.message}` : t.output === undefined ? '' : JSON.stringify(t.output)]);
  const logs = attempts
    .map((a) => {
      const header = `--- ${a.taskId} attempt ${a.attempt} (${a.status}, worker ${a.worker}${a.error ? `, ${a.error.code}` : ''})\n`;
      return header + a.logs.map((l) => logLine(l, '    ')).join('');
    })
    .join('');
  return `${head}\n\n${table(['task', 'status', 'attempt', 'took', 'error / output'], taskRows)}\n${logs}`;
}
