/**
 * The stream benchmark: stream jobs over N pin records of about 200 bytes on the embedded log
 * (default fsync policy: group fsync every 50 ms).
 *
 * Cases:
 * - stateless: schema check → filter → map → output topic (runStreamJob).
 * - windowed: keyBy pin + 10 s tumbling count, checkpoints every 1 s, embedded state store and sink
 *   (runWindowedJob: a repartition job and the window stage, both in this process). Event times are
 *   1 ms apart in the throughput phase, so 1,000,000 records span 1,000 s and windows fire all along.
 * - postgres-exactly-once: the stateless pipeline into PostgreSQL (one row per record, rows and
 *   positions in one transaction); skipped when TRIBUTARY_POSTGRES_URL is unset.
 *
 * `--log kafka` runs the stateless and windowed cases on the Kafka at TRIBUTARY_KAFKA_BROKERS instead,
 * each run on topics and groups of its own (deleted afterwards). `cores` counts this process only,
 * not the broker. `--phases throughput` leaves out the latency phase; `--profile <dir>` writes a CPU
 * profile of the main thread over each throughput phase.
 *
 * Each case has two phases, each on a fresh log:
 * 1. throughput: all N records are produced first; then the job is timed from its start until the
 *    batch or checkpoint holding the last record is committed. `cores` is the process's CPU time
 *    over that wall time (all threads), and `recordsPerSecPerCore` their quotient.
 * 2. latency: the job runs while a producer in the same process appends at half the measured rate,
 *    each record carrying its append time; the first second is warm-up. What counts as visible:
 *    - stateless: a consumer of the output topic has polled the record (the embedded log makes a
 *      write readable before its group fsync);
 *    - postgres: the sink's write holding the row has committed (the write call resolved), against
 *      the append time stored in the row;
 *    - windowed: the sink's write holding the window's row has committed (rows go out with the
 *      checkpoints, every 1 s), measured from the moment the window could first close, i.e. when the
 *      producer's event time passed the window's end plus the allowed out-of-orderness. Event time
 *      runs 40× faster than the clock here, so a 10 s window closes every 250 ms.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openEmbeddedLog } from '../src/log/embedded/embedded-log.ts';
import { openKafkaLog } from '../src/log/kafka/kafka-log.ts';
import type { Log, ProducerRecord } from '../src/log/log.ts';
import { embeddedSink } from '../src/sinks/embedded/embedded-sink.ts';
import { postgresSink } from '../src/sinks/postgres/postgres-sink.ts';
import type { Row, TableSpec } from '../src/sinks/sink.ts';
import { openEmbeddedStateStore } from '../src/state/embedded/embedded-state.ts';
import { Pipeline } from '../src/stream/pipeline.ts';
import { runStreamJob, type JobCounts } from '../src/stream/runner.ts';
import { count } from '../src/stream/time/aggregate.ts';
import { tumbling } from '../src/stream/time/windows.ts';
import { runWindowedJob } from '../src/stream/windowed-runner.ts';
import { Latencies, nowMs, profiler, round, steadyProducer, stopwatch, timedSink, until } from './stream-measure.ts';
import { pinRecords, progress, rssSampler } from './workload.ts';
import { INPUT, cards, pinSchema, type Pin } from './stream-jobs.ts';
import { PipelinePool } from '../src/stream/pipeline-pool.ts';

const PARTITIONS = 4;
const WARMUP_MS = 1000;
const LATENCY_SECONDS = 10;
const WINDOW_MS = 10_000;
const OUT_OF_ORDERNESS_MS = 1000;
/** Event-time milliseconds per wall-clock millisecond in the windowed latency phase. */
const EVENT_TIME_SPEED = 40;
/**
 * Where event time starts. On Kafka it is a day ago, not a fixed date: Kafka rolls a segment for
 * every batch whose timestamps are older than `segment.ms` (7 days) and its retention then deletes
 * them, under the job's feet, when they are older than `retention.ms` (7 days).
 */
let epoch = Date.UTC(2024, 0, 1);

interface Throughput {
  recordsPerSec: number;
  rssMb: number;
  cores: number;
  /** CPU time of this process per input record, all threads. */
  cpuUsPerRecord: number;
}

export interface CaseResult extends Throughput {
  case: string;
  p50Ms: number;
  p99Ms: number;
  recordsPerSecPerCore: number;
  /** Each run's figures, when there were several. */
  runs?: { recordsPerSec: number; cpuUsPerRecord: number; p50Ms: number; p99Ms: number }[];
}

