/**
 * The runtime: the one place that opens the areas from the config (log, lake, state, metadata,
 * metrics), hands them to components, and closes them in order.
 *
 * Glossary:
 * - area: a pluggable part the config chooses a backend for (src/config/schema.ts).
 * - runtime: the open areas of one process, plus the factory for sinks (each job owns its sink).
 *
 * Lifecycle: `openRuntime(config, { areas })` opens the areas asked for, in dependency order (the
 * log first); `open(area)` opens another one later, once; `close()` closes what was opened, in the
 * reverse order, and is safe to call twice. A failure while opening closes what was already open.
 *
 * Errors: those of each area's open (LOG_UNAVAILABLE when the embedded log is held by another
 * process, LAKE_UNAVAILABLE, STATE_UNAVAILABLE, METADATA_UNAVAILABLE); INTERNAL when a caller reads
 * an area it did not open.
 */
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.ts';
import { TributaryError } from '../errors.ts';
import type { Lake } from '../lake/lake.ts';
import type { Log } from '../log/log.ts';
import type { Logger } from '../logger.ts';
import type { MetadataStore } from '../metadata/metadata.ts';
import type { SyncEvent } from '../log/embedded/partition-options.ts';
import type { StreamMetrics } from '../metrics/stream-metrics.ts';
import { createSink } from '../sinks/create-sink.ts';
import type { Sink, TableSpec } from '../sinks/sink.ts';
import type { StateStore } from '../state/state.ts';
import type { PipelineContext } from './pipeline.ts';
import { queryLakeTable, withLakeTables } from './query-table.ts';

export type Area = 'log' | 'lake' | 'state' | 'metadata' | 'metrics';

/** The order areas open in; they close in the reverse. Metrics read the log (consumer lag). */
const ORDER: readonly Area[] = ['log', 'metrics', 'state', 'lake', 'metadata'];

export interface Metrics {
  registry: Registry;
  stream: StreamMetrics;
}

export interface RuntimeOptions {
  cwd: string;
  logger: Logger;
  areas: readonly Area[];
}

export interface Runtime {
  readonly config: Readonly<Config>;
  readonly cwd: string;
  readonly logger: Logger;
  readonly log: Log;
  readonly lake: Lake;
  readonly state: StateStore;
  readonly metadata: MetadataStore;
  readonly metrics: Metrics;
  has(area: Area): boolean;
  open(area: Area): Promise<void>;
  sinkFor(table: TableSpec, job: string): Sink;
  /** The context a pipeline's views, services and sources get. */
  context(pipeline: string, server?: { url: string; apiKey?: string }): PipelineContext;
  close(): Promise<void>;
}

export async function openRuntime(config: Readonly<Config>, options: RuntimeOptions): Promise<Runtime> {
  const { cwd, logger } = options;
  const opened = new Map<Area, unknown>();
  const closers: Array<{ area: Area; close: () => Promise<void> }> = [];
  const onWarning = (message: string, details: Record<string, unknown>) => logger.warn(details, message);
  // The log opens before the metrics; its syncs are observed once the metrics are open.
  let onSync: ((event: SyncEvent) => void) | undefined;

  const openOne = async (area: Area): Promise<void> => {
    if (opened.has(area)) return;
    switch (area) {
      case 'log': {
        const { openLog } = await import('../log/open-log.ts');
        const log = await openLog(config, { cwd, onWarning, onSync: (event) => onSync?.(event) });
        opened.set(area, log);
        closers.push({ area, close: () => log.close() });
        return;
      }
      case 'metrics': {
        const { Registry } = await import('prom-client');
        const { StreamMetrics } = await import('../metrics/stream-metrics.ts');
        const registry = new Registry();
        const log = opened.get('log') as Log | undefined;
        const admin = log?.admin();
        const stream = await StreamMetrics.create(registry, admin ? { groupLag: (group) => admin.groupLag(group) } : {});
        const { registerLogSyncMetrics } = await import('../metrics/runtime-metrics.ts');
        onSync = await registerLogSyncMetrics(registry);
        opened.set(area, { registry, stream } satisfies Metrics);
        closers.push({ area, close: async () => void (await admin?.close()) });
        return;
      }
      case 'state': {
        const { openStateStore } = await import('../state/open-state.ts');
        const state = await openStateStore(config, { cwd });
        opened.set(area, state);
        closers.push({ area, close: () => state.close() });
        return;
      }
      case 'lake': {
        const { openLake } = await import('../lake/open-lake.ts');
        const lake = await openLake(config, { cwd });
        opened.set(area, lake);
        closers.push({ area, close: () => lake.close() });
        return;
      }
      case 'metadata': {
        const { openMetadataStore } = await import('../metadata/open-metadata.ts');
        const metadata = await openMetadataStore(config, { cwd });
        opened.set(area, metadata);
        closers.push({ area, close: () => metadata.close() });
        return;
      }
    }
  };

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    const errors: unknown[] = [];
    for (const { area, close: closeArea } of closers.reverse()) {
      try {
        await closeArea();
      } catch (error) {
        logger.error({ area, err: error }, `runtime: closing the ${area} failed`);
        errors.push(error);
      }
    }
    if (errors.length > 0) throw errors[0];
  };

  try {
    for (const area of ORDER) if (options.areas.includes(area)) await openOne(area);
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }

  const get = <T>(area: Area): T => {
    if (!opened.has(area)) throw new TributaryError('INTERNAL', `the runtime was opened without the ${area}; open it first (runtime.open('${area}'))`);
    return opened.get(area) as T;
  };

  const runtime: Runtime = {
    config,
    cwd,
    logger,
    get log() {
      return get<Log>('log');
    },
    get lake() {
      return get<Lake>('lake');
    },
    get state() {
      return get<StateStore>('state');
    },
    get metadata() {
      return get<MetadataStore>('metadata');
    },
    get metrics() {
      return get<Metrics>('metrics');
    },
    has: (area) => opened.has(area),
    open: openOne,
    sinkFor: (table, job) => createSink(config, table, { job }, { cwd }),
    context(pipeline, server) {
      return {
        pipeline,
        get log() {
          return runtime.log;
        },
        get lake() {
          return runtime.lake;
        },
        get state() {
          return runtime.state;
        },
        logger: logger.child({ pipeline }),
        sinkFor: (table, job) => runtime.sinkFor(table, job),
        queryTable: (zone, dataset, sql, options) => queryLakeTable(config, cwd, zone, dataset, sql, options?.asOf),
        withTables: (fn) => withLakeTables(config, cwd, fn),
        ...(server === undefined ? {} : { serverUrl: server.url }),
        ...(server?.apiKey === undefined ? {} : { apiKey: server.apiKey }),
      };
    },
    close,
  };
  return runtime;
}
