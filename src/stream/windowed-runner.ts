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
 * Sessions that merge: a session window that was emitted and then grew or merged lives on as a new
 * window whose result lists the old ones in `supersedes`. Their rows are deleted in the same
 * checkpoint write that upserts the new row, so the table holds exactly the current sessions. The
 * delete of a window is `row({ ...result, window })` reduced to the table's key columns, which the
 * job gives as `key`. Between checkpoints changes are collected by key, the last one winning
 * (sinks/pending-write.ts): a row emitted and superseded before a checkpoint is only deleted, a key
 * deleted and emitted again only upserted.
 *
 * Early results: with `earlyFiringMs`, a key whose open windows took records gets their current
 * results emitted (`final: false`) at most every `earlyFiringMs` of processing time, before the
 * watermark reaches them. The first record of a key after its last early emission registers a
 * processing-time timer in the partition's operator at `now + earlyFiringMs`; the loop fires due
 * timers on every turn. Timers are part of the operator snapshot, so a restored partition fires the
 * ones its checkpoint held (at once, if their time has passed).
 *
 * Values cross the repartition topic as JSON: the values windows see are what JSON gives back.
 */
import { TributaryError } from '../errors.ts';
import type { Log, LogRecord, ProducerRecord } from '../log/log.ts';
import { LATENCY_SAMPLE_EVERY, type StreamMetrics } from '../metrics/stream-metrics.ts';
import { PendingWrite } from '../sinks/pending-write.ts';
import type { Row, Sink } from '../sinks/sink.ts';
import type { StateStore } from '../state/state.ts';
import type { Pipeline, RecordContext } from './pipeline.ts';
import { runStreamJob, type JobCounts } from './runner.ts';
import type { Aggregator } from './time/aggregate.ts';
import { SourceWatermarks, type SourceMarksSnapshot } from './time/source-watermarks.ts';
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
  /**
   * The sink table's key columns (a worker passes its TableSpec's), by which the rows of superseded
   * session windows are deleted. Required for session windows.
   */
  key?: readonly string[];
  checkpointMs?: number;
  /**
   * Emit the results of windows still open, per key, at most this often in processing time (off by
   * default); the rows are written with the next checkpoint.
   */
  earlyFiringMs?: number;
}

export interface WindowedCounts {
  stage1: JobCounts;
  windows: { in: number; late: number; results: number; checkpoints: number };
}

export interface WindowedRunOptions {
  log: Log;
  state: StateStore;
  signal?: AbortSignal;
  /** Processing time, for checkpoints and early-firing timers; injectable for tests. */
  now?: () => number;
  onCheckpoint?: (counts: WindowedCounts) => void;
  /** Where both stages report their counts and lag, the window stage its watermark and latency. */
  metrics?: StreamMetrics;
}

export function repartitionTopic(job: string): string {
  return `${job}.repartition`;
}

export async function runWindowedJob<T, A, R>(job: WindowedJob<T, A, R>, options: WindowedRunOptions): Promise<WindowedCounts> {
  const early = job.earlyFiringMs;
  if (early !== undefined && (!Number.isSafeInteger(early) || early <= 0)) {
    throw new TributaryError('CONFIG_INVALID', `stream job "${job.name}": earlyFiringMs must be a positive integer of milliseconds: got ${String(early)}`);
  }
  if (job.window.kind === 'session' && !(Array.isArray(job.key) && job.key.length > 0)) {
    throw new TributaryError('CONFIG_INVALID', `stream job "${job.name}": session windows need \`key\`, the sink table's key columns, to delete the rows of sessions that merge`);
  }
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
  const progress = new InputProgress(topic, source.partitions.length, job.idleTimeoutMs ?? 5000, options.log, `job.${job.name}`);
  const stage1 = stopOnFailure(runStreamJob(
    {
      name: job.name,
      // `from`/`source`: the input partition and offset, so the windows stage can drop what stage 1 sent twice.
      pipeline: job.pipeline.map((value, ctx) => {
        const time = eventTime(value, ctx);
        progress.saw(ctx.partition, time);
        return { value, time, from: ctx.partition, source: ctx.offset };
      }, 'event-time'),
      output: { kind: 'topic', topic, key: (v) => job.keyBy(v.value) },
      batchMs: 50,
      afterPoll: (assigned) => progress.markers(assigned),
    },
    { log: options.log, signal, ...(options.metrics && { metrics: options.metrics }) },
  ));
  const windows = stopOnFailure(runWindows(job, topic, source.partitions.length, { ...options, signal }));
  const [stage1Counts, windowCounts] = await Promise.allSettled([stage1, windows]).finally(() => progress.close());
  if (stage1Counts.status === 'rejected') throw stage1Counts.reason;
  if (windowCounts.status === 'rejected') throw windowCounts.reason;
  return { stage1: stage1Counts.value, windows: windowCounts.value };
}

interface Checkpoint {
  position: number;
  operator: unknown;
  /** Input partition → the last input offset applied to this partition's operator. */
  sources?: Record<string, number>;
  /** Input partition → its progress as this partition's markers and records showed it. */
  marks?: SourceMarksSnapshot;
}