const pins = pinRecords();
const passes = pins.map((p) => (JSON.parse(p.value.toString('utf8')) as Pin).downloaded === 1);

/** The pin's JSON with the append time as its first field, `{"t":…,…}`, so a reader finds it without parsing. */
function withAppendTime(value: Buffer, at: number): Buffer {
  return Buffer.concat([Buffer.from(`{"t":${at},`), value.subarray(1)]);
}

function appendTimeOf(value: Buffer | null): number {
  return value ? Number(value.toString('latin1', 5, value.indexOf(44, 5))) : NaN;
}

/** The topics and job names of one run: fixed on a fresh embedded log, unique per run on Kafka. */
interface Names {
  input: string;
  cards: string;
  stateless: string;
  views: string;
  pg: string;
}

/** Which log the cases run on: 'embedded' (a fresh one per run) or 'kafka' (TRIBUTARY_KAFKA_BROKERS). */
let backend: 'embedded' | 'kafka' = 'embedded';
let runCount = 0;
/** `--profile <dir>`: a CPU profile of each throughput phase (the job only, not the produce before it). */
let profileDir: string | undefined;
let currentCase = '';

async function openBenchLog(dir: string): Promise<Log> {
  if (backend === 'embedded') return openEmbeddedLog({ dir: path.join(dir, 'log') });
  const brokers = process.env.TRIBUTARY_KAFKA_BROKERS;
  if (!brokers) throw new Error('--log kafka needs TRIBUTARY_KAFKA_BROKERS (scripts/services up kafka; eval "$(scripts/services env kafka)")');
  return openKafkaLog({ brokers: brokers.split(','), defaultPartitions: PARTITIONS });
}

