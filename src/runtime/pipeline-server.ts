/**
 * The HTTP server of a process that runs pipelines (`dev`, `serve`, `worker`): the ingest API for
 * the topics declared with `ingest: true`, the query API over the pipelines' views and real-time
 * tables, `/metrics`, and the local API (`/api/`) that other commands and the UI use. Once it
 * listens, `<dataDir>/dev.json` tells other commands where it is; closing removes the file.
 */
import { registerRuntimeMetrics } from '../metrics/runtime-metrics.ts';
import { packageVersion } from '../version.ts';
import { apiRoutes } from '../serve/api/api-routes.ts';
import { runRoutes, type RunRoutesOptions } from '../serve/api/run-routes.ts';
import { dashboardRoutes } from '../serve/api/dashboard-routes.ts';
import { openDashboardStore } from '../metadata/open-dashboards.ts';
import { deadLetterReplayer } from '../serve/api/dead-letters.ts';
import { directLogView } from '../serve/api/log-view.ts';
import { lakeBrowser } from '../serve/api/lake-browser.ts';
import { lakeRoutes } from '../serve/api/lake-routes.ts';
import { startMetricsHistory } from '../serve/api/metrics-history.ts';
import { metricsRoutes } from '../serve/api/metrics-routes.ts';
import { startUiHistory } from '../serve/api/ui-history.ts';
import { DEFAULT_SQL_LIMITS, sqlExplorer } from '../serve/api/sql-explorer.ts';
import { viewsSource } from '../serve/api/realtime-tables.ts';
import { uiOpenApiPaths } from '../serve/api/ui-openapi.ts';
import { uiRoutes } from '../serve/api/ui-routes.ts';
import { uiStatic } from '../serve/api/ui-static.ts';
import { ingestRoutes } from '../serve/ingest/ingest-routes.ts';
import type { TopicRegistry } from '../serve/ingest/topics.ts';
import { createQueryService } from '../serve/query/query.ts';
import { queryRoutes } from '../serve/query/query-routes.ts';
import { tableView } from '../serve/query/table-view.ts';
import type { MergedView } from '../serve/query/view.ts';
import { createServer, listen, serverPlugin } from '../serve/server.ts';
import { devFilePath, removeDevFile, writeDevFile } from './dev-file.ts';
import { pipelineGroups } from './groups.ts';
import { tablesSettings } from '../lake/tables/open-tables.ts';
import { pipelineGraph } from './pipeline-graph.ts';
import type { DefinedPipeline } from './pipeline.ts';
import type { Runtime } from './runtime.ts';
import { newStatus } from './run-parts.ts';
import type { PartStatus } from './supervise.ts';

export interface PipelineServer {
  url: string;
  /** The ingest API's status: `counts.accepted` records so far. */
  ingest: PartStatus;
  close(): Promise<void>;
}

export interface PipelineServerOptions {
  /** Overrides server.port. */
  port?: number;
  /** The parts whose status `GET /api/status` shows (the server's own is added). */
  parts: PartStatus[];
  /** The orchestrator whose graphs and runs `/api/graphs` and `/api/runs` serve. */
  orchestrator?: RunRoutesOptions['orchestrator'];
  /** Extra facts for `GET /api/status` (the orchestrator's backend, whether it leads). */
  statusExtra?: () => Record<string, unknown>;
}

/** The ingest API's registry: the topics the pipelines open for ingest. */
export function ingestTopics(pipelines: readonly DefinedPipeline[]): TopicRegistry {
  const topics: Record<string, TopicRegistry[string]> = {};
  for (const pipeline of pipelines) {
    for (const t of pipeline.topics.filter((t) => t.ingest)) {
      topics[t.name] = { schema: t.schema, ...(t.keyField ? { keyField: t.keyField } : {}), ...(t.timeField ? { timeField: t.timeField } : {}), ...(t.description ? { description: t.description } : {}) };
    }
  }
  return topics;
}

/** The views of the loaded pipelines: each declared view, and each stream job's table. */
export async function pipelineViews(runtime: Runtime, pipelines: readonly DefinedPipeline[]): Promise<MergedView[]> {
  const views: MergedView[] = [];
  for (const pipeline of pipelines) {
    const ctx = runtime.context(pipeline.name);
    for (const view of pipeline.views) views.push(await view.create(ctx));
    for (const job of pipeline.streamJobs) {
      const table = job.kind === 'windowed' ? job.table : 'table' in job.output ? job.output.table : undefined;
      if (table && !views.some((v) => v.name === table.name)) // The job's own name: its sink keeps the positions under it, which the view reports as coverage.
        views.push(tableView({ table, sink: runtime.sinkFor(table, job.name), topic: job.pipeline.topic }));
    }
  }
  return views;
}

export function describePipeline(p: DefinedPipeline) {
  return {
    name: p.name,
    description: p.description,
    topics: p.topics.map((t) => ({ name: t.name, ingest: t.ingest === true, archive: t.archive !== false })),
    sources: p.sources.map((s) => ({ name: s.name, kind: s.component.name })),
    streamJobs: p.streamJobs.map((j) => ({ name: j.name, kind: j.kind, topic: j.pipeline.topic })),
    batchJobs: p.batchJobs.map((b) => ({ name: b.job.name, output: `${b.job.output.zone}/${b.job.output.dataset}` })),
    views: p.views.map((v) => ({ name: v.name, description: v.description })),
    services: p.services.map((s) => s.name),
  };
}

