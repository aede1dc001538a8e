/**
 * Prometheus metrics of stream jobs, on a prom-client registry the caller owns (the HTTP server
 * exposes it on /metrics).
 *
 * Jobs register a probe: counts and lags are read from it when the registry is scraped, so the hot
 * path pays nothing for them. Only the event → sink latency is observed as records go, on a sample
 * of them (see `LATENCY_SAMPLE_EVERY`).
 *
 * Metrics:
 * - `tributary_stream_records_total{job,step,outcome}`: records per operator (`step`: a pipeline
 *   step's name, `job` for the job as a whole, `windows` for a windowed job's window stage) and
 *   outcome (`in`, `out`, `filtered`, `dead_lettered`, `late`);
 * - `tributary_stream_event_to_sink_seconds{job}`: from a record's append to the log until its result
 *   was durable in the sink or output topic;
 * - `tributary_stream_watermark_lag_seconds{job}`: processing time minus the job's event-time watermark;
 * - `tributary_stream_consumer_lag_records{job,group,topic,partition}`: end offset minus the group's
 *   committed offset.
 */
import type * as PromClient from 'prom-client';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PartitionLag } from '../log/log.ts';

/** One in this many records is timed from append to sink. */
export const LATENCY_SAMPLE_EVERY = 16;

export type Outcome = 'in' | 'out' | 'filtered' | 'dead_lettered' | 'late';

export interface OperatorCounts {
  step: string;
  counts: Partial<Record<Outcome, number>>;
}

/** What a running job tells the metrics when they are scraped. */
export interface JobProbe {
  operators(): OperatorCounts[];
  /** The consumer groups whose lag to report. */
  groups?: readonly string[];
  /** The job's event-time watermark (ms), when it has one. */
  watermark?(): number | undefined;
}

export interface StreamMetricsOptions {
  /** Reads a group's lag; typically `log.admin().groupLag`. */
  groupLag?: (group: string) => Promise<PartitionLag[]>;
  now?: () => number;
}

export class StreamMetrics {
  /** Registered probes and the job each reports for; a job may have several (a windowed job's two stages). */
  private readonly probes = new Map<JobProbe, string>();
  /** Per job, step and outcome: the count already added to the counter. */
  private readonly reported = new Map<string, number>();
  private readonly latency: Histogram<'job'>;

  static async create(registry: Registry, options: StreamMetricsOptions = {}): Promise<StreamMetrics> {
    const client = await import('prom-client');
    return new StreamMetrics(client, registry, options);
  }

  private constructor(client: typeof PromClient, registry: Registry, options: StreamMetricsOptions) {
    const now = options.now ?? Date.now;
    const probes = this.probes;
    const reported = this.reported;
    const registers = [registry];
    new client.Counter({
      name: 'tributary_stream_records_total',
      help: 'Records per stream job, operator and outcome.',
      labelNames: ['job', 'step', 'outcome'] as const,
      registers,
      collect(this: Counter<'job' | 'step' | 'outcome'>) {
        for (const [probe, job] of probes) {
          for (const { step, counts } of probe.operators()) {
            for (const [outcome, value] of Object.entries(counts)) {
              const id = `${job}\u0000${step}\u0000${outcome}`;
              const delta = value - (reported.get(id) ?? 0);
              if (delta > 0) this.inc({ job, step, outcome }, delta);
              reported.set(id, value);
            }
          }
        }
      },
    });
    this.latency = new client.Histogram({
      name: 'tributary_stream_event_to_sink_seconds',
      help: `Seconds from a record's append to the log until its result was durable in the sink (one in ${LATENCY_SAMPLE_EVERY} records).`,
      labelNames: ['job'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    new client.Gauge({
      name: 'tributary_stream_watermark_lag_seconds',
      help: "Processing time minus the job's event-time watermark.",
      labelNames: ['job'] as const,
      registers,
      collect(this: Gauge<'job'>) {
        this.reset();
        for (const [probe, job] of probes) {
          const watermark = probe.watermark?.();
          if (watermark !== undefined && Number.isFinite(watermark)) this.set({ job }, Math.max(0, now() - watermark) / 1000);
        }
      },
    });
    const groupLag = options.groupLag;
    new client.Gauge({
      name: 'tributary_stream_consumer_lag_records',
      help: "End offset minus the group's committed offset, per partition.",
      labelNames: ['job', 'group', 'topic', 'partition'] as const,
      registers,
      async collect(this: Gauge<'job' | 'group' | 'topic' | 'partition'>) {
        this.reset();
        if (!groupLag) return;
        for (const [probe, job] of probes) {
          for (const group of probe.groups ?? []) {
            for (const lag of await groupLag(group)) this.set({ job, group, topic: lag.topic, partition: String(lag.partition) }, lag.lag);
          }
        }
      },
    });
  }

  /** Report a job's counts and lags from now on; returns the call that stops it. */
  register(job: string, probe: JobProbe): () => boolean {
    this.probes.set(probe, job);
    return () => this.probes.delete(probe);
  }

  /** Record append → sink latencies, given the append timestamps (ms) of sampled records now durable. */
  observeDurable(job: string, appendTimestamps: readonly number[], now = Date.now()): void {
    for (const timestamp of appendTimestamps) this.latency.observe({ job }, Math.max(0, now - timestamp) / 1000);
  }
}
