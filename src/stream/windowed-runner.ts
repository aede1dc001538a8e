/**
 * Runs a keyed, windowed stream job in two stages, as Kafka Streams does:
 *
 * 1. repartition: the pipeline's output goes to `<job>.repartition`, keyed by the window key, so
 *    every record of a key reaches the same partition (a stateless job, see runner.ts);
 * 2. windows: one window operator per partition of that topic, driven by one watermark across the
 *    partitions (an idle partition does not hold it back); results are upserted into the sink, and
 *    records too late for every window go to `<job>.late`.
 *
 * Checkpoints: every `checkpointMs`, after the results so far are written to the sink and the late
 * records to the log, each partition's operator snapshot and the next offset it reflects are
 * committed to the state store in one atomic step. A worker that takes over a partition (after a
 * restart or a rebalance) restores its operator from that checkpoint and replays the records after
 * it; the results it emits again are the same rows, upserted, so the sink ends up exact.
 *
 * Values cross the repartition topic as JSON: the values windows see are what JSON gives back.
 */
import type { Log, LogRecord, ProducerRecord } from '../log/log.ts';
import { LATENCY_SAMPLE_EVERY, type StreamMetrics } from '../metrics/stream-metrics.ts';
import type { Row, Sink } from '../sinks/sink.ts';
import type { StateStore } from '../state/state.ts';
import type { Pipeline, RecordContext } from './pipeline.ts';
import { runStreamJob, type JobCounts } from './runner.ts';
import type { Aggregator } from './time/aggregate.ts';
import { WatermarkGenerator } from './time/watermark.ts';
import { WindowOperator, type WindowResult } from './time/window-operator.ts';
import type { WindowSpec } from './time/windows.ts';

export interface WindowedJob<T, A, R> {
  name: string;
  pipeline: Pipeline<T>;
  keyBy: (value: T) => string;
  /** Event time of a value; default: the record's timestamp. */
  eventTime?: (value: T, ctx: RecordContext) => number;
  window: WindowSpec;
  aggregator: Aggregator<T, A, R>;
  allowedLatenessMs?: number;
  maxOutOfOrdernessMs?: number;
  idleTimeoutMs?: number;
  sink: Sink;
  /** The row a window result becomes; its key columns must include the window key and the window. */
  row: (result: WindowResult<R>) => Row;
  checkpointMs?: number;
}

export interface WindowedCounts {
  stage1: JobCounts;
  windows: { in: number; late: number; results: number; checkpoints: number };
}

export interface WindowedRunOptions {
  log: Log;
  state: StateStore;
  signal?: AbortSignal;
  /** Processing time, for idleness; injectable for tests. */
  now?: () => number;
  onCheckpoint?: (counts: WindowedCounts) => void;
  /** Where both stages report their counts and lag, the window stage its watermark and latency. */
  metrics?: StreamMetrics;
}

export function repartitionTopic(job: string): string {
  return `${job}.repartition`;
}

export async function runWindowedJob<T, A, R>(job: WindowedJob<T, A, R>, options: WindowedRunOptions): Promise<WindowedCounts> {
  const topic = repartitionTopic(job.name);
  const source = await options.log.admin().describeTopic(job.pipeline.topic);
  const admin = options.log.admin();
  if (!(await admin.listTopics()).includes(topic)) await admin.createTopic(topic, { partitions: source.partitions.length });
  await admin.close();

  const eventTime = job.eventTime ?? ((_v: T, ctx: RecordContext) => ctx.timestamp);
  // A stage that fails stops the other, so a failed worker leaves both groups and others take its partitions.
  const failed = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, failed.signal]) : failed.signal;
  const stopOnFailure = <X>(stage: Promise<X>) => stage.catch((error: unknown) => { failed.abort(); throw error; });
  const stage1 = stopOnFailure(runStreamJob(
    {
      name: job.name,
      // `from`/`source`: the input partition and offset, so the windows stage can drop what stage 1 sent twice.
      pipeline: job.pipeline.map((value, ctx) => ({ value, time: eventTime(value, ctx), from: ctx.partition, source: ctx.offset }), 'event-time'),
      output: { kind: 'topic', topic, key: (v) => job.keyBy(v.value) },
      batchMs: 50,
    },
    { log: options.log, signal, ...(options.metrics && { metrics: options.metrics }) },
  ));
  const windows = stopOnFailure(runWindows(job, topic, { ...options, signal }));
  const [stage1Counts, windowCounts] = await Promise.allSettled([stage1, windows]);
  if (stage1Counts.status === 'rejected') throw stage1Counts.reason;
  if (windowCounts.status === 'rejected') throw windowCounts.reason;
  return { stage1: stage1Counts.value, windows: windowCounts.value };
}

interface Checkpoint {
  position: number;
  operator: unknown;
  /** Input partition → the last input offset applied to this partition's operator. */
  sources?: Record<string, number>;
}

