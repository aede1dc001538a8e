/**
 * A pipeline: the unit users write, run, test and ship. One TypeScript module whose default export is
 * `definePipeline({...})`, declaring everything the pipeline is made of, as plain values:
 *
 * Glossary:
 * - topic: a log topic with the zod schema its records fit. `ingest` opens it on the ingest API
 *   (`POST /ingest/<topic>`); `archive` (default true) has the archiver copy it into the raw zone.
 * - source: a source component (`{ name, configSchema, create(config, ctx) }`) with its config and a
 *   schedule (`{ everyMs }` or `{ cron, timezone }`). The config is checked against the component's
 *   schema when the pipeline is defined, so a typo fails at load time, naming the source and setting.
 * - stream job: a stateless or windowed job (src/stream/jobs.ts), written against a table spec; the
 *   runtime makes the sink the config chooses.
 * - batch job: a DuckDB job over the lake (src/batch/batch-job.ts), with an optional schedule.
 * - view: a serving-layer view, made by the runtime from the areas (`create(ctx)`); `tributary query`
 *   and `GET /query/<view>` answer it.
 * - service: a long-running task of the pipeline's own (an emulator, a custom stream loop), started
 *   with the pipeline and stopped by its signal; the runtime restarts it with backoff when it fails.
 * - graphs: task graphs (`graph({...})`) the orchestrator runs beside the graphs it makes of the
 *   sources and scheduled batch jobs (src/runtime/part-graphs.ts); dashboards: what the UI shows.
 *
 * Lifecycle: importing a pipeline module does nothing but build values; `definePipeline` validates
 * names and configs and freezes the result; the runtime (runtime.ts, dev.ts) opens the areas once and
 * runs the parts; nothing here holds a resource.
 *
 * Errors: PIPELINE_INVALID for a definition that cannot run (a duplicate or malformed name, a
 * source config that does not fit its schema, a job reading a topic the pipeline does not declare);
 * the message names the pipeline and the part.
 */
import type { z } from 'zod';
import type { BatchJob } from '../batch/batch-job.ts';
import { TributaryError } from '../errors.ts';
import type { Lake } from '../lake/lake.ts';
import type { AsOf, LakeTables } from '../lake/tables/tables.ts';
import type { Log } from '../log/log.ts';
import type { Logger } from '../logger.ts';
import type { MergedView } from '../serve/query/view.ts';
import type { Sink, TableSpec } from '../sinks/sink.ts';
import type { SourceComponent } from '../sources/source.ts';
import type { StateStore } from '../state/state.ts';
import type { JobDefinition } from '../stream/jobs.ts';
import type { Config } from '../config/schema.ts';
import type { MetadataStore } from '../metadata/metadata.ts';
import type { Graph } from '../orchestrator/orchestrator.ts';
import { checkSchedule as parseSchedule } from './schedule.ts';

export const PIPELINE_KIND = 'tributary.pipeline';

/** When a source or batch job runs: a fixed interval, or a cron expression (5 or 6 fields) in a time zone. */
export type Schedule = { everyMs: number } | { cron: string; timezone?: string };

export interface TopicDeclaration<S extends z.ZodType = z.ZodType> {
  name: string;
  schema: S;
  /** Accept records on `POST /ingest/<name>`; default false. */
  ingest?: boolean;
  /** Top-level field whose value keys the record (the ingest API's key). */
  keyField?: string;
  /** Top-level field holding the event time (ISO 8601 or ms). */
  timeField?: string;
  /** Copy the topic into the lake's raw zone; default true. */
  archive?: boolean;
  description?: string;
}

export interface SourceDeclaration<S extends z.ZodType = z.ZodType> {
  /** Unique within the pipeline; the source's progress lives under `source.<name>`. */
  name: string;
  component: SourceComponent<S>;
  config: z.input<S>;
  schedule: Schedule;
  /** Where it writes: a source writing files gets the lake in its context; default 'log'. */
  writesTo?: 'log' | 'lake';
  description?: string;
}

export interface BatchJobDeclaration {
  job: BatchJob;
  /** Run incrementally on this schedule in `tributary dev`; without it, only on demand (`batch run`). */
  schedule?: Schedule;
}

