/**
 * vs-spark `windowed-kafka`: bench/stream.ts's windowed job (keyBy pin, 10 s tumbling count, 1 s
 * allowed out-of-orderness, checkpoints every 1 s, embedded state store and sink) on Kafka, against
 * Spark Structured Streaming's groupBy(window(...)) with a 1 s watermark writing Parquet in append
 * mode (bench/peers/spark/windowed_kafka.py). Event times are the records' Kafka timestamps, 1 ms
 * apart from a window start an hour ago (older ones Kafka's retention would delete), so 1,000,000 pins span 1,000 s and windows close all along. Each side is timed from its
 * start until it has read every pin and written the windows closed by then.
 */
import path from 'node:path';
import { embeddedSink } from '../../src/sinks/embedded/embedded-sink.ts';
import type { Row, TableSpec } from '../../src/sinks/sink.ts';
import { openEmbeddedStateStore } from '../../src/state/embedded/embedded-state.ts';
import { Pipeline } from '../../src/stream/pipeline.ts';
import { count } from '../../src/stream/time/aggregate.ts';
import { tumbling } from '../../src/stream/time/windows.ts';
import { runWindowedJob } from '../../src/stream/windowed-runner.ts';
import { INPUT, pinSchema, type Pin } from '../stream-jobs.ts';
import { stopwatch, timedSink } from '../stream-measure.ts';
import { progress, rssSampler } from '../workload.ts';
import { exceptAll, round, tempDir, type CaseArgs, type RunMeasure, type VsCase } from './harness.ts';
import { brokers, needsKafka, pins, producePins, topicName, withKafkaLog } from './kafka-common.ts';
import { freshInput } from './stateless-kafka.ts';
import { runSpark, sparkEnvironment } from './spark-process.ts';

const WINDOW_MS = 10_000;
const CHECK_RECORDS = 60_000;
const viewsSpec: TableSpec = { name: 'views_per_pin', columns: { pin: 'text', window_start: 'bigint', window_end: 'bigint', views: 'bigint' }, key: ['pin', 'window_start'] };

interface Input {
  records: number;
  /** Event time of the first pin: a window start shortly before now. Kafka's retention (7 days by default) deletes older records. */
  epoch: number;
}

/** Windows every side must have closed: all but the last two (the watermark never passes them). */
const closedWindows = (records: number) => Math.max(0, Math.floor(records / WINDOW_MS) - 2);
const isClosed = (input: Input) => (windowStart: number) => windowStart < input.epoch + closedWindows(input.records) * WINDOW_MS;
const rowKey = (r: Row) => `${String(r.pin)}\u0000${Number(r.window_start)}\u0000${Number(r.views)}`;

async function prepare(args: CaseArgs): Promise<Input> {
  const epoch = Math.floor((Date.now() - args.records - 3_600_000) / WINDOW_MS) * WINDOW_MS;
  await withKafkaLog(async (log) => {
    await freshInput(log);
    await producePins(log, INPUT, args.records, (i) => epoch + i);
  });
  return { records: args.records, epoch };
}

