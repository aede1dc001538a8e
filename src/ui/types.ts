/**
 * The shapes the API answers with, as the page reads them: the server's own types where they are
 * already plain JSON, and the JSON form (dates as strings) of the others (see src/serve/api/ and src/runtime/).
 */
import type { PartStatus as Part } from '../runtime/supervise.ts';
import type { RenderedRecord } from '../serve/api/log-view.ts';
export type { PartState, PartStatus as Part } from '../runtime/supervise.ts';
export type PartError = NonNullable<Part['lastError']>;

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

export type { GraphNodeKind as NodeKind, GraphNode, GraphEdge, PipelineGraph as Graph } from '../runtime/pipeline-graph.ts';

export type { TopicDescription } from '../log/log.ts';
export type { GroupLag } from '../serve/api/api-routes.ts';
export type { RenderedRecord } from '../serve/api/log-view.ts';
export type { ReplayResult } from '../serve/api/dead-letters.ts';
export type { SqlCell, SqlResult, SqlTable } from '../serve/api/sql-explorer.ts';

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