/**
 * Each windowed job's event-time watermark, from the stream metrics' `tributary_stream_watermark_lag_seconds`
 * (processing time minus the watermark, computed as it is read). Empty when no job has one yet.
 */
async function jobWatermarks(registry: Runtime['metrics']['registry']): Promise<Record<string, number>> {
  const gauge = registry.getSingleMetric('tributary_stream_watermark_lag_seconds');
  if (!gauge) return {};
  try {
    const now = Date.now();
    const { values } = await gauge.get();
    return Object.fromEntries(values.filter((v) => Number.isFinite(v.value)).map((v) => [String(v.labels.job), Math.round(now - v.value * 1000)]));
  } catch {
    return {};
  }
}

/** Needs the runtime's log, lake and metrics open. */
export async function startPipelineServer(runtime: Runtime, pipelines: readonly DefinedPipeline[], options: PipelineServerOptions): Promise<PipelineServer> {
  const { config, logger } = runtime;
  const startedAt = new Date().toISOString();
  const ingest = newStatus('server', 'ingest');
  ingest.counts.accepted = 0;
  options.parts.unshift(ingest);
  const logView = directLogView(runtime.log);
  const metrics = await registerRuntimeMetrics(runtime.metrics.registry, {
    parts: options.parts,
    log: runtime.log,
    ...(runtime.has('state') ? { state: runtime.state } : {}),
    ...(runtime.has('metadata') ? { metadata: runtime.metadata } : {}),
    batchJobs: pipelines.flatMap((p) => p.batchJobs.map((b) => b.job.name)),
  });
  const views = await pipelineViews(runtime, pipelines);
  const query = createQueryService(views);
  const graph = pipelineGraph(pipelines);
  const tables = tablesSettings(config, runtime.cwd);
  const lake = lakeBrowser(tables);
  const history = startUiHistory({
    lakeSnapshot: () => lake.currentSnapshot(),
    watermarks: () => jobWatermarks(runtime.metrics.registry),
    parts: () => options.parts,
    lag: async () => Object.fromEntries(await Promise.all(pipelineGroups(pipelines).map(async (g) => [g.group, (await logView.groupLag(g.group)).reduce((n, p) => n + p.lag, 0)] as const))),
  });
  const metricsHistory = startMetricsHistory({ registry: runtime.metrics.registry });
  const status = () => ({ pid: process.pid, startedAt, log: runtime.log.backend, pipelines: pipelines.map(describePipeline), parts: options.parts, ...options.statusExtra?.() });
  const app = createServer({
    server: config.server,
    logger,
    plugins: [
      serverPlugin(ingestRoutes, {
        log: runtime.log,
        topics: ingestTopics(pipelines),
        apiKeyRequired: config.server.apiKey !== undefined,
        maxRecordsPerRequest: config.server.maxRecordsPerRequest,
        version: packageVersion(),
        openApiPaths: uiOpenApiPaths(),
        onAccepted: (topic, n) => {
          ingest.counts.accepted = (ingest.counts.accepted ?? 0) + n;
          metrics.ingested(topic, n);
        },
      }),
      serverPlugin(queryRoutes, { service: query }),
      serverPlugin(apiRoutes, { logView, status, groups: () => pipelineGroups(pipelines) }),
      ...(options.orchestrator ? [serverPlugin(runRoutes, { orchestrator: options.orchestrator })] : []),
      serverPlugin(uiRoutes, { graph: () => graph, history, logView, replayer: deadLetterReplayer(runtime.log), sql: sqlExplorer(tables, DEFAULT_SQL_LIMITS, viewsSource(() => views)) }),
      serverPlugin(lakeRoutes, { lake }),
      serverPlugin(metricsRoutes, { history: metricsHistory, prometheusUrl: config.metrics.prometheusUrl }),
      serverPlugin(dashboardRoutes, { declared: () => pipelines.flatMap((p) => p.dashboards.map((d) => ({ pipeline: p.name, ...d }))), open: () => openDashboardStore(config, { cwd: runtime.cwd }) }),
      serverPlugin(uiStatic, {}),
      (instance) => {
        instance.get('/metrics', async (_request, reply) => reply.type(runtime.metrics.registry.contentType).send(await runtime.metrics.registry.metrics()));
      },
    ],
  });
  const closeViews = async () => {
    history.stop();
    metricsHistory.stop();
    await query.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the views failed'));
    await logView.close().catch(() => undefined);
    await metrics.close().catch(() => undefined);
  };
  let url: string;
  try {
    url = await listen(app, config.server.host, options.port ?? config.server.port);
  } catch (error) {
    await closeViews();
    throw error;
  }
  ingest.state = 'running';
  ingest.info.url = url;
  const devFile = devFilePath(config, runtime.cwd);
  await writeDevFile(devFile, { pid: process.pid, url, startedAt, pipelines: pipelines.map((p) => p.name) });
  let closed = false;
  return {
    url,
    ingest,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      ingest.state = 'stopped';
      await removeDevFile(devFile).catch(() => undefined);
      await closeViews();
    },
  };
}
