/**
 * Runs a stateless stream job: read the input topic as consumer group `job.<name>`, run each record
 * through the pipeline, and write the results to the sink in batches together with the positions
 * they bring the job to.
 *
 * Exactly-once with an exactly-once sink: a partition newly assigned to this worker starts at the
 * position stored in the sink (falling back to the group's committed offset), and positions only
 * move when the sink has committed the rows. Dead letters are written to the log before the batch
 * they belong to is committed, so a crash can repeat a dead letter but never lose one.
 *
 * Pipelining: reading and transforming go on while earlier batches are written. Records for topics
 * (outputs, dead letters) are sent as soon as the slice of the poll that produced them is processed,
 * without waiting for the log's acknowledgement (which on the embedded log waits for the next group
 * fsync, up to 50 ms). A batch is committed (rows and positions to the sink, then offsets to the
 * group) only once its sends are durable and the batch before it is committed, so commits go in
 * order and never ahead of what is durable, and sink writes go one at a time. Concurrent sends rely
 * on the log keeping their call order, which both backends do for a topic that exists; the first
 * send to a topic waits for the sends before it, since creating the topic may reorder them. When a
 * write fails the job stops and commits nothing after it; records already sent for later batches
 * are sent again after a restart, like any record read but not committed. Until then, if the log
 * let a later send land after an earlier one failed (a Kafka broker refuses an idempotent producer's
 * batch that would leave such a gap; the embedded log does not, after a failed disk write), a topic
 * holds the later records without the earlier ones.
 *
 * Backpressure: at most three sealed batches wait for their writes while the next one is read
 * (enough to cover the embedded log's fsync interval at full speed); polling then waits for the
 * oldest, so a slow sink or log slows consumption and memory stays bounded by about four batches.
 */
import { TributaryError, isTributaryError } from '../errors.ts';
import type { Log, LogRecord, ProducerRecord, RecordPosition } from '../log/log.ts';
import { LATENCY_SAMPLE_EVERY, type OperatorCounts, type StreamMetrics } from '../metrics/stream-metrics.ts';
import type { Row, Sink } from '../sinks/sink.ts';
import { deadLetter, deadLetterTopic } from './dead-letter.ts';
import type { PipelinePool, ThreadOutcome } from './pipeline-pool.ts';
import type { Pipeline, RecordContext, StepCounts } from './pipeline.ts';

export type JobOutput<T> = { kind: 'table'; sink: Sink; row: (value: T, ctx: RecordContext) => Row } | { kind: 'topic'; topic: string; key?: (value: T) => string | null };

export interface StreamJob<T> {
  name: string;
  pipeline: Pipeline<T>;
  output: JobOutput<T>;
  /** Flush a batch at this many input records or this age, whichever comes first. */
  batchRecords?: number;
  batchMs?: number;
  /**
   * Extra records to send after each poll's outputs, in order with them (the windowed job's
   * watermark markers); given the input partitions this worker reads now.
   */
  afterPoll?: (assigned: ReadonlySet<number>) => ProducerRecord[];
}

export interface JobCounts {
  in: number;
  out: number;
  filtered: number;
  deadLettered: number;
  steps: ReadonlyMap<string, StepCounts>;
}

export interface RunOptions {
  log: Log;
  signal?: AbortSignal;
  /** Sink retries on SINK_UNAVAILABLE before the job stops: delays in ms. */
  retryDelaysMs?: readonly number[];
  /** After each batch is committed, with the counts up to and including that batch. */
  onBatch?: (counts: JobCounts) => void;
  onWarning?: (message: string, details: Record<string, unknown>) => void;
  /** Where the job's counts, lag and event → sink latency are reported. */
  metrics?: StreamMetrics;
  /** Pipeline threads running this job's record-level work (pipeline-pool.ts); without, it runs here. */
  pool?: PipelinePool;
}

/** Sealed batches that may wait for their writes while the next one is read: with two, reading stalls on the fsync interval. */
const MAX_UNCOMMITTED = 3;

/** The records read since the last batch was sealed, and what they turned into. */
interface Batch {
  rows: Row[];
  /** Sends of this batch's outputs and dead letters; caught, so a failure waits for whoever awaits it. */
  sends: Promise<unknown>[];
  /** Per partition, the next offset to read after this batch. */
  positions: Map<number, number>;
  /** The job's counts when the batch was sealed. */
  counts?: JobCounts;
  /** Append timestamps of the records sampled for the latency histogram. */
  sampled: number[];
}

/** Records processed in one go before I/O callbacks get a turn. */
const SLICE = 1000;

const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ignore = () => undefined;

