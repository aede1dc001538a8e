/**
 * Prometheus metrics of a running pipeline process beyond the stream jobs' (stream-metrics.ts): the
 * ingest API, the log, every supervised part, the batch jobs and the stores, on the registry the
 * server exposes on /metrics.
 *
 * Most values are read when the registry is scraped, from the parts' live status, the log's admin
 * API and the metadata store's run history, so the hot path pays nothing; only the ingest counter is
 * incremented as requests are accepted.
 *
 * Metrics:
 * - `tributary_ingest_records_total{topic}`: records the ingest API accepted;
 * - `tributary_log_end_offset{topic,partition}`: the next offset of each partition of each topic
 *   (its rate is what the log takes in, from every producer);
 * - `tributary_log_bytes{topic,partition}`: bytes each partition holds on disk (embedded log);
 * - `tributary_log_fsync_seconds{topic}` and `tributary_log_fsync_batches_total{topic}`: each group
 *   fsync of the embedded log (fsync=interval), and the appends it made durable (registerLogSyncMetrics,
 *   on the registry as soon as the runtime opens its metrics);
 * - `tributary_part_up{kind,pipeline,part}`: 1 while a part runs (or ended on its own), 0 while it
 *   restarts after a failure or has failed;
 * - `tributary_part_restarts_total{kind,pipeline,part}`;
 * - `tributary_part_events_total{kind,pipeline,part,event}`: a part's counts (the archiver's
 *   `records` and `files`, a batch job's `runs`, `failedRuns`, `read`, `written`, `quarantined`, a
 *   source's `polls`, ...), as the status line shows them;
 * - `tributary_batch_run_duration_seconds{job,status}`: each finished batch run, once, from the
 *   metadata store's history (so runs started by `tributary batch run` beside the process count too);
 * - `tributary_batch_last_run_timestamp_seconds{job}`: when the job's newest run finished;
 * - `tributary_store_up{store}` and `tributary_store_check_seconds{store}`: whether the log, the
 *   state store and the metadata store answered a cheap request (within 2 s) at the scrape, and how
 *   long it took.
 */
import type * as PromClient from 'prom-client';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SyncEvent } from '../log/embedded/partition-options.ts';
import type { Log, PartitionInfo, TopicDescription } from '../log/log.ts';
import type { MetadataStore } from '../metadata/metadata.ts';
import type { PartStatus } from '../runtime/supervise.ts';
import type { StateStore } from '../state/state.ts';

export interface RuntimeMetricsOptions {
  /** The live status of the process's parts (the array the runtime keeps up to date). */
  parts: readonly PartStatus[];
  log?: Log;
  state?: StateStore;
  metadata?: MetadataStore;
  /** The batch jobs whose run history to report. */
  batchJobs?: readonly string[];
}

