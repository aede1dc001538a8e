/** The shapes the API answers with, as the page reads them (see src/serve/api/ and src/runtime/). */
export type PartState = 'starting' | 'running' | 'restarting' | 'stopped' | 'failed';

export interface PartError {
  code: string;
  message: string;
  at: string;
}

export interface Part {
  name: string;
  kind: 'stream-job' | 'service' | 'archiver' | 'source' | 'batch-job' | 'server';
  pipeline?: string;
  state: PartState;
  restarts: number;
  lastError?: PartError;
  counts: Record<string, number>;
  info: Record<string, string>;
}

export interface PipelineSummary {
  name: string;
  description: string;
  topics: Array<{ name: string; ingest: boolean; archive: boolean }>;
  sources: Array<{ name: string; kind: string }>;
  streamJobs: Array<{ name: string; kind: string; topic: string }>;
  batchJobs: Array<{ name: string; output: string }>;
  views: Array<{ name: string; description: string }>;
  services: string[];
}

export interface Status {
  pid: number;
  startedAt: string;
  log: string;
  pipelines: PipelineSummary[];
  parts: Part[];
}

export interface Sample {
  at: number;
  parts: Record<string, Pick<Part, 'state' | 'restarts' | 'counts' | 'lastError'>>;
  lag: Record<string, number>;
  lakeSnapshot?: number;
  watermarks?: Record<string, number>;
}

export type NodeKind = 'ingest' | 'source' | 'topic' | 'dead-letter' | 'stream-job' | 'table' | 'archiver' | 'raw' | 'batch-job' | 'lake-table' | 'service' | 'view';

export interface GraphNode {
  id: string;
  kind: NodeKind;
  name: string;
  pipeline?: string;
  description?: string;
  part?: string;
  config?: Record<string, unknown>;
  schema?: unknown;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  part?: string;
  count?: string;
  group?: string;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface TopicDescription {
  name: string;
  partitions: Array<{ partition: number; startOffset: number; endOffset: number }>;
}

export interface GroupLag {
  group: string;
  reader?: string;
  partitions: Array<{ topic: string; partition: number; committedOffset?: number; endOffset: number; lag: number }>;
  total: number;
}

export interface RenderedRecord {
  partition: number;
  offset: number;
  timestamp: string;
  key: string | null;
  value: unknown;
  headers?: Record<string, string>;
}

export interface MessagePage {
  topic: string;
  partition: number;
  startOffset: number;
  endOffset: number;
  records: RenderedRecord[];
  next: number;
  scanned: number;
  atEnd: boolean;
}

export interface ReplayResult {
  topic: string;
  requested: number;
  replayed: number;
  missing: Array<{ partition: number; offset: number; reason: string }>;
  to: Array<{ topic: string; partition: number; offset: number }>;
}

export type SqlCell = string | number | boolean | null | SqlCell[] | { [key: string]: SqlCell };

export interface SqlResult {
  columns: Array<{ name: string; type: string }>;
  rows: SqlCell[][];
  truncated: boolean;
  elapsedMs: number;
}

export interface SqlTable {
  schema: string;
  name: string;
  columns: Array<{ name: string; type: string }>;
}

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface RunGraph {
  id: string;
  tasks: Array<{ id: string; after: string[] }>;
  schedule: { everyMs: number } | { cron: string; timezone?: string } | null;
}

export interface RunRecord {
  runId: string;
  graph: string;
  key: string;
  trigger: 'schedule' | 'manual' | 'backfill' | 'data';
  status: RunStatus;
  logicalDate?: string;
  partition?: string;
  created: string;
  started?: string;
  finished?: string;
}

export interface RunError {
  code: string;
  message: string;
}

export interface RunTask {
  taskId: string;
  status: string;
  attempt: number;
  upstream: string[];
  output?: unknown;
  error?: RunError;
  started?: string;
  finished?: string;
}

export interface RunAttempt {
  taskId: string;
  attempt: number;
  status: 'running' | 'succeeded' | 'failed';
  worker: string;
  started: string;
  finished?: string;
  error?: RunError;
  logs: Array<{ ts: number; level: string; message: string; fields?: Record<string, unknown> }>;
  output?: unknown;
}

export interface RunDetail {
  run: RunRecord;
  tasks: RunTask[];
  attempts: RunAttempt[];
}

export type DashboardChartKind = 'bar' | 'line' | 'area' | 'pie' | 'scatter' | 'table' | 'number';

export interface DashboardChart {
  title: string;
  sql: string;
  kind: DashboardChartKind;
  x?: string;
  /** One value column, or several (a pipeline's dashboard may name several; the chart plots the first). */
  y?: string | readonly string[];
}

export interface Dashboard {
  name: string;
  title: string;
  charts: DashboardChart[];
  /** Set on a declared one: the pipeline that declares it. */
  pipeline?: string;
  updated?: string;
}

export interface Dashboards {
  declared: Array<Dashboard & { pipeline: string }>;
  saved: Dashboard[];
}

// The Lake and Metrics pages read the server's own types (type-only: nothing of the server is bundled).
export type { LakeOverview, LakeRows, LakeSnapshot, LakeTableDetail, LakeTableSummary } from '../serve/api/lake-shapes.ts';
export type { DerivedSeries, MetricsPoint, MetricsView, MetricView } from '../serve/api/metrics-history.ts';