/** What stage 1 sends to every repartition partition: an input partition's progress. */
interface Marker {
  marker: { from: number; time?: number; idle?: boolean };
}

/** The tag of early-firing timers in a window operator. */
const EARLY_FIRING = 'early';

/** How often stage 1 sends progress markers. */
const MARKER_INTERVAL_MS = 100;

/**
 * Stage 1's view of its input partitions, turned into markers (see source-watermarks.ts). An input
 * partition is idle once it has had no record for the idle timeout and the group has nothing left
 * to read in it; the second condition keeps a partition whose backlog is still being fetched (just
 * taken over after a rebalance) from being declared idle.
 */
class InputProgress {
  readonly #topic: string;
  readonly #outputs: number;
  readonly #idleTimeoutMs: number;
  readonly #seen = new Map<number, { max: number | null; at: number }>();
  readonly #caughtUp = new Set<number>();
  readonly #lagTimer: NodeJS.Timeout;
  #lastMarkers = 0;

  constructor(topic: string, outputs: number, idleTimeoutMs: number, log: Log, group: string) {
    this.#topic = topic;
    this.#outputs = outputs;
    this.#idleTimeoutMs = idleTimeoutMs;
    const admin = log.admin();
    let checking = false;
    this.#lagTimer = setInterval(() => {
      if (checking) return;
      checking = true;
      admin
        .groupLag(group)
        .then((lags) => {
          this.#caughtUp.clear();
          for (const lag of lags) if (lag.lag === 0) this.#caughtUp.add(lag.partition);
        })
        .catch(() => this.#caughtUp.clear())
        .finally(() => (checking = false));
    }, Math.min(500, Math.max(50, idleTimeoutMs / 2)));
    this.#lagTimer.unref();
    this.close = async () => {
      clearInterval(this.#lagTimer);
      await admin.close();
    };
  }

  close: () => Promise<void>;

  saw(partition: number, time: number): void {
    const seen = this.#seen.get(partition);
    const now = Date.now();
    if (seen === undefined) this.#seen.set(partition, { max: time, at: now });
    else {
      seen.max = seen.max === null ? time : Math.max(seen.max, time);
      seen.at = now;
    }
  }

