/**
 * The graphs the orchestrator runs for the loaded pipelines: one per source (`<pipeline>.source.<name>`,
 * one task that polls it), one per batch job with a schedule (`<pipeline>.batch.<name>`, one task
 * that runs it incrementally), and the pipelines' own `graphs`. A part's graph runs one run at a time
 * (`maxActiveRuns: 1`, and no scheduled run while one is queued or running, so a slow poll delays the
 * next instead of queueing more) without catchup: a poll or an incremental batch run covers all that
 * is new, so the intervals missed while nothing ran need no runs of their own.
 */
import { TributaryError } from '../errors.ts';
import { graph } from '../orchestrator/define.ts';
import type { Schedule as GraphSchedule } from '../orchestrator/orchestrator.ts';
import type { DefinedPipeline, PipelineContext, PipelineGraph, Schedule } from './pipeline.ts';
import { batchJobTask, sourceTask, type SourceTask } from './part-tasks.ts';
import type { Runtime } from './runtime.ts';
import { describeSchedule } from './schedule.ts';
import { newStatus } from './run-parts.ts';
import type { PartStatus } from './supervise.ts';

export interface PartGraphs {
  graphs: PipelineGraph[];
  /** The live status of each source and scheduled batch job, with its graph's id in `info.graph`. */
  parts: PartStatus[];
  /** Closes the source components the polls opened. */
  close(): Promise<void>;
}

export const sourceGraphId = (pipeline: string, source: string) => `${pipeline}.source.${source}`;
export const batchGraphId = (pipeline: string, job: string) => `${pipeline}.batch.${job}`;

/** A pipeline's schedule as a graph's: the same times, one run for the latest interval only. */
export function graphSchedule(schedule: Schedule): GraphSchedule {
  if ('everyMs' in schedule) return { everyMs: Math.max(1, Math.round(schedule.everyMs)), catchup: false, skipWhileActive: true };
  return { cron: schedule.cron, ...(schedule.timezone === undefined ? {} : { timezone: schedule.timezone }), catchup: false, skipWhileActive: true };
}

export function partGraphs(runtime: Runtime, pipelines: readonly DefinedPipeline[], context: (pipeline: string) => PipelineContext): PartGraphs {
  const graphs: PipelineGraph[] = [];
  const parts: PartStatus[] = [];
  const sources: SourceTask[] = [];
  for (const pipeline of pipelines) {
    const ctx = context(pipeline.name);
    for (const declaration of pipeline.sources) {
      const status = newStatus('source', declaration.name, pipeline.name);
      const made = sourceTask(ctx, declaration, status);
      const id = sourceGraphId(pipeline.name, declaration.name);
      Object.assign(status.info, { schedule: describeSchedule(declaration.schedule), graph: id });
      status.state = 'running';
      sources.push(made);
      parts.push(status);
      graphs.push(graph({ id, schedule: graphSchedule(declaration.schedule), maxActiveRuns: 1, tasks: [made.task] }));
    }
    for (const declaration of pipeline.batchJobs) {
      if (!declaration.schedule) continue;
      const status = newStatus('batch-job', declaration.job.name, pipeline.name);
      const id = batchGraphId(pipeline.name, declaration.job.name);
      Object.assign(status.info, { schedule: describeSchedule(declaration.schedule), graph: id });
      status.state = 'running';
      parts.push(status);
      graphs.push(graph({ id, schedule: graphSchedule(declaration.schedule), maxActiveRuns: 1, tasks: [batchJobTask(runtime, declaration, status)] }));
    }
    graphs.push(...pipeline.graphs);
  }
  const seen = new Map<string, number>();
  for (const g of graphs) seen.set(g.id, (seen.get(g.id) ?? 0) + 1);
  const twice = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  if (twice.length > 0) throw new TributaryError('PIPELINE_INVALID', `graph ids must be unique among the loaded pipelines; declared more than once: ${twice.join(', ')}`);
  return {
    graphs,
    parts,
    async close() {
      await Promise.allSettled(sources.map((s) => s.close()));
      for (const p of parts) p.state = 'stopped';
    },
  };
}
