/**
 * The Grafana dashboards of the example, as values of the dashboard types of `@grafana/schema`, so
 * the compiler checks them. `emit-dashboards.ts` writes them as the JSON files beside this one,
 * which Grafana's file provisioning (provisioning/dashboards.yaml) loads.
 *
 * Every panel is a Prometheus query over what the process exports on /metrics (src/metrics/):
 * the pipeline dashboard shows ingest rate, log growth, consumer lag, job throughput and latency;
 * the batch-and-stores dashboard shows batch run durations and recency, store health and parts.
 */
import type { Dashboard, DataQuery, Panel } from '@grafana/schema';

/** The datasource's uid in provisioning/datasources.yaml. */
export const DATASOURCE = { type: 'prometheus', uid: 'tributary-prometheus' } as const;

/** A Prometheus target: Grafana's DataQuery with the Prometheus plugin's fields. */
export interface PromQuery extends DataQuery {
  expr: string;
  legendFormat?: string;
}

interface PanelSpec {
  title: string;
  description: string;
  expr: string;
  legend: string;
  unit: string;
  type?: 'timeseries' | 'stat';
}

/** Panels in a grid of two columns, 12 wide and 8 high. */
function panels(specs: readonly PanelSpec[]): Panel[] {
  return specs.map((spec, i) => {
    const target = { refId: 'A', datasource: DATASOURCE, expr: spec.expr, legendFormat: spec.legend } satisfies PromQuery;
    return {
      id: i + 1,
      type: spec.type ?? 'timeseries',
      title: spec.title,
      description: spec.description,
      datasource: DATASOURCE,
      gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
      fieldConfig: { defaults: { unit: spec.unit }, overrides: [] },
      options: {},
      targets: [target],
    };
  });
}

function dashboard(uid: string, title: string, description: string, specs: readonly PanelSpec[]): Dashboard {
  return {
    uid,
    title,
    description,
    tags: ['tributary', 'pinterest-analytics'],
    editable: true,
    schemaVersion: 39,
    refresh: '10s',
    time: { from: 'now-30m', to: 'now' },
    panels: panels(specs),
  };
}

export const pipelineDashboard = dashboard('tributary-pipeline', 'Tributary: ingest and stream jobs', 'What comes in, how far behind the stream jobs are, and what they do with it.', [
  {
    title: 'Ingest rate',
    description: 'Records a second the ingest API accepts, per topic.',
    expr: 'sum by (topic) (rate(tributary_ingest_records_total[1m]))',
    legend: '{{topic}}',
    unit: 'rps',
  },
  {
    title: 'Log append rate',
    description: 'Records a second appended to each topic of the log, from every producer (ingest, jobs, repartitioning).',
    expr: 'sum by (topic) (deriv(tributary_log_end_offset[1m]))',
    legend: '{{topic}}',
    unit: 'rps',
  },
  {
    title: 'Consumer lag',
    description: "Records each stream job's consumer groups have yet to read.",
    expr: 'sum by (job) (tributary_stream_consumer_lag_records)',
    legend: '{{job}}',
    unit: 'short',
  },
  {
    title: 'Watermark lag',
    description: "How far the windowed jobs' event time is behind the clock.",
    expr: 'max by (job) (tributary_stream_watermark_lag_seconds)',
    legend: '{{job}}',
    unit: 's',
  },
  {
    title: 'Job throughput',
    description: 'Records a second per stream job and outcome (in, out, filtered, dead-lettered, late).',
    expr: 'sum by (job, outcome) (rate(tributary_stream_records_total{step=~"job|windows"}[1m]))',
    legend: '{{job}} {{outcome}}',
    unit: 'rps',
  },
  {
    title: 'Event to sink latency (p95)',
    description: "Seconds from a record's append to its result being durable in the sink.",
    expr: 'histogram_quantile(0.95, sum by (job, le) (rate(tributary_stream_event_to_sink_seconds_bucket[1m])))',
    legend: '{{job}}',
    unit: 's',
  },
  {
    title: 'Archiver',
    description: 'Records a second the archiver copies into the raw zone.',
    expr: 'sum by (part) (rate(tributary_part_events_total{kind="archiver",event="records"}[1m]))',
    legend: '{{part}}',
    unit: 'rps',
  },
]);

export const batchDashboard = dashboard('tributary-batch-stores', 'Tributary: batch jobs and stores', 'How long batch runs take and how recent they are; whether the stores answer; which parts run.', [
  {
    title: 'Batch run duration (mean)',
    description: 'Mean seconds per finished run, per batch job.',
    expr: 'sum by (job) (tributary_batch_run_duration_seconds_sum) / sum by (job) (tributary_batch_run_duration_seconds_count)',
    legend: '{{job}}',
    unit: 's',
  },
  {
    title: 'Batch runs',
    description: 'Finished runs per batch job and status.',
    expr: 'sum by (job, status) (tributary_batch_run_duration_seconds_count)',
    legend: '{{job}} {{status}}',
    unit: 'short',
  },
  {
    title: 'Since the last batch run',
    description: "Seconds since each batch job's newest run finished.",
    expr: 'time() - max by (job) (tributary_batch_last_run_timestamp_seconds)',
    legend: '{{job}}',
    unit: 's',
  },
  {
    title: 'Rows written by batch jobs',
    description: 'Rows a second the scheduled batch runs write.',
    expr: 'sum by (part) (rate(tributary_part_events_total{kind="batch-job",event="written"}[5m]))',
    legend: '{{part}}',
    unit: 'rps',
  },
  {
    title: 'Store health',
    description: 'Whether the log, the state store and the metadata store answer (1) or not (0).',
    expr: 'min by (store) (tributary_store_up)',
    legend: '{{store}}',
    unit: 'bool',
    type: 'stat',
  },
  {
    title: 'Store response time',
    description: "Seconds each store took to answer the scrape's health check.",
    expr: 'max by (store) (tributary_store_check_seconds)',
    legend: '{{store}}',
    unit: 's',
  },
  {
    title: 'Parts running',
    description: 'Parts that run, per kind, out of all parts.',
    expr: 'sum by (kind) (tributary_part_up)',
    legend: '{{kind}}',
    unit: 'short',
  },
  {
    title: 'Part restarts',
    description: 'Restarts after a failure in the last 10 minutes, per part.',
    expr: 'sum by (part) (increase(tributary_part_restarts_total[10m]))',
    legend: '{{part}}',
    unit: 'short',
  },
]);

/** File name (in this directory) → dashboard. */
export const dashboards: Record<string, Dashboard> = {
  'pipeline.json': pipelineDashboard,
  'batch-and-stores.json': batchDashboard,
};

/** The JSON file of a dashboard, as emitted and checked in. */
export function dashboardJson(value: Dashboard): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
