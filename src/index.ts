/** The package's public API for pipeline and config authors. */
export { defineConfig, type Config, type ConfigInput } from './config/schema.ts';
export { loadConfig, type LoadConfigOptions, type LoadedConfig } from './config/load.ts';
export { TributaryError, isTributaryError, errorCodes, type ErrorCode } from './errors.ts';
export { Pipeline, type RecordContext } from './stream/pipeline.ts';
export { defineStreamJobs, statelessJob, windowedJob, type JobDefinition, type StreamJobs } from './stream/jobs.ts';
export { tumbling, sliding, session, type WindowSpec } from './stream/time/windows.ts';
export { count, reduce, aggregate, type Aggregator } from './stream/time/aggregate.ts';
export type { TableSpec, Row, ColumnType } from './sinks/sink.ts';