/** What a view, a service or a source gets from the runtime: the open areas and a logger. */
export interface PipelineContext {
  readonly pipeline: string;
  readonly log: Log;
  readonly lake: Lake;
  readonly state: StateStore;
  readonly logger: Logger;
  /** A sink for `table` on the configured backend, not yet open; the caller opens and closes it. */
  sinkFor(table: TableSpec, job: string): Sink;
  /** The base URL of the running server (ingest and query API), once it listens; undefined in one-shot commands. */
  readonly serverUrl?: string;
  /** The API key clients of that server send, when one is configured. */
  readonly apiKey?: string;
  /**
   * Rows of a processed or curated lake table, by DuckDB SQL over `t` (the table's current rows);
   * none when the table does not exist yet. The tables are attached for the read only, as a batch
   * run attaches them, so that other processes can attach them too. For views with a batch half.
   * `asOf`: the rows at that snapshot of the lake (a view run with `--as-of` passes its own).
   */
  queryTable?(zone: 'processed' | 'curated', dataset: string, sql: string, options?: { asOf?: AsOf }): Promise<Record<string, unknown>[]>;
  /** Runs `fn` with the lake's tables attached for the call only, as `queryTable` reads them; for views that write their batch half. */
  withTables?<T>(fn: (tables: LakeTables) => Promise<T>): Promise<T>;
}

/**
 * What the tasks of a pipeline's graphs get as `ctx.areas`: the config, the project directory, and
 * the areas the runtime opened for them. (A type, not an interface, so that graphs declared without
 * naming it fit too.)
 */
export type TaskAreas = {
  readonly config: Readonly<Config>;
  readonly cwd: string;
  readonly lake: Lake;
  readonly state: StateStore;
  readonly metadata: MetadataStore;
};

/** A graph a pipeline declares: its tasks get the pipeline's areas. */
export type PipelineGraph = Graph<TaskAreas>;

export interface ViewDeclaration {
  name: string;
  description: string;
  create(ctx: PipelineContext): MergedView | Promise<MergedView>;
}

export interface ServiceDeclaration {
  name: string;
  description?: string;
  /** Runs until `signal` aborts; a rejection is a crash, and the runtime restarts the service with backoff. */
  run(ctx: PipelineContext, signal: AbortSignal): Promise<void>;
  /** Needs the server's URL (an emulator posting to the ingest API); started once the server listens. */
  needsServer?: boolean;
}

/** How a dashboard chart shows its query's result: x is a column for the categories or the x axis, y the numbers. */
export type ChartKind = 'bar' | 'line' | 'area' | 'pie' | 'scatter' | 'table' | 'number';

export interface DashboardChart {
  title: string;
  /** One SELECT over the lake's tables, run by the SQL explorer's read-only engine. */
  sql: string;
  kind: ChartKind;
  /** The column for the x axis or the categories; default the first. */
  x?: string;
  /** The column of the values, or several columns (a series each); default the first numeric one after x. */
  y?: string | readonly string[];
}

/** A grid of charts the UI shows for the pipeline. */
export interface DashboardDeclaration {
  /** Letters, digits, `.`, `_`, `-`; unique within the pipeline. */
  name: string;
  title: string;
  charts: readonly DashboardChart[];
}

export interface PipelineDefinition {
  /** Letters, digits, `.`, `_`, `-`; unique among the loaded pipelines. */
  name: string;
  description?: string;
  topics?: readonly TopicDeclaration[];
  sources?: readonly SourceDeclaration[];
  streamJobs?: readonly JobDefinition[];
  batchJobs?: readonly BatchJobDeclaration[];
  views?: readonly ViewDeclaration[];
  services?: readonly ServiceDeclaration[];
  /**
   * Task graphs of the pipeline's own (`graph({...})`), run by the orchestrator beside the graphs it
   * makes of the sources and scheduled batch jobs. Ids are unique among the loaded pipelines.
   */
  graphs?: readonly PipelineGraph[];
  /** Dashboards the UI shows for this pipeline. */
  dashboards?: readonly DashboardDeclaration[];
}