async function withLog<T>(work: (log: Log, dir: string, names: Names) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tributary-bench-stream-'));
  const suffix = backend === 'kafka' ? `-${process.pid}-${Date.now().toString(36)}-${runCount++}` : '';
  const names: Names = { input: INPUT + suffix, cards: 'cards' + suffix, stateless: 'bench-stateless' + suffix, views: 'bench-views' + suffix, pg: 'bench-pg' + suffix };
  try {
    const log = await openBenchLog(dir);
    try {
      await log.admin().createTopic(names.input, { partitions: PARTITIONS });
      return await work(log, dir, names);
    } finally {
      if (suffix) await deleteTopics(log, suffix);
      await log.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Deletes the run's topics on Kafka (its groups' offsets go with them). */
async function deleteTopics(log: Log, suffix: string): Promise<void> {
  const admin = log.admin();
  try {
    for (const topic of await admin.listTopics()) if (topic.includes(suffix)) await admin.deleteTopic(topic).catch(() => undefined);
  } finally {
    await admin.close();
  }
}

/** Produce all input first, in batches of 1,000 with 64 in flight, as the log benchmark does. */
async function produceAll(log: Log, topic: string, records: number, timestamp?: (i: number) => number): Promise<void> {
  const producer = log.producer();
  const inFlight: Promise<unknown>[] = [];
  for (let sent = 0; sent < records; sent += 1000) {
    const batch: ProducerRecord[] = [];
    for (let i = sent; i < Math.min(sent + 1000, records); i++) {
      const pin = pins[i % pins.length]!;
      batch.push({ topic, key: pin.key, value: pin.value, ...(timestamp ? { timestamp: timestamp(i) } : {}) });
    }
    inFlight.push(producer.send(batch));
    if (inFlight.length >= 64) await inFlight.shift();
  }
  await Promise.all(inFlight);
  await producer.close();
}

/** Times `run(done)` from its start until it calls `done()`; `done` returns true the first time. */
async function timeJob(records: number, run: (done: () => void) => Promise<unknown>): Promise<Throughput> {
  const profile = await profiler(profileDir);
  const rss = rssSampler();
  const clock = stopwatch();
  let measured: { seconds: number; cores: number } | undefined;
  await run(() => (measured ??= clock.stop()));
  await profile.stop(`${currentCase}-${runCount}`);
  const rssMb = rss.stop();
  if (!measured) throw new Error('the job stopped before it processed every record');
  const cpuUsPerRecord = round((measured.cores * measured.seconds * 1e6) / records, 2);
  return { recordsPerSec: Math.round(records / measured.seconds), rssMb, cores: round(measured.cores, 2), cpuUsPerRecord };
}

async function endOffsets(log: Log, topic: string): Promise<number> {
  const { partitions } = await log.admin().describeTopic(topic);
  return partitions.reduce((n, p) => n + p.endOffset - p.startOffset, 0);
}

// ---------------------------------------------------------------- stateless

/** With `threads`, the pipeline runs on that many pipeline threads (pipeline-pool.ts). */
async function startPool(threads: number): Promise<PipelinePool | undefined> {
  return threads > 0 ? PipelinePool.start({ module: new URL('./stream-jobs.ts', import.meta.url).pathname, job: 'bench-stateless' }, threads) : undefined;
}

async function statelessThroughput(records: number, threads = 0): Promise<Throughput> {
  return withLog(async (log, _dir, names) => {
    await produceAll(log, names.input, records);
    const controller = new AbortController();
    let counts: JobCounts | undefined;
    const pool = await startPool(threads);
    const result = await timeJob(records, async (done) => {
      counts = await runStreamJob(
        { name: names.stateless, pipeline: cards(names.input), output: { kind: 'topic', topic: names.cards } },
        { log, signal: controller.signal, ...(pool && { pool }), onBatch: (c) => c.in >= records && (done(), controller.abort()) },
      );
    });
    await pool?.close();
    const written = await endOffsets(log, names.cards);
    if (counts?.in !== records || written !== counts.out) throw new Error(`stateless: read ${counts?.in}, wrote ${written} of ${counts?.out}`);
    return result;
  });
}

/**
 * The stateless job in this process and in a second one (stream-process.ts) on one consumer group,
 * which gives each two of the four partitions: Kafka only. Timed from the start of both jobs until
 * the group has committed every input record; `cores` and CPU time count both processes.
 */
async function statelessProcessesThroughput(records: number): Promise<Throughput> {
  if (backend !== 'kafka') throw new Error('--case stateless-processes needs --log kafka: two processes cannot share one embedded log');
  return withLog(async (log, _dir, names) => {
    await produceAll(log, names.input, records);
    const child = fork(new URL('./stream-process.ts', import.meta.url).pathname, [], { env: { ...process.env, BENCH_STREAM_NAMES: JSON.stringify(names) } });
    const exited = once(child, 'exit');
    try {
      await once(child, 'message'); // loaded
      const admin = log.admin();
      const controller = new AbortController();
      const rss = rssSampler();
      const clock = stopwatch();
      child.send('go');
      const job = runStreamJob({ name: names.stateless, pipeline: cards(names.input), output: { kind: 'topic', topic: names.cards } }, { log, signal: controller.signal });
      const deadline = Date.now() + 600_000;
      for (;;) {
        const lags = await admin.groupLag(`job.${names.stateless}`);
        if (lags.length === PARTITIONS && lags.every((l) => l.committedOffset !== undefined && l.lag === 0)) break;
        if (Date.now() > deadline) throw new Error('stateless-processes: the group did not commit every record within 600 s');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const measured = clock.stop();
      const rssMb = rss.stop();
      const childCpu = once(child, 'message');
      child.send('stop');
      const [{ cpuUs }] = (await childCpu) as [{ cpuUs: number }];
      controller.abort();
      await job;
      await admin.close();
      const cpuSeconds = measured.cores * measured.seconds + cpuUs / 1e6;
      const written = await endOffsets(log, names.cards);
      let expected = 0;
      for (let i = 0; i < records; i++) if (passes[i % pins.length]) expected++;
      // At least once: a rebalance while both start may send a few records twice.
      if (written < expected) throw new Error(`stateless-processes: wrote ${written} of ${expected} outputs`);
      return { recordsPerSec: Math.round(records / measured.seconds), rssMb, cores: round(cpuSeconds / measured.seconds, 2), cpuUsPerRecord: round((cpuSeconds * 1e6) / records, 2) };
    } finally {
      if (child.exitCode === null) child.kill();
      await exited;
    }
  });
}

async function statelessLatency(rate: number, threads = 0): Promise<{ p50Ms: number; p99Ms: number }> {
  return withLog(async (log, _dir, names) => {
    const controller = new AbortController();
    const pool = await startPool(threads);
    const job = runStreamJob({ name: names.stateless, pipeline: cards(names.input), output: { kind: 'topic', topic: names.cards } }, { log, signal: controller.signal, ...(pool && { pool }) });
    const latencies = new Latencies(nowMs() + WARMUP_MS);
    const consumer = log.consumer({ group: `latency-probe${names.cards}`, topics: [names.cards] });
    let seen = 0;
    let reading = true;
    const reader = (async () => {
      while (reading) {
        const got = await consumer.poll(50);
        const at = nowMs();
        for (const r of got) latencies.add(appendTimeOf(r.value), at);
        seen += got.length;
      }
    })();
    const producer = log.producer();
    const sent = await steadyProducer(producer, rate, LATENCY_SECONDS, (i, at) => ({ topic: names.input, key: pins[i % pins.length]!.key, value: withAppendTime(pins[i % pins.length]!.value, at) }));
    let expected = 0;
    for (let i = 0; i < sent; i++) if (passes[i % pins.length]) expected++;
    await until(() => seen >= expected, 30_000, 'the output of the latency phase');
    reading = false;
    await reader;
    controller.abort();
    await job;
    await pool?.close();
    await Promise.all([consumer.close(), producer.close()]);
    if (seen !== expected) throw new Error(`stateless latency: expected ${expected} outputs, saw ${seen}`);
    return latencies.percentiles();
  });
}

// ---------------------------------------------------------------- windowed

const viewsSpec: TableSpec = { name: 'views_per_pin', columns: { pin: 'text', window_start: 'bigint', window_end: 'bigint', views: 'bigint' }, key: ['pin', 'window_start'] };

async function windowedRun(log: Log, dir: string, names: Names, onRows: (rows: readonly Row[], at: number) => void, stop: (windowsIn: number) => boolean, signal: AbortController): Promise<void> {
  const state = await openEmbeddedStateStore({ file: path.join(dir, 'state.sqlite') });
  try {
    await runWindowedJob(
      {
        name: names.views,
        pipeline: Pipeline.from(names.input, pinSchema),
        keyBy: (p) => p.unique_id,
        window: tumbling(WINDOW_MS),
        aggregator: count<Pin>(),
        maxOutOfOrdernessMs: OUT_OF_ORDERNESS_MS,
        sink: timedSink(embeddedSink.create(viewsSpec, { job: 'bench-views' }, { dir: path.join(dir, 'views') }), onRows),
        row: (r) => ({ pin: r.key, window_start: r.window.start, window_end: r.window.end, views: r.result }),
        checkpointMs: 1000,
      },
      { log, state, signal: signal.signal, onCheckpoint: (c) => stop(c.windows.in) && signal.abort() },
    );
  } finally {
    await state.close();
  }
}

async function windowedThroughput(records: number): Promise<Throughput> {
  return withLog(async (log, dir, names) => {
    await produceAll(log, names.input, records, (i) => epoch + i);
    const controller = new AbortController();
    let rows = 0;
    const result = await timeJob(records, (done) =>
      windowedRun(log, dir, names, (r) => (rows += r.length), (n) => n >= records && (done(), true), controller),
    );
    // Every window but the last one or two (the watermark never passes them) has fired, for every pin.
    if (rows < pins.length * (Math.floor(records / WINDOW_MS) - 2)) throw new Error(`windowed: only ${rows} window results`);
    return result;
  });
}

async function windowedLatency(rate: number): Promise<{ p50Ms: number; p99Ms: number }> {
  return withLog(async (log, dir, names) => {
    const controller = new AbortController();
    const wallStart = nowMs();
    const eventTime = (wall: number) => epoch + (wall - wallStart) * EVENT_TIME_SPEED;
    // The wall time at which the producer's event time passed the window's end plus the out-of-orderness.
    const closes = (windowEnd: number) => wallStart + (windowEnd + OUT_OF_ORDERNESS_MS - epoch) / EVENT_TIME_SPEED;
    const latencies = new Latencies(wallStart + WARMUP_MS);
    let lastEnd = 0;
    const onRows = (rows: readonly Row[], at: number) => {
      for (const row of rows) {
        const end = row.window_end as number;
        latencies.add(closes(end), at);
        lastEnd = Math.max(lastEnd, end);
      }
    };
    const job = windowedRun(log, dir, names, onRows, () => false, controller);
    const producer = log.producer();
    // The newest event time sent, not the clock's after the last acknowledgement: on Kafka that can
    // come a second later, 40 s of event time, and name windows no record reaches.
    let lastEvent = 0;
    await steadyProducer(producer, rate, LATENCY_SECONDS, (i, at) => {
      const timestamp = Math.floor(eventTime(at));
      lastEvent = Math.max(lastEvent, timestamp);
      return { topic: names.input, key: pins[i % pins.length]!.key, value: pins[i % pins.length]!.value, timestamp };
    });
    // The last window the watermark has certainly passed.
    const finalEnd = Math.floor((lastEvent - OUT_OF_ORDERNESS_MS) / WINDOW_MS) * WINDOW_MS - WINDOW_MS;
    await Promise.race([job, until(() => lastEnd >= finalEnd, 30_000, 'the last window results')]);
    controller.abort();
    await job;
    await producer.close();
    return latencies.percentiles();
  });
}

// ---------------------------------------------------------------- postgres

const cardsSpec = (name: string): TableSpec => ({
  name,
  columns: { id: 'bigint', pin: 'text', category: 'text', title: 'text', followers: 'bigint', video: 'boolean', appended_at: 'double' },
  key: ['id'],
});

async function postgresRun(log: Log, names: Names, url: string, table: string, onRows: (rows: readonly Row[], at: number) => void, controller: AbortController, stop: (c: JobCounts) => boolean): Promise<JobCounts> {
  const sink = timedSink(postgresSink.create(cardsSpec(table), { job: 'bench-pg' }, { url }), onRows);
  return runStreamJob(
    {
      name: names.pg,
      pipeline: cards(names.input),
      // One row per input record: its id is its place in the log.
      output: { kind: 'table', sink, row: (c, ctx) => ({ id: ctx.partition * 2 ** 40 + ctx.offset, pin: c.id, category: c.category, title: c.title, followers: c.followers, video: c.video, appended_at: c.t ?? null }) },
    },
    { log, signal: controller.signal, onBatch: (c) => stop(c) && controller.abort() },
  );
}

async function withTable<T>(url: string, work: (table: string) => Promise<T>): Promise<T> {
  const table = `bench_cards_${Date.now().toString(36)}`;
  try {
    return await work(table);
  } finally {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.query(`DELETE FROM tributary_sink_positions WHERE tbl = $1`, [table]).catch(() => undefined);
    await client.end();
  }
}

async function postgresThroughput(url: string, records: number): Promise<Throughput> {
  return withLog((log, _dir, names) =>
    withTable(url, async (table) => {
      await produceAll(log, names.input, records);
      let rows = 0;
      let counts: JobCounts | undefined;
      const result = await timeJob(records, async (done) => {
        counts = await postgresRun(log, names, url, table, (r) => (rows += r.length), new AbortController(), (c) => c.in >= records && (done(), true));
      });
      if (counts?.in !== records || rows !== counts.out) throw new Error(`postgres: read ${counts?.in}, wrote ${rows} rows of ${counts?.out}`);
      return result;
    }),
  );
}

async function postgresLatency(url: string, rate: number): Promise<{ p50Ms: number; p99Ms: number }> {
  return withLog((log, _dir, names) =>
    withTable(url, async (table) => {
      const latencies = new Latencies(nowMs() + WARMUP_MS);
      let rows = 0;
      const onRows = (batch: readonly Row[], at: number) => {
        for (const row of batch) latencies.add(row.appended_at as number, at);
        rows += batch.length;
      };
      const controller = new AbortController();
      const job = postgresRun(log, names, url, table, onRows, controller, () => false);
      const producer = log.producer();
      const sent = await steadyProducer(producer, rate, LATENCY_SECONDS, (i, at) => ({ topic: names.input, key: pins[i % pins.length]!.key, value: withAppendTime(pins[i % pins.length]!.value, at) }));
      let expected = 0;
      for (let i = 0; i < sent; i++) if (passes[i % pins.length]) expected++;
      await until(() => rows >= expected, 30_000, 'the rows of the latency phase');
      controller.abort();
      await job;
      await producer.close();
      return latencies.percentiles();
    }),
  );
}

// ----------------------------------------------------------------

async function measureOnce(name: string, records: number, throughput: () => Promise<Throughput>, latency: (rate: number) => Promise<{ p50Ms: number; p99Ms: number }>): Promise<CaseResult> {
  progress(`${name}: throughput over ${records.toLocaleString('en-US')} records`);
  currentCase = name;
  const t = await throughput();
  progress(`${name}: ${t.recordsPerSec.toLocaleString('en-US')} records/s on ${t.cores} cores, ${t.cpuUsPerRecord} µs CPU per record`);
  let l = { p50Ms: NaN, p99Ms: NaN };
  if (withLatency) {
    progress(`${name}: latency at ${Math.round(t.recordsPerSec / 2).toLocaleString('en-US')} records/s`);
    l = await latency(t.recordsPerSec / 2);
    progress(`${name}: p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms`);
  }
  return { case: name, ...t, p50Ms: l.p50Ms, p99Ms: l.p99Ms, recordsPerSecPerCore: Math.round(t.recordsPerSec / t.cores) };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Each case `repeat` times (a full throughput run, then latency at half that rate); every figure is the median over the runs. */
let repeat = 1;
let withLatency = true;
async function measure(name: string, records: number, throughput: () => Promise<Throughput>, latency: (rate: number) => Promise<{ p50Ms: number; p99Ms: number }>): Promise<CaseResult> {
  const runs: CaseResult[] = [];
  for (let i = 0; i < repeat; i++) runs.push(await measureOnce(name, records, throughput, latency));
  const of = (key: 'recordsPerSec' | 'cpuUsPerRecord' | 'p50Ms' | 'p99Ms' | 'rssMb' | 'cores' | 'recordsPerSecPerCore') => median(runs.map((r) => r[key]));
  return {
    case: name,
    recordsPerSec: of('recordsPerSec'),
    cpuUsPerRecord: of('cpuUsPerRecord'),
    p50Ms: of('p50Ms'),
    p99Ms: of('p99Ms'),
    rssMb: of('rssMb'),
    cores: of('cores'),
    recordsPerSecPerCore: of('recordsPerSecPerCore'),
    ...(repeat > 1 && { runs: runs.map((r) => ({ recordsPerSec: r.recordsPerSec, cpuUsPerRecord: r.cpuUsPerRecord, p50Ms: r.p50Ms, p99Ms: r.p99Ms })) }),
  };
}

export async function run(args: Record<string, string | boolean | undefined>): Promise<object> {
  const records = Number(args.records ?? 1_000_000);
  if (!Number.isInteger(records) || records < 10_000) throw new Error(`--records must be an integer of at least 10000, got ${String(args.records)}`);
  repeat = Number(args.repeat ?? 3);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a positive integer, got ${String(args.repeat)}`);
  const logArg = args.log ?? 'embedded';
  if (logArg !== 'embedded' && logArg !== 'kafka') throw new Error(`--log must be embedded or kafka, got ${String(logArg)}`);
  backend = logArg;
  if (backend === 'kafka') epoch = Math.floor((Date.now() - 86_400_000) / WINDOW_MS) * WINDOW_MS;
  const phases = args.phases ?? 'all';
  if (phases !== 'all' && phases !== 'throughput') throw new Error(`--phases must be all or throughput, got ${String(phases)}`);
  withLatency = phases === 'all';
  profileDir = typeof args.profile === 'string' ? path.resolve(args.profile) : undefined;
  // --case <name>: run one case only (e.g. while tuning it).
  const only = typeof args.case === 'string' ? args.case : undefined;
  const known = ['stateless', 'stateless-threads', 'stateless-processes', 'windowed', 'postgres-exactly-once'];
  if (only !== undefined && !known.includes(only)) throw new Error(`--case must be one of ${known.join(', ')}, got ${only}`);
  const wanted = (name: string) => only === undefined || only === name;
  const cases: CaseResult[] = [];
  if (wanted('stateless')) cases.push(await measure('stateless', records, () => statelessThroughput(records), statelessLatency));
  // The same job with its pipeline on one extra thread: the job's thread keeps the log.
  if (wanted('stateless-threads')) cases.push(await measure('stateless-threads', records, () => statelessThroughput(records, 1), (rate) => statelessLatency(rate, 1)));
  // Two worker processes on one consumer group (Kafka only; latency not measured).
  if (backend === 'kafka' && wanted('stateless-processes')) {
    const was = withLatency;
    withLatency = false;
    cases.push(await measure('stateless-processes', records, () => statelessProcessesThroughput(records), () => Promise.reject(new Error('not measured'))));
    withLatency = was;
  }
  if (wanted('windowed')) cases.push(await measure('windowed', records, () => windowedThroughput(records), windowedLatency));
  const url = process.env.TRIBUTARY_POSTGRES_URL;
  if (!wanted('postgres-exactly-once')) {
    // not asked for
  } else if (url) {
    cases.push(await measure('postgres-exactly-once', records, () => postgresThroughput(url, records), (rate) => postgresLatency(url, rate)));
  } else {
    progress('TRIBUTARY_POSTGRES_URL is not set: skipping postgres-exactly-once (bash scripts/services up postgres; eval "$(bash scripts/services env postgres)")');
  }
  return { bench: 'stream', log: backend, records, cases };
}
