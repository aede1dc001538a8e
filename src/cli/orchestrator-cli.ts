/**
 * What the orchestrator's commands share: where graphs come from (the runtime's loaded pipelines,
 * given by the caller), opening the configured orchestrator around a callback, and printing runs.
 */
import type { LoadedConfig } from '../config/load.ts';
import type { Orchestrator } from '../orchestrator/create-orchestrator.ts';
import type { OpenOrchestratorOptions } from '../orchestrator/open-orchestrator.ts';
import type { Graph, LogLine, RunDetail, RunRecord } from '../orchestrator/orchestrator.ts';
import type { CliContext, GlobalOptions } from './context.ts';
import { table } from './table.ts';

export interface LoadedGraphs {
  graphs: readonly Graph<never>[] | readonly Graph[];
  /** What tasks get as `ctx.areas`. */
  areas?: unknown;
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
  const loaded = await ctx.loadConfig(options);
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
