/**
 * The package's public API: what a pipeline module, a project config and a pipeline's tests import
 * from 'tributary'. Everything here is documented in docs/pipelines.md; nothing else is public.
 */
export { z } from 'zod';

// Pipelines as one unit.
export {
  definePipeline,
  topic,
  source,
  isPipeline,
  type DefinedPipeline,
  type PipelineDefinition,
  type PipelineContext,
  type TopicDeclaration,
  type SourceDeclaration,
  type BatchJobDeclaration,
  type ViewDeclaration,
  type ServiceDeclaration,
  type DashboardDeclaration,
  type DashboardChart,
  type ChartKind,
  type Schedule,
  type TaskAreas,
  type PipelineGraph,
} from './runtime/pipeline.ts';
// Task graphs a pipeline declares (`graphs: [...]`), run by the orchestrator.
export { task, graph } from './orchestrator/define.ts';
export type {
  Task,
  TaskOptions,
  TaskContext,
  TaskLogger,
  Graph,
  GraphOptions,
  Schedule as GraphSchedule,
  CronSchedule,
  IntervalSchedule,
  DataInterval,
  JsonValue,
} from './orchestrator/orchestrator.ts';
export type { RetryOptions } from './retry/retry-policy.ts';
export { archiveCompactionTask, lakeMaintenanceTask } from './runtime/part-tasks.ts';
export { compactArchive, type CompactOptions, type CompactionReport } from './batch/archiver-compact.ts';
export { fieldCounts, type FieldCountsDeclaration, type FieldCountsParts } from './runtime/field-counts.ts';

// Configuration and errors.
export { defineConfig, type Config, type ConfigInput } from './config/schema.ts';
export { loadConfig, type LoadConfigOptions, type LoadedConfig } from './config/load.ts';
export { TributaryError, isTributaryError, errorCodes, type ErrorCode } from './errors.ts';

// The speed layer.
export { Pipeline, type RecordContext } from './stream/pipeline.ts';
export { statelessJob, windowedJob, defineStreamJobs, type JobDefinition, type StreamJobs } from './stream/jobs.ts';
export { tumbling, sliding, session, type WindowSpec } from './stream/time/windows.ts';
export { count, reduce, aggregate, type Aggregator } from './stream/time/aggregate.ts';
export { windowJoin, type JoinInput, type JoinResult, type JoinedRow, type WindowJoinOptions } from './stream/time/window-join.ts';
export type { TableSpec, Row, ColumnType } from './sinks/sink.ts';

// The batch layer.
export {
  defineBatchJob,
  normaliseHeader,
  type BatchJob,
  type BatchInput,
  type BatchRecord,
  type BatchTransform,
  type BatchOutput,
  type RecordFunction,
  type ExpectedColumn,
  type CsvOptions,
  type WriteMode,
  type ErrorBudget,
  type TransformContext,
} from './batch/batch-job.ts';
export { topicDataset } from './batch/archiver-layout.ts';

// Sources and emulators.
export { generatorSource } from './sources/generator/generator.ts';
export { httpPollSource } from './sources/http-poll/http-poll.ts';
export { scraperSource } from './sources/scraper/scraper.ts';
export { listingSchema, type Listing } from './sources/scraper/listing.ts';
export { ckanSource } from './sources/ckan/ckan-source.ts';
export { dbExtractSource } from './sources/db-extract/db-extract.ts';
export { ecommerceEmulator } from './sources/emulators/ecommerce.ts';
export type { SourceComponent, Source, SourceContext, PollResult } from './sources/source.ts';
export { runPostingEmulator, type PostingEmulatorOptions, type EmulatorTotals } from './sources/emulators/posting-emulator.ts';
export { startCkanEmulator, type CkanEmulator, type CkanEmulatorOptions } from './sources/emulators/ckan-server.ts';
export { KIJIJI_SEARCH_PATH, startKijijiServer, type KijijiServer, type KijijiServerOptions } from './sources/emulators/kijiji-server.ts';

// The serving layer.
export type { MergedView, QueryResult, QueryCoverage, Cell, ViewRunOptions } from './serve/query/view.ts';
export { describeAsOf } from './serve/query/view.ts';
export type { AsOf } from './lake/tables/tables.ts';