export interface DefinedPipeline extends Readonly<Required<Omit<PipelineDefinition, 'description'>>> {
  readonly kind: typeof PIPELINE_KIND;
  readonly description: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The default export of a pipeline module: checks the definition and returns it frozen. */
export function definePipeline(definition: PipelineDefinition): DefinedPipeline {
  const problems: string[] = [];
  const where = `pipeline "${definition.name}"`;
  if (!NAME.test(definition.name)) problems.push(`its name must be letters, digits, ".", "_" or "-"`);
  const unique = (part: string, names: readonly string[]) => {
    const seen = new Set<string>();
    for (const name of names) {
      if (!NAME.test(name)) problems.push(`${part} "${name}": the name must be letters, digits, ".", "_" or "-"`);
      if (seen.has(name)) problems.push(`${part} "${name}" is declared twice`);
      seen.add(name);
    }
  };
  const topics = definition.topics ?? [];
  const sources = definition.sources ?? [];
  const streamJobs = definition.streamJobs ?? [];
  const batchJobs = definition.batchJobs ?? [];
  unique('topic', topics.map((t) => t.name));
  unique('source', sources.map((s) => s.name));
  unique('stream job', streamJobs.map((j) => j.name));
  unique('batch job', batchJobs.map((b) => b.job.name));
  unique('dashboard', (definition.dashboards ?? []).map((d) => d.name));
  unique('view', (definition.views ?? []).map((v) => v.name));
  unique('service', (definition.services ?? []).map((s) => s.name));
  for (const g of definition.graphs ?? []) {
    if (typeof g !== 'object' || g === null || (g as { kind?: unknown }).kind !== 'graph') problems.push('graphs: each entry must be made by graph({...})');
  }
  const graphIds = (definition.graphs ?? []).map((g) => (g as { id?: unknown } | null)?.id);
  for (const [i, id] of graphIds.entries()) if (graphIds.indexOf(id) !== i) problems.push(`graph "${String(id)}" is declared twice`);

  const sourcesChecked = sources.map((source) => {
    const parsed = source.component.configSchema.safeParse(source.config);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`source "${source.name}" (${source.component.name}): ${issue.path.join('.') || '(config)'}: ${issue.message}`);
      return source;
    }
    checkSchedule(`source "${source.name}"`, source.schedule, problems);
    return { ...source, config: parsed.data };
  });
  for (const b of batchJobs) if (b.schedule) checkSchedule(`batch job "${b.job.name}"`, b.schedule, problems);
  if (problems.length > 0) throw new TributaryError('PIPELINE_INVALID', `${where}: ${problems.join('; ')}`);

  return Object.freeze({
    kind: PIPELINE_KIND,
    name: definition.name,
    description: definition.description ?? '',
    topics: Object.freeze([...topics]),
    sources: Object.freeze(sourcesChecked),
    streamJobs: Object.freeze([...streamJobs]),
    batchJobs: Object.freeze([...batchJobs]),
    views: Object.freeze([...(definition.views ?? [])]),
    services: Object.freeze([...(definition.services ?? [])]),
    graphs: Object.freeze([...(definition.graphs ?? [])]),
    dashboards: Object.freeze([...(definition.dashboards ?? [])]),
  });
}

function checkSchedule(part: string, schedule: Schedule, problems: string[]): void {
  if ('everyMs' in schedule) {
    if (!Number.isFinite(schedule.everyMs) || schedule.everyMs < 10) problems.push(`${part}: schedule.everyMs must be a number of at least 10 (ms)`);
  } else if (typeof schedule.cron !== 'string' || schedule.cron.trim().split(/\s+/).length < 5) {
    problems.push(`${part}: schedule.cron must be a cron expression of 5 or 6 fields, e.g. "*/5 * * * *"`);
  } else {
    try {
      parseSchedule(schedule);
    } catch (error) {
      problems.push(`${part}: ${(error as Error).message}`);
    }
  }
}

export function isPipeline(value: unknown): value is DefinedPipeline {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === PIPELINE_KIND;
}

/** A topic declaration, typed by its schema. */
export function topic<S extends z.ZodType>(declaration: TopicDeclaration<S>): TopicDeclaration<S> {
  return declaration;
}

/** A source declaration, its config typed by the component's schema. */
export function source<S extends z.ZodType>(declaration: SourceDeclaration<S>): SourceDeclaration {
  return declaration;
}
