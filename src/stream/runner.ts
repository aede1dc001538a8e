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
 * Backpressure: one batch is in flight at a time and polling waits for it, so a slow sink slows
 * consumption and memory stays bounded by the batch size.
 */
import { TributaryError, isTributaryError } from '../errors.ts';
import type { Log, LogRecord, ProducerRecord, RecordPosition } from '../log/log.ts';
import type { Row, Sink } from '../sinks/sink.ts';
import { deadLetter } from './dead-letter.ts';
import type { Pipeline, RecordContext, StepCounts } from './pipeline.ts';

export type JobOutput<T> = { kind: 'table'; sink: Sink; row: (value: T, ctx: RecordContext) => Row } | { kind: 'topic'; topic: string; key?: (value: T) => string | null };

export interface StreamJob<T> {
  name: string;
  pipeline: Pipeline<T>;
  output: JobOutput<T>;
  /** Flush a batch at this many input records or this age, whichever comes first. */
  batchRecords?: number;
  batchMs?: number;
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
  onBatch?: (counts: JobCounts) => void;
  onWarning?: (message: string, details: Record<string, unknown>) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runStreamJob<T>(job: StreamJob<T>, options: RunOptions): Promise<JobCounts> {
  const batchRecords = job.batchRecords ?? 5_000;
  const batchMs = job.batchMs ?? 200;
  const retryDelays = options.retryDelaysMs ?? [100, 200, 400, 800, 1600, 3200];
  const counts = { in: 0, out: 0, filtered: 0, deadLettered: 0, steps: new Map<string, StepCounts>() };
  const topic = job.pipeline.topic;
  const sink = job.output.kind === 'table' ? job.output.sink : undefined;
  await sink?.open();
  const stored = new Map((await sink?.positions())?.filter((p) => p.topic === topic).map((p) => [p.partition, p.offset]));
  const consumer = options.log.consumer({ group: `job.${job.name}`, topics: [topic], maxRecords: batchRecords });
  const producer = options.log.producer();
  const started = new Set<number>();

  let rows: Row[] = [];
  let outRecords: ProducerRecord[] = [];
  let dead: ProducerRecord[] = [];
  let positions = new Map<number, number>();
  let batchStart = Date.now();
  let pending = 0;

  const flush = async () => {
    if (pending === 0) return;
    const batchPositions: RecordPosition[] = [...positions].map(([partition, offset]) => ({ topic, partition, offset }));
    if (dead.length > 0) await producer.send(dead);
    if (outRecords.length > 0) await producer.send(outRecords);
    if (sink) await withRetry(() => sink.write({ rows, positions: batchPositions }), retryDelays, options);
    await consumer.commit(batchPositions);
    rows = [];
    outRecords = [];
    dead = [];
    positions = new Map();
    pending = 0;
    batchStart = Date.now();
    options.onBatch?.(counts);
  };

  try {
    while (!options.signal?.aborted) {
      const records = await consumer.poll(Math.max(1, Math.min(batchMs, 500)));
      // A partition just assigned starts where the sink says, before any of its records count.
      const sought = new Set<number>();
      for (const tp of consumer.assignment()) {
        if (started.has(tp.partition)) continue;
        started.add(tp.partition);
        const at = stored.get(tp.partition);
        if (at === undefined) continue;
        await consumer.seek(topic, tp.partition, { offset: at });
        sought.add(tp.partition); // what this poll returned for it came from before the seek
      }
      for (const record of records) if (!sought.has(record.partition)) process(record);
      if (pending >= batchRecords || (pending > 0 && Date.now() - batchStart >= batchMs)) await flush();
    }
    await flush();
  } finally {
    await consumer.close();
    await producer.close();
    await sink?.close();
  }
  return counts;

  function process(record: LogRecord): void {
    const ctx: RecordContext = { topic: record.topic, partition: record.partition, offset: record.offset, timestamp: record.timestamp, key: record.key?.toString('utf8') ?? null };
    counts.in++;
    pending++;
    positions.set(record.partition, record.offset + 1);
    const outcome = job.pipeline.run(record.value, ctx, counts.steps);
    if (outcome.kind === 'filtered') {
      counts.filtered++;
    } else if (outcome.kind === 'dead-letter') {
      counts.deadLettered++;
      dead.push(deadLetter(job.name, record, outcome.step, outcome.error));
    } else {
      counts.out++;
      const output = job.output;
      for (const value of outcome.values) {
        if (output.kind === 'table') {
          rows.push(output.row(value, ctx));
        } else {
          const key = output.key?.(value) ?? ctx.key;
          outRecords.push({ topic: output.topic, key: key === null ? null : Buffer.from(key), value: Buffer.from(JSON.stringify(value)), timestamp: record.timestamp });
        }
      }
    }
  }
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