async function tributaryRun(input: Input): Promise<{ measure: RunMeasure; rows: Row[] }> {
  return tempDir('tributary-vs-spark-windowed-', (dir) =>
    withKafkaLog(async (log) => {
      const state = await openEmbeddedStateStore({ file: path.join(dir, 'state.sqlite') });
      const rows: Row[] = [];
      const controller = new AbortController();
      const name = topicName('views');
      const rss = rssSampler();
      const clock = stopwatch();
      let measured: { seconds: number; cores: number } | undefined;
      try {
        await runWindowedJob(
          {
            name,
            pipeline: Pipeline.from(INPUT, pinSchema),
            keyBy: (p) => p.unique_id,
            window: tumbling(WINDOW_MS),
            aggregator: count<Pin>(),
            maxOutOfOrdernessMs: 1000,
            sink: timedSink(embeddedSink.create(viewsSpec, { job: name }, { dir: path.join(dir, 'views') }), (r) => rows.push(...r)),
            row: (r) => ({ pin: r.key, window_start: r.window.start, window_end: r.window.end, views: r.result }),
            checkpointMs: 1000,
          },
          { log, state, signal: controller.signal, onCheckpoint: (c) => c.windows.in >= input.records && Boolean((measured ??= clock.stop())) && controller.abort() },
        );
      } finally {
        await state.close();
      }
      const rssMb = rss.stop();
      if (!measured) throw new Error('windowed-kafka: Tributary stopped before it read every pin');
      const closed = rows.filter((r) => isClosed(input)(Number(r.window_start))).length;
      if (closed !== pins.length * closedWindows(input.records)) throw new Error(`windowed-kafka: Tributary wrote ${closed} closed window results, expected ${pins.length * closedWindows(input.records)}`);
      progress(`  Tributary: ${input.records.toLocaleString('en-US')} pins in ${measured.seconds.toFixed(2)} s on ${measured.cores.toFixed(2)} cores, ${rows.length} window results`);
      return { rows, measure: { recordsPerSec: Math.round(input.records / measured.seconds), seconds: round(measured.seconds, 3), rssMb, cores: round(measured.cores, 2) } };
    }),
  );
}

async function sparkRun(input: Input): Promise<{ measure: RunMeasure; rows: Row[] }> {
  return tempDir('tributary-vs-spark-windowed-spark-', async (dir) => {
    const out = path.join(dir, 'out');
    const batch = String(Math.max(10_000, Math.ceil(input.records / 10)));
    const { result, rssMb } = await runSpark<{ jvmStartSec: number; seconds: number; cores: number }>('windowed_kafka.py', ['--brokers', brokers().join(','), '--input', INPUT, '--out', out, '--checkpoint', path.join(dir, 'ckpt'), '--batch', batch], sparkEnvironment());
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    let rows: Row[];
    try {
      const read = await connection.runAndReadAll(`SELECT pin, window_start::BIGINT AS window_start, window_end::BIGINT AS window_end, views::BIGINT AS views FROM read_parquet('${path.join(out, '*.parquet').replaceAll("'", "''")}')`);
      rows = read.getRowObjectsJS();
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    const closed = rows.filter((r) => isClosed(input)(Number(r.window_start))).length;
    if (closed !== pins.length * closedWindows(input.records)) throw new Error(`windowed-kafka: Spark wrote ${closed} closed window results, expected ${pins.length * closedWindows(input.records)}`);
    return { rows, measure: { recordsPerSec: Math.round(input.records / result.seconds), seconds: result.seconds, rssMb, cores: result.cores, jvmStartSec: result.jvmStartSec } };
  });
}

export const windowedKafka: VsCase<Input> = {
  name: 'windowed-kafka',
  kind: 'throughput',
  defaultRecords: 1_000_000,
  missing: needsKafka,
  prepare,
  async check() {
    const input = await prepare({ records: CHECK_RECORDS, repeat: 1, rate: 0 });
    const closed = isClosed(input);
    const ours = (await tributaryRun(input)).rows.filter((r) => closed(Number(r.window_start))).map(rowKey);
    const theirs = (await sparkRun(input)).rows.filter((r) => closed(Number(r.window_start))).map(rowKey);
    const { onlyA: onlyTributary, onlyB: onlySpark } = exceptAll(ours, theirs);
    if (onlyTributary || onlySpark) throw new Error(`windowed-kafka check at ${CHECK_RECORDS} pins failed: ${onlyTributary} window counts only in Tributary's output, ${onlySpark} only in Spark's`);
    progress(`  check at ${CHECK_RECORDS} pins: ${ours.length} closed window counts each, 0 only in Tributary's and 0 only in Spark's`);
    return { tributary: { windows: ours.length }, spark: { windows: theirs.length }, onlyTributary, onlySpark };
  },
  tributary: async (input) => (await tributaryRun(input)).measure,
  spark: async (input) => (await sparkRun(input)).measure,
};