export async function runStreamJob<T>(job: StreamJob<T>, options: RunOptions): Promise<JobCounts> {
  const batchRecords = job.batchRecords ?? 5_000;
  const batchMs = job.batchMs ?? 200;
  const retryDelays = options.retryDelaysMs ?? [100, 200, 400, 800, 1600, 3200];
  const counts = { in: 0, out: 0, filtered: 0, deadLettered: 0, steps: new Map<string, StepCounts>() };
  const topic = job.pipeline.topic;
  const output = job.output;
  const dlq = deadLetterTopic(job.name);
  const sink = output.kind === 'table' ? output.sink : undefined;
  await sink?.open();
  const consumer = options.log.consumer({ group: `job.${job.name}`, topics: [topic], maxRecords: batchRecords });
  const producer = options.log.producer();
  let owned = new Set<number>();
  const unregister = options.metrics?.register(job.name, { operators: () => operatorCounts(counts), groups: [`job.${job.name}`] });

  let batch = newBatch();
  let pending = 0;
  let batchStart = Date.now();
  /** Outputs and dead letters of the poll being processed, sent when it is done. */
  let unsent: ProducerRecord[] = [];
  const unsentTopics = new Set<string>();
  /** Topics a send has reached: sends to them may overlap. */
  const sentTo = new Set<string>();
  const sending = new Set<Promise<unknown>>();
  /** Commits of sealed batches not yet awaited, oldest first. */
  const uncommitted: Promise<void>[] = [];
  let lastWritten: Promise<void> = Promise.resolve();
  let lastCommitted: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | undefined;

  /** With pipeline threads: the previous poll's records, on the threads while the next poll is read. */
  let inflight: { records: readonly LogRecord[]; outcomes: Promise<ThreadOutcome[]> } | undefined;
  const drain = async () => {
    if (!inflight) return;
    const { records, outcomes } = inflight;
    inflight = undefined;
    take(records, 0, records.length, await outcomes);
    if (unsent.length > 0) await send();
  };

  try {
    while (!options.signal?.aborted) {
      if (failure) throw failure.error;
      const records = await consumer.poll(Math.max(1, Math.min(batchMs, 500)));
      // A partition just assigned (at start or by a rebalance) starts where the sink says, before
      // any of its records count.
      const sought = new Set<number>();
      const assigned = new Set(consumer.assignment().map((tp) => tp.partition));
      const fresh = [...assigned].filter((partition) => !owned.has(partition));
      owned = assigned;
      // Records of a partition about to be sought must not be applied after the seek.
      if (fresh.length > 0) await drain();
      if (fresh.length > 0 && sink) {
        const stored = new Map((await sink.positions()).filter((p) => p.topic === topic).map((p) => [p.partition, p.offset]));
        for (const partition of fresh) {
          const at = stored.get(partition);
          if (at === undefined) continue;
          await consumer.seek(topic, partition, { offset: at });
          sought.add(partition); // what this poll returned for it came from before the seek
        }
      }
      const taken = sought.size === 0 ? records : records.filter((r) => !sought.has(r.partition));
      if (options.pool) {
        // This poll goes to the threads; the previous one's results are applied meanwhile, in order.
        const next = taken.length > 0 ? { records: taken, outcomes: options.pool.process(taken, counts.steps) } : undefined;
        next?.outcomes.catch(ignore); // awaited by drain(); a failure surfaces there
        await drain();
        inflight = next;
      }
      for (let from = 0; !options.pool && from < taken.length; from += SLICE) {
        // Between slices, let I/O callbacks run: the writes of earlier batches move on meanwhile.
        if (from > 0) await yieldToLoop();
        take(taken, from, Math.min(from + SLICE, taken.length));
        if (unsent.length > 0) await send();
      }
      // Extra records follow every output of the polls before them.
      if (job.afterPoll) await drain();
      const extra = job.afterPoll?.(assigned) ?? [];
      if (extra.length > 0) {
        for (const record of extra) {
          unsent.push(record);
          unsentTopics.add(record.topic);
        }
        await send();
      }
      // A batch of only extra records is sealed too, so that their sends are awaited and released.
      if (pending >= batchRecords || ((pending > 0 || batch.sends.length > 0) && Date.now() - batchStart >= batchMs)) await seal();
    }
    if (failure) throw failure.error;
    await drain();
    if (pending > 0) await seal();
    while (uncommitted.length > 0) await uncommitted.shift();
  } finally {
    // Whatever is in flight finishes (or fails) before the clients close under it.
    await Promise.allSettled([...uncommitted, ...sending]);
    await consumer.close();
    await producer.close();
    await sink?.close();
    unregister?.();
  }
  return counts;

  function newBatch(): Batch {
    return { rows: [], sends: [], positions: new Map(), sampled: [] };
  }

  /** Run a poll's records through the pipeline into the current batch. */
  function take(records: readonly LogRecord[], from: number, to: number, threaded?: readonly ThreadOutcome[]): void {
    const steps = counts.steps;
    const positions = batch.positions;
    const rows = batch.rows;
    for (let i = from; i < to; i++) {
      const record = records[i]!;
      if (counts.in++ % LATENCY_SAMPLE_EVERY === 0) batch.sampled.push(record.timestamp);
      pending++;
      // Offsets only grow within a partition, so the last record of each partition wins.
      positions.set(record.partition, record.offset + 1);
      if (threaded) {
        account(record, threaded[i]!);
        continue;
      }
      const ctx: RecordContext = { topic: record.topic, partition: record.partition, offset: record.offset, timestamp: record.timestamp, key: record.key?.toString('utf8') ?? null };
      const outcome = job.pipeline.run(record.value, ctx, steps);
      if (outcome.kind !== 'out') {
        account(record, outcome);
        continue;
      }
      counts.out++;
      for (const value of outcome.values) {
        if (output.kind === 'table') rows.push(output.row(value, ctx));
        else sendOut(record, output.key?.(value), JSON.stringify(value));
      }
    }
  }

  /** A record that did not produce values here: filtered, dead-lettered, or processed by a pipeline thread. */
  function account(record: LogRecord, outcome: ThreadOutcome | { kind: 'filtered' } | { kind: 'dead-letter'; step: string; error: Error }): void {
    if (outcome.kind === 'filtered') {
      counts.filtered++;
    } else if (outcome.kind === 'dead-letter') {
      counts.deadLettered++;
      const error = outcome.error instanceof Error ? outcome.error : Object.assign(new Error(outcome.error.message), outcome.error);
      unsent.push(deadLetter(job.name, record, outcome.step, error));
      unsentTopics.add(dlq);
    } else {
      counts.out++;
      if (outcome.rows) for (const row of outcome.rows) batch.rows.push(row);
      for (const out of outcome.topic ?? []) sendOut(record, out.key, out.value);
    }
  }

  /** Queue an output record; without a key (no function, or it gave null) the input's key goes out as it came in. */
  function sendOut(record: LogRecord, key: string | null | undefined, json: string | Buffer): void {
    if (output.kind !== 'topic') return;
    unsent.push({ topic: output.topic, key: key === null || key === undefined ? record.key : Buffer.from(key), value: typeof json === 'string' ? Buffer.from(json) : json, timestamp: record.timestamp });
    unsentTopics.add(output.topic);
  }

  /** Send the poll's topic records now; the batch's commit waits for them to be durable. */
  async function send(): Promise<void> {
    const records = unsent;
    const topics = [...unsentTopics];
    unsent = [];
    unsentTopics.clear();
    if (topics.some((t) => !sentTo.has(t))) await Promise.allSettled(sending);
    const sent = producer.send(records).then(() => {
      for (const t of topics) sentTo.add(t);
    });
    sending.add(sent);
    const done = sent.finally(() => sending.delete(sent));
    done.catch(ignore);
    batch.sends.push(done);
  }

  /** Close the current batch and queue its commit behind the earlier ones; waits while too many are queued. */
  async function seal(): Promise<void> {
    const sealed = batch;
    sealed.counts = snapshot();
    batch = newBatch();
    pending = 0;
    batchStart = Date.now();
    const positions: RecordPosition[] = [...sealed.positions].map(([partition, offset]) => ({ topic, partition, offset }));
    // Sink writes go one at a time and in order: each write stores the positions its rows reach.
    const written = lastWritten.then(async () => {
      await Promise.all(sealed.sends);
      if (sink && positions.length > 0) await withRetry(() => sink.write({ rows: sealed.rows, positions }), retryDelays, options);
    });
    const committed = Promise.all([written, lastCommitted]).then(async () => {
      await consumer.commit(positions);
      options.metrics?.observeDurable(job.name, sealed.sampled);
      options.onBatch?.(sealed.counts!);
    });
    committed.catch((error: unknown) => (failure ??= { error }));
    lastWritten = written;
    lastCommitted = committed;
    uncommitted.push(committed);
    while (uncommitted.length > MAX_UNCOMMITTED) await uncommitted.shift();
  }

  function snapshot(): JobCounts {
    const steps = new Map<string, StepCounts>();
    for (const [name, c] of counts.steps) steps.set(name, { ...c });
    return { in: counts.in, out: counts.out, filtered: counts.filtered, deadLettered: counts.deadLettered, steps };
  }
}

/** The job's counts as operators: the job as a whole, then each step. */
export function operatorCounts(counts: JobCounts): OperatorCounts[] {
  const outcomes = (c: { in: number; out: number; filtered: number; deadLettered: number }) => ({ in: c.in, out: c.out, filtered: c.filtered, dead_lettered: c.deadLettered });
  return [{ step: 'job', counts: outcomes(counts) }, ...[...counts.steps].map(([step, c]) => ({ step, counts: outcomes(c) }))];
}

/** Retry a sink call on SINK_UNAVAILABLE with the given delays; anything else, or running out, stops the job. */
async function withRetry(fn: () => Promise<void>, delays: readonly number[], options: RunOptions): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const delay = delays[attempt];
      if (!isTributaryError(error, 'SINK_UNAVAILABLE') || delay === undefined) {
        if (isTributaryError(error)) throw error;
        throw new TributaryError('SINK_UNAVAILABLE', `sink write failed: ${(error as Error).message}`, { cause: error });
      }
      options.onWarning?.('sink write failed; retrying', { attempt: attempt + 1, delayMs: delay, error: error.message });
      await sleep(delay);
    }
  }
}