async function runWindows<T, A, R>(job: WindowedJob<T, A, R>, topic: string, options: WindowedRunOptions): Promise<WindowedCounts['windows']> {
  const now = options.now ?? Date.now;
  const namespace = `job.${job.name}.windows`;
  const counts = { in: 0, late: 0, results: 0, checkpoints: 0 };
  const watermarks = new WatermarkGenerator({ maxOutOfOrdernessMs: job.maxOutOfOrdernessMs ?? 1000, idleTimeoutMs: job.idleTimeoutMs ?? 5000 });
  const operators = new Map<number, WindowOperator<T, A, R>>();
  const positions = new Map<number, number>();
  const applied = new Map<number, Map<number, number>>();
  const consumer = options.log.consumer({ group: `job.${job.name}.windows`, topics: [topic] });
  const producer = options.log.producer();
  await job.sink.open();
  let rows: Row[] = [];
  let late: ProducerRecord[] = [];
  let lastCheckpoint = now();
  /** Append timestamps of sampled records whose results the next checkpoint makes durable. */
  let sampled: number[] = [];
  const unregister = options.metrics?.register(job.name, {
    operators: () => [{ step: 'windows', counts: { in: counts.in, late: counts.late, out: counts.results } }],
    groups: [`job.${job.name}.windows`],
    watermark: () => (operators.size === 0 ? undefined : watermarks.current(now())),
  });

  const checkpoint = async () => {
    if (late.length > 0) await producer.send(late);
    if (rows.length > 0) await job.sink.write({ rows, positions: [] });
    const owned = new Set(consumer.assignment().map((tp) => tp.partition));
    const changes = new Map<string, Buffer | undefined>();
    for (const [partition, operator] of operators) {
      // A partition another worker owns now is its to checkpoint.
      if (!owned.has(partition)) continue;
      const state: Checkpoint = { position: positions.get(partition) ?? 0, operator: operator.snapshot(), sources: Object.fromEntries(applied.get(partition) ?? []) };
      changes.set(`partition/${partition}`, Buffer.from(JSON.stringify(state)));
    }
    if (changes.size > 0) await options.state.commit(namespace, changes);
    await consumer.commit([...positions].filter(([p]) => owned.has(p)).map(([partition, offset]) => ({ topic, partition, offset })));
    options.metrics?.observeDurable(job.name, sampled);
    rows = [];
    late = [];
    sampled = [];
    lastCheckpoint = now();
    counts.checkpoints++;
    options.onCheckpoint?.({ stage1: { in: 0, out: 0, filtered: 0, deadLettered: 0, steps: new Map() }, windows: counts });
  };

  try {
    while (!options.signal?.aborted) {
      const records = await consumer.poll(100);
      const sought = await adoptPartitions();
      for (const record of records) if (!sought.has(record.partition)) take(record);
      const at = now();
      const watermark = watermarks.current(at);
      for (const [partition, operator] of operators) {
        // A partition taken over from another worker may be behind this worker's watermark: until it
        // has caught up (or gone idle), its operator moves no further than its own records allow.
        const own = watermarks.isIdle(partition, at) ? watermark : Math.min(watermark, watermarks.partitionWatermark(partition));
        emit(operator.advanceWatermark(own));
      }
      if (now() - lastCheckpoint >= (job.checkpointMs ?? 1000)) await checkpoint();
    }
    await checkpoint();
  } finally {
    await consumer.close();
    await producer.close();
    await job.sink.close();
    unregister?.();
  }
  return counts;

  /** Restore operators for partitions just assigned; drop those taken away. Returns the partitions sought. */
  async function adoptPartitions(): Promise<Set<number>> {
    const assigned = new Set(consumer.assignment().map((tp) => tp.partition));
    for (const partition of [...operators.keys()]) {
      if (assigned.has(partition)) continue;
      operators.delete(partition);
      positions.delete(partition);
      applied.delete(partition);
      watermarks.remove(partition);
    }
    const sought = new Set<number>();
    for (const partition of assigned) {
      if (operators.has(partition)) continue;
      const saved = await options.state.get(namespace, `partition/${partition}`);
      const options_ = { allowedLatenessMs: job.allowedLatenessMs ?? 0 };
      if (saved) {
        const checkpoint = JSON.parse(saved.toString('utf8')) as Checkpoint;
        operators.set(partition, WindowOperator.restore(checkpoint.operator, job.window, job.aggregator, options_));
        positions.set(partition, checkpoint.position);
        applied.set(partition, new Map(Object.entries(checkpoint.sources ?? {}).map(([from, offset]) => [Number(from), offset])));
        await consumer.seek(topic, partition, { offset: checkpoint.position });
        sought.add(partition);
      } else {
        operators.set(partition, new WindowOperator(job.window, job.aggregator, options_));
        applied.set(partition, new Map());
      }
      watermarks.register(partition, now());
    }
    return sought;
  }

  function take(record: LogRecord): void {
    const operator = operators.get(record.partition);
    if (!operator) return;
    positions.set(record.partition, record.offset + 1);
    const { value, time, from, source } = JSON.parse(record.value?.toString('utf8') ?? 'null') as { value: T; time: number; from: number; source: number };
    // Stage 1 is at-least-once: after a rebalance it may send an input record again. Each input
    // partition's records arrive here in offset order, a repeat within a run of them, so one
    // offset per input partition is enough to skip repeats.
    const sources = applied.get(record.partition)!;
    if ((sources.get(from) ?? -1) >= source) return;
    sources.set(from, source);
    if (counts.in++ % LATENCY_SAMPLE_EVERY === 0) sampled.push(record.timestamp);
    watermarks.observe(record.partition, time, now());
    if (operator.process(record.key?.toString('utf8') ?? '', time, value) === 'late') {
      counts.late++;
      late.push({ topic: `${job.name}.late`, key: record.key, value: Buffer.from(JSON.stringify(value)), timestamp: time });
    }
  }

  function emit(results: WindowResult<R>[]): void {
    for (const result of results) {
      rows.push(job.row(result));
      counts.results++;
    }
  }
}