export interface RuntimeMetrics {
  /** Count records the ingest API accepted for `topic`. */
  ingested(topic: string, records: number): void;
  /** Releases the log admin client the metrics read through. */
  close(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 2000;
/** Runs read from the history per job and scrape; more than a job runs between two scrapes. */
const HISTORY = 50;

export async function registerRuntimeMetrics(registry: Registry, options: RuntimeMetricsOptions): Promise<RuntimeMetrics> {
  const client: typeof PromClient = await import('prom-client');
  const registers = [registry];
  const { parts } = options;
  const labels = (p: PartStatus) => ({ kind: p.kind, pipeline: p.pipeline ?? '', part: p.name });

  const ingest = new client.Counter({ name: 'tributary_ingest_records_total', help: 'Records the ingest API accepted, per topic.', labelNames: ['topic'] as const, registers });

  const admin = options.log?.admin();
  // One description of the topics per scrape, shared by the offset and byte gauges (a scrape starts
  // every metric's collect in the same tick).
  let described: Promise<TopicDescription[]> | undefined;
  const describeAll = (): Promise<TopicDescription[]> => {
    if (!admin) return Promise.resolve([]);
    if (!described) {
      const names = admin.listTopics();
      described = names.then(async (all) => (await Promise.all(all.map((t) => admin.describeTopic(t).catch(() => undefined)))).filter((d) => d !== undefined));
      setImmediate(() => (described = undefined));
    }
    return described;
  };
  const partitionGauge = (name: string, help: string, value: (p: PartitionInfo) => number | undefined) =>
    new client.Gauge({
      name,
      help,
      labelNames: ['topic', 'partition'] as const,
      registers,
      async collect(this: Gauge<'topic' | 'partition'>) {
        const topics = await describeAll();
        this.reset();
        for (const t of topics) {
          for (const p of t.partitions) {
            const v = value(p);
            if (v !== undefined) this.set({ topic: t.name, partition: String(p.partition) }, v);
          }
        }
      },
    });
  partitionGauge('tributary_log_end_offset', 'The next offset of each partition of each topic of the log.', (p) => p.endOffset);
  partitionGauge('tributary_log_bytes', 'Bytes each partition of the embedded log holds on disk.', (p) => p.bytes);

  new client.Gauge({
    name: 'tributary_part_up',
    help: 'Whether a part runs (1) or is restarting after a failure or failed (0).',
    labelNames: ['kind', 'pipeline', 'part'] as const,
    registers,
    collect(this: Gauge<'kind' | 'pipeline' | 'part'>) {
      this.reset();
      for (const p of parts) this.set(labels(p), p.state === 'restarting' || p.state === 'failed' ? 0 : 1);
    },
  });

  const reported = new Map<string, number>();
  const catchUp = (counter: Counter<string>, id: string, labelValues: Record<string, string>, value: number) => {
    const delta = value - (reported.get(id) ?? 0);
    // A zero is reported too, so a query over a count that has not moved yet still finds its series.
    if (delta > 0 || !reported.has(id)) counter.inc(labelValues, Math.max(0, delta));
    reported.set(id, Math.max(value, reported.get(id) ?? 0));
  };
  new client.Counter({
    name: 'tributary_part_restarts_total',
    help: 'Restarts of a part after a failure.',
    labelNames: ['kind', 'pipeline', 'part'] as const,
    registers,
    collect(this: Counter<'kind' | 'pipeline' | 'part'>) {
      for (const p of parts) catchUp(this, `restarts\u0000${p.kind}\u0000${p.pipeline ?? ''}\u0000${p.name}`, labels(p), p.restarts);
    },
  });
  new client.Counter({
    name: 'tributary_part_events_total',
    help: "A part's counts as its status shows them (records, files, runs, ...).",
    labelNames: ['kind', 'pipeline', 'part', 'event'] as const,
    registers,
    collect(this: Counter<'kind' | 'pipeline' | 'part' | 'event'>) {
      for (const p of parts) {
        for (const [event, value] of Object.entries(p.counts)) catchUp(this, `events\u0000${p.kind}\u0000${p.pipeline ?? ''}\u0000${p.name}\u0000${event}`, { ...labels(p), event }, value);
      }
    },
  });

  const seenRuns = new Set<string>();
  const durations: Histogram<'job' | 'status'> = new client.Histogram({
    name: 'tributary_batch_run_duration_seconds',
    help: 'Seconds each finished batch run took, from the run history.',
    labelNames: ['job', 'status'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
    registers,
    async collect() {
      const { metadata } = options;
      if (!metadata) return;
      for (const job of options.batchJobs ?? []) {
        const runs = await metadata.runs(job, { limit: HISTORY }).catch(() => []);
        const finished = runs.filter((r) => r.finished !== undefined);
        for (const run of finished.reverse()) {
          if (seenRuns.has(run.runId)) continue;
          seenRuns.add(run.runId);
          durations.observe({ job, status: run.status }, Math.max(0, run.finished!.getTime() - run.started.getTime()) / 1000);
        }
      }
    },
  });

  new client.Gauge({
    name: 'tributary_batch_last_run_timestamp_seconds',
    help: "When the job's newest finished run finished (Unix seconds).",
    labelNames: ['job'] as const,
    registers,
    async collect(this: Gauge<'job'>) {
      const { metadata } = options;
      if (!metadata) return;
      for (const job of options.batchJobs ?? []) {
        const newest = (await metadata.runs(job, { limit: HISTORY }).catch(() => [])).find((r) => r.finished !== undefined);
        if (newest) this.set({ job }, newest.finished!.getTime() / 1000);
      }
    },
  });

  const checks: Array<[string, () => Promise<unknown>]> = [];
  if (admin) checks.push(['log', () => admin.listTopics()]);
  if (options.state) checks.push(['state', () => options.state!.get('tributary.health', 'probe')]);
  if (options.metadata) checks.push(['metadata', () => options.metadata!.runs('tributary.health', { limit: 1 })]);
  const checkSeconds = new client.Gauge({ name: 'tributary_store_check_seconds', help: "Seconds the store took to answer the scrape's health check.", labelNames: ['store'] as const, registers });
  new client.Gauge({
    name: 'tributary_store_up',
    help: 'Whether the store answered a cheap request within 2 s at the scrape (1) or not (0).',
    labelNames: ['store'] as const,
    registers,
    async collect(this: Gauge<'store'>) {
      await Promise.all(
        checks.map(async ([store, check]) => {
          const started = performance.now();
          const up = await withTimeout(check(), CHECK_TIMEOUT_MS).then(() => 1, () => 0);
          this.set({ store }, up);
          checkSeconds.set({ store }, (performance.now() - started) / 1000);
        }),
      );
    },
  });

  return { ingested: (topic, records) => ingest.inc({ topic }, records), close: async () => void (await admin?.close()) };
}

/** The embedded log's group fsyncs: returns what the log calls after each. */
export async function registerLogSyncMetrics(registry: Registry): Promise<(event: SyncEvent) => void> {
  const client: typeof PromClient = await import('prom-client');
  const registers = [registry];
  const seconds = new client.Histogram({
    name: 'tributary_log_fsync_seconds',
    help: 'Seconds each group fsync of a partition of the embedded log took.',
    labelNames: ['topic'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers,
  });
  const batches = new client.Counter({ name: 'tributary_log_fsync_batches_total', help: 'Appends the group fsyncs of the embedded log made durable.', labelNames: ['topic'] as const, registers });
  return (event) => {
    seconds.observe({ topic: event.topic }, event.ms / 1000);
    batches.inc({ topic: event.topic }, event.batches);
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