  markers(assigned: ReadonlySet<number>): ProducerRecord[] {
    const now = Date.now();
    if (now - this.#lastMarkers < MARKER_INTERVAL_MS) return [];
    this.#lastMarkers = now;
    const out: ProducerRecord[] = [];
    for (const from of this.#seen.keys()) if (!assigned.has(from)) this.#seen.delete(from);
    for (const from of assigned) {
      let seen = this.#seen.get(from);
      // Newly assigned: its idle timeout starts now.
      if (seen === undefined) this.#seen.set(from, (seen = { max: null, at: now }));
      const idle = now - seen.at >= this.#idleTimeoutMs && this.#caughtUp.has(from);
      if (!idle && seen.max === null) continue;
      const marker: Marker = { marker: idle ? { from, idle: true } : { from, time: seen.max! } };
      const value = Buffer.from(JSON.stringify(marker));
      for (let partition = 0; partition < this.#outputs; partition++) out.push({ topic: this.#topic, partition, key: null, value });
    }
    return out;
  }
}

async function runWindows<T, A, R>(job: WindowedJob<T, A, R>, topic: string, inputs: number, options: WindowedRunOptions): Promise<WindowedCounts['windows']> {
  const now = options.now ?? Date.now;
  const namespace = `job.${job.name}.windows`;
  const counts = { in: 0, late: 0, results: 0, checkpoints: 0 };
  const outOfOrderness = job.maxOutOfOrdernessMs ?? 1000;
  /** Per partition of the repartition topic, its input partitions' progress: its watermark. */
  const marks = new Map<number, SourceWatermarks>();
  const operators = new Map<number, WindowOperator<T, A, R>>();
  const positions = new Map<number, number>();
  const applied = new Map<number, Map<number, number>>();
  /** Per partition, the keys with an early-firing timer pending in its operator. */
  const scheduled = new Map<number, Set<string>>();
  const consumer = options.log.consumer({ group: `job.${job.name}.windows`, topics: [topic] });
  const producer = options.log.producer();
  await job.sink.open();
  const pending = new PendingWrite(job.key);
  let late: ProducerRecord[] = [];
  let lastCheckpoint = now();
  const checkpointMs = job.checkpointMs ?? 1000;
  /** Append timestamps of sampled records whose results the next checkpoint makes durable. */
  let sampled: number[] = [];
  const unregister = options.metrics?.register(job.name, {
    operators: () => [{ step: 'windows', counts: { in: counts.in, late: counts.late, out: counts.results } }],
    groups: [`job.${job.name}.windows`],
    watermark: () => (marks.size === 0 ? undefined : Math.min(...[...marks.values()].map((m) => m.current()))),
  });

  const checkpoint = async () => {
    if (late.length > 0) await producer.send(late);
    if (pending.size > 0) await job.sink.write({ ...pending.take(), positions: [] });
    const owned = new Set(consumer.assignment().map((tp) => tp.partition));
    const changes = new Map<string, Buffer | undefined>();
    for (const [partition, operator] of operators) {
      // A partition another worker owns now is its to checkpoint.
      if (!owned.has(partition)) continue;
      const state: Checkpoint = { position: positions.get(partition) ?? 0, operator: operator.snapshot(), sources: Object.fromEntries(applied.get(partition) ?? []), marks: marks.get(partition)!.snapshot() };
      changes.set(`partition/${partition}`, Buffer.from(JSON.stringify(state)));
    }
    if (changes.size > 0) await options.state.commit(namespace, changes);
    await consumer.commit([...positions].filter(([p]) => owned.has(p)).map(([partition, offset]) => ({ topic, partition, offset })));
    options.metrics?.observeDurable(job.name, sampled);
    late = [];
    sampled = [];
    lastCheckpoint = now();
    counts.checkpoints++;
    options.onCheckpoint?.({ stage1: { in: 0, out: 0, filtered: 0, deadLettered: 0, steps: new Map() }, windows: counts });
  };

  try {
    while (!options.signal?.aborted) {
      // Wait no longer than the next checkpoint is due, so that it is taken on time when input pauses.
      const records = await consumer.poll(Math.max(1, Math.min(100, checkpointMs - (now() - lastCheckpoint))));
      const sought = await adoptPartitions();
      for (const record of records) if (!sought.has(record.partition)) take(record);
      // Each partition's watermark is its own: the least progress of the input partitions feeding it,
      // as its records and markers show, so a partition taken over and replayed catches up by itself.
      for (const [partition, operator] of operators) emit(operator.advanceWatermark(marks.get(partition)!.current()));
      if (job.earlyFiringMs !== undefined) fireEarly(now());
      if (now() - lastCheckpoint >= checkpointMs) await checkpoint();
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
      marks.delete(partition);
      scheduled.delete(partition);
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
        marks.set(partition, new SourceWatermarks(inputs, outOfOrderness, checkpoint.marks));
        scheduled.set(partition, new Set(operators.get(partition)!.timers().filter((t) => t.tag === EARLY_FIRING).map((t) => t.key)));
        await consumer.seek(topic, partition, { offset: checkpoint.position });
        sought.add(partition);
      } else {
        operators.set(partition, new WindowOperator(job.window, job.aggregator, options_));
        applied.set(partition, new Map());
        marks.set(partition, new SourceWatermarks(inputs, outOfOrderness));
        scheduled.set(partition, new Set());
      }
    }
    return sought;
  }

  function take(record: LogRecord): void {
    const operator = operators.get(record.partition);
    if (!operator) return;
    positions.set(record.partition, record.offset + 1);
    const parsed = JSON.parse(record.value?.toString('utf8') ?? 'null') as { value: T; time: number; from: number; source: number } | Marker;
    if ('marker' in parsed) {
      const { from, time, idle } = parsed.marker;
      if (idle) marks.get(record.partition)!.idle(from);
      else marks.get(record.partition)!.observe(from, time!);
      return;
    }
    const { value, time, from, source } = parsed;
    // Stage 1 is at-least-once: after a rebalance it may send an input record again. Each input
    // partition's records arrive here in offset order, a repeat within a run of them, so one
    // offset per input partition is enough to skip repeats.
    const sources = applied.get(record.partition)!;
    if ((sources.get(from) ?? -1) >= source) return;
    sources.set(from, source);
    if (counts.in++ % LATENCY_SAMPLE_EVERY === 0) sampled.push(record.timestamp);
    marks.get(record.partition)!.observe(from, time);
    const key = record.key?.toString('utf8') ?? '';
    if (operator.process(key, time, value) === 'late') {
      counts.late++;
      late.push({ topic: `${job.name}.late`, key: record.key, value: Buffer.from(JSON.stringify(value)), timestamp: time });
    } else if (job.earlyFiringMs !== undefined) {
      const keys = scheduled.get(record.partition)!;
      if (!keys.has(key)) {
        operator.registerTimer(key, now() + job.earlyFiringMs, EARLY_FIRING);
        keys.add(key);
      }
    }
  }

  /** Emits the open windows of every key whose early-firing timer is due. */
  function fireEarly(at: number): void {
    for (const [partition, operator] of operators) {
      const keys = scheduled.get(partition)!;
      for (const timer of operator.fireTimers(at)) {
        if (timer.tag !== EARLY_FIRING) continue;
        keys.delete(timer.key);
        emit(operator.emitEarly(timer.key));
      }
    }
  }

  function emit(results: WindowResult<R>[]): void {
    for (const result of results) {
      // Deletes first: under a key of the window start alone, the new row may take an old one's key.
      for (const window of result.supersedes) pending.delete(job.row({ ...result, window }));
      pending.upsert(job.row(result));
      counts.results++;
    }
  }
}
