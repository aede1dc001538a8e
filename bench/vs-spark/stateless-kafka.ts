/**
 * vs-spark `stateless-kafka` and `stateless-kafka-latency`: the stateless benchmark job
 * (bench/stream-jobs.ts: parse → filter → map to a card) on Kafka, run as a worker runs it
 * (runStreamJob on the Kafka log), against Spark Structured Streaming doing the same
 * (bench/peers/spark/stateless_kafka.py). Every round writes to a fresh output topic and reads
 * with a fresh consumer group.
 *
 * Throughput: N pins are produced to the input topic once; each side is timed from its start (the
 * SparkSession already up) until the last output is in the output topic. The ceiling is the raw
 * Kafka client's fetch loop reading the same input (bench/log-kafka.ts's way).
 *
 * Latency: each side runs while a producer here appends at a fixed rate (`--rate`, 10k rec/s by
 * default) for LATENCY_SECONDS, each pin carrying its append time; a consumer of the output topic
 * notes when each card is visible. The first WARMUP_MS are dropped.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Log } from '../../src/log/log.ts';
import { runStreamJob, type JobCounts } from '../../src/stream/runner.ts';
import { INPUT, cards, type Pin } from '../stream-jobs.ts';
import { Latencies, nowMs, steadyProducer, stopwatch, until } from '../stream-measure.ts';
import { progress, rssSampler } from '../workload.ts';
import { round, tempDir, type CaseArgs, type RunMeasure, type VsCase } from './harness.ts';
import { brokers, compareRecords, createTopic, needsKafka, pins, producePins, readTopic, topicName, topicSize, withKafkaLog } from './kafka-common.ts';
import { rawConsume } from './raw-kafka.ts';
import { runSpark, sparkEnvironment } from './spark-process.ts';

const CHECK_RECORDS = 20_000;
const LATENCY_SECONDS = Number(process.env.TRIBUTARY_VS_SPARK_LATENCY_SECONDS ?? 20);
const WARMUP_MS = 5000;

const passes = pins.map((p) => (JSON.parse(p.value.toString('utf8')) as Pin).downloaded === 1);
export const expectedOut = (records: number) => {
  let n = 0;
  for (let i = 0; i < records; i++) if (passes[i % pins.length]) n++;
  return n;
};

/** The job's input topic is the pipeline's (`pins`): made anew, empty. */
export async function freshInput(log: Log): Promise<void> {
  const admin = log.admin();
  await admin.deleteTopic(INPUT).catch(() => undefined);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await createTopic(log, INPUT);
      return;
    } catch (error) {
      // Kafka deletes a topic in the background; creating it again fails until that is done.
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

export interface Input {
  records: number;
}

/** The pins, produced once to a fresh input topic. */
export async function prepare(args: CaseArgs): Promise<Input> {
  await withKafkaLog(async (log) => {
    await freshInput(log);
    await producePins(log, INPUT, args.records);
  });
  return { records: args.records };
}

/** Runs the job until `stop(counts)` holds after a committed batch; returns its counts. */
function runJob(log: Log, output: string, stop: (c: JobCounts) => boolean, signal: AbortController): Promise<JobCounts> {
  return runStreamJob(
    { name: topicName('stateless'), pipeline: cards(), output: { kind: 'topic', topic: output } },
    { log, signal: signal.signal, onBatch: (c) => stop(c) && signal.abort() },
  );
}

async function tributaryThroughput(input: Input): Promise<RunMeasure & { output: string }> {
  return withKafkaLog(async (log) => {
    const output = await createTopic(log, topicName('cards-tributary'));
    const controller = new AbortController();
    const rss = rssSampler();
    const clock = stopwatch();
    let measured: { seconds: number; cores: number } | undefined;
    const counts = await runJob(log, output, (c) => c.in >= input.records && Boolean((measured ??= clock.stop())), controller);
    const rssMb = rss.stop();
    const written = await topicSize(log, output);
    if (!measured || counts.in !== input.records || written !== expectedOut(input.records)) throw new Error(`stateless-kafka: Tributary read ${counts.in} of ${input.records}, wrote ${written} of ${expectedOut(input.records)}`);
    progress(`  Tributary: ${input.records.toLocaleString('en-US')} pins in ${measured.seconds.toFixed(2)} s on ${measured.cores.toFixed(2)} cores`);
    return { output, recordsPerSec: Math.round(input.records / measured.seconds), seconds: round(measured.seconds, 3), rssMb, cores: round(measured.cores, 2) };
  });
}

async function sparkThroughput(input: Input): Promise<RunMeasure & { output: string }> {
  const output = await withKafkaLog((log) => createTopic(log, topicName('cards-spark')));
  const { result, rssMb } = await tempDir('tributary-vs-spark-ckpt-', (dir) =>
    runSpark<{ jvmStartSec: number; seconds: number; cores: number }>('stateless_kafka.py', ['--brokers', brokers().join(','), '--input', INPUT, '--output', output, '--checkpoint', dir, 'throughput'], sparkEnvironment()),
  );
  const written = await withKafkaLog((log) => topicSize(log, output));
  if (written !== expectedOut(input.records)) throw new Error(`stateless-kafka: Spark wrote ${written} of ${expectedOut(input.records)} cards`);
  return { output, recordsPerSec: Math.round(input.records / result.seconds), seconds: result.seconds, rssMb, cores: result.cores, jvmStartSec: result.jvmStartSec };
}

const withoutOutput = ({ output, ...m }: RunMeasure & { output: string }): RunMeasure => (void output, m);

async function dropTopic(topic: string): Promise<void> {
  await withKafkaLog((log) => log.admin().deleteTopic(topic));
}

export const statelessKafka: VsCase<Input> = {
  name: 'stateless-kafka',
  kind: 'throughput',
  defaultRecords: 1_000_000,
  missing: needsKafka,
  prepare,
  async check() {
    const input = await prepare({ records: CHECK_RECORDS, repeat: 1, rate: 0 });
    const t = await tributaryThroughput(input);
    const s = await sparkThroughput(input);
    const expected = expectedOut(input.records);
    const [ours, theirs] = await withKafkaLog((log) => Promise.all([readTopic(log, t.output, expected), readTopic(log, s.output, expected)]));
    await Promise.all([dropTopic(t.output), dropTopic(s.output)]);
    const { onlyA, onlyB } = compareRecords(ours, theirs);
    if (onlyA || onlyB) throw new Error(`stateless-kafka check at ${CHECK_RECORDS} pins failed: ${onlyA} cards only in Tributary's output, ${onlyB} only in Spark's`);
    progress(`  check at ${CHECK_RECORDS} pins: ${expected} cards each, 0 only in Tributary's output and 0 only in Spark's`);
    return { tributary: { cards: ours.length }, spark: { cards: theirs.length }, onlyTributary: onlyA, onlySpark: onlyB };
  },
  tributary: async (input) => {
    const m = await tributaryThroughput(input);
    await dropTopic(m.output);
    return withoutOutput(m);
  },
  spark: async (input) => {
    const m = await sparkThroughput(input);
    await dropTopic(m.output);
    return withoutOutput(m);
  },
  ceilings: async (input) => ({ 'raw-kafka-consume': await rawConsume(brokers(), INPUT, input.records) }),
};

// ---------------------------------------------------------------- latency

/** The pin's JSON with the append time as its first field, as bench/stream.ts's latency phase sends it. */
const withAppendTime = (value: Buffer, at: number) => Buffer.concat([Buffer.from(`{"t":${at},`), value.subarray(1)]);

/**
 * Produces at `rate` for LATENCY_SECONDS to the input while a job runs, and measures from each pin's
 * append time to its card being polled from `output` by a consumer of a fresh group.
 */
async function measureLatency(log: Log, output: string, rate: number): Promise<{ p50Ms: number; p99Ms: number; sent: number }> {
  const latencies = new Latencies(nowMs() + WARMUP_MS);
  const consumer = log.consumer({ group: topicName('probe'), topics: [output], from: 'earliest' });
  const producer = log.producer();
  let seen = 0;
  let reading = true;
  const reader = (async () => {
    while (reading) {
      const got = await consumer.poll(50);
      const at = nowMs();
      for (const r of got) latencies.add((JSON.parse(r.value!.toString('utf8')) as { t: number }).t, at);
      seen += got.length;
    }
  })();
  try {
    const sent = await steadyProducer(producer, rate, LATENCY_SECONDS, (i, at) => ({ topic: INPUT, key: pins[i % pins.length]!.key, value: withAppendTime(pins[i % pins.length]!.value, at) }));
    await until(() => seen >= expectedOut(sent), 120_000, 'the cards of the latency phase');
    if (seen !== expectedOut(sent)) throw new Error(`stateless-kafka-latency: ${seen} cards seen, ${expectedOut(sent)} expected`);
    return { ...latencies.percentiles(), sent };
  } finally {
    reading = false;
    await reader;
    await Promise.all([consumer.close(), producer.close()]);
  }
}

export const statelessKafkaLatency: VsCase<{ rate: number }> = {
  name: 'stateless-kafka-latency',
  kind: 'latency',
  defaultRecords: 0,
  missing: needsKafka,
  prepare: (args) => Promise.resolve({ rate: args.rate }),
  async tributary({ rate }) {
    return withKafkaLog(async (log) => {
      await freshInput(log);
      const output = await createTopic(log, topicName('cards-latency-tributary'));
      const controller = new AbortController();
      const rss = rssSampler();
      const clock = stopwatch();
      const job = runJob(log, output, () => false, controller);
      const m = await measureLatency(log, output, rate);
      const { seconds, cores } = clock.stop();
      controller.abort();
      await job;
      await log.admin().deleteTopic(output);
      progress(`  Tributary at ${rate} rec/s: p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms`);
      return { recordsPerSec: Math.round(m.sent / LATENCY_SECONDS), seconds: round(seconds, 2), rssMb: rss.stop(), cores: round(cores, 2), p50Ms: m.p50Ms, p99Ms: m.p99Ms };
    });
  },
  async spark({ rate }) {
    return withKafkaLog(async (log) => {
      await freshInput(log);
      const output = await createTopic(log, topicName('cards-latency-spark'));
      return tempDir('tributary-vs-spark-ckpt-', async (dir) => {
        const stopFile = path.join(dir, 'stop');
        let ready!: () => void;
        const up = new Promise<void>((resolve) => (ready = resolve));
        const running = runSpark<{ jvmStartSec: number; cores: number }>('stateless_kafka.py', ['--brokers', brokers().join(','), '--input', INPUT, '--output', output, '--checkpoint', path.join(dir, 'ckpt'), 'latency', '--stop-file', stopFile], sparkEnvironment(), { onLine: (line) => line === 'ready' && ready() });
        const failed = running.then(
          () => new Error('vs-spark: the Spark peer stopped before it was ready'),
          (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
        );
        const early = await Promise.race([up.then(() => undefined), failed]);
        if (early) throw early;
        const clock = stopwatch();
        const m = await measureLatency(log, output, rate);
        const { seconds } = clock.stop();
        await writeFile(stopFile, '');
        const { result, rssMb } = await running;
        await log.admin().deleteTopic(output);
        progress(`  Spark at ${rate} rec/s: p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms`);
        return { recordsPerSec: Math.round(m.sent / LATENCY_SECONDS), seconds: round(seconds, 2), rssMb, cores: result.cores, jvmStartSec: result.jvmStartSec, p50Ms: m.p50Ms, p99Ms: m.p99Ms };
      });
    });
  },
};
