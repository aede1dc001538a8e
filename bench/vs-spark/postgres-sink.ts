/**
 * vs-spark `postgres-sink`: the stateless job's cards into PostgreSQL, one row per input record
 * (bench/stream.ts's postgres-exactly-once shape), on Kafka. Tributary: runStreamJob with the
 * exactly-once PostgreSQL sink (rows and input positions in one transaction per batch). Spark:
 * foreachBatch appending each micro-batch over JDBC (bench/peers/spark/postgres_sink.py), which is
 * at-least-once: a micro-batch retried after a failure is written again. Each round writes a fresh
 * table; both are timed until every row has committed.
 */
import { postgresSink } from '../../src/sinks/postgres/postgres-sink.ts';
import type { TableSpec } from '../../src/sinks/sink.ts';
import { runStreamJob } from '../../src/stream/runner.ts';
import { INPUT, cards } from '../stream-jobs.ts';
import { stopwatch } from '../stream-measure.ts';
import { progress, rssSampler } from '../workload.ts';
import { round, tempDir, type RunMeasure, type VsCase } from './harness.ts';
import { brokers, needsKafka, topicName, withKafkaLog } from './kafka-common.ts';
import { expectedOut, prepare, type Input } from './stateless-kafka.ts';
import { runSpark, sparkEnvironment } from './spark-process.ts';
import type pg from 'pg';

const CHECK_RECORDS = 20_000;
const expectedRows = expectedOut;

const url = () => process.env.TRIBUTARY_POSTGRES_URL ?? '';
const cardsSpec = (name: string): TableSpec => ({
  name,
  columns: { id: 'bigint', pin: 'text', category: 'text', title: 'text', followers: 'bigint', video: 'boolean', appended_at: 'double' },
  key: ['id'],
});

/** postgres://user:pass@host:port/db → the JDBC URL of the same database. */
export function jdbcUrl(postgresUrl: string): string {
  const u = new URL(postgresUrl);
  const params = new URLSearchParams({ reWriteBatchedInserts: 'true' });
  if (u.username) params.set('user', decodeURIComponent(u.username));
  if (u.password) params.set('password', decodeURIComponent(u.password));
  return `jdbc:postgresql://${u.hostname}:${u.port || '5432'}${u.pathname || '/postgres'}?${params.toString()}`;
}

async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const { default: driver } = await import('pg');
  const client = new driver.Client({ connectionString: url() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const rowCount = (table: string) => withClient(async (c) => Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n));

async function dropTable(table: string): Promise<void> {
  await withClient(async (c) => {
    await c.query(`DROP TABLE IF EXISTS ${table}`);
    await c.query(`DELETE FROM tributary_sink_positions WHERE tbl = $1`, [table]).catch(() => undefined);
  });
}

async function tributaryRun(input: Input, table: string): Promise<RunMeasure> {
  return withKafkaLog(async (log) => {
    const controller = new AbortController();
    const sink = postgresSink.create(cardsSpec(table), { job: table }, { url: url() });
    const rss = rssSampler();
    const clock = stopwatch();
    let measured: { seconds: number; cores: number } | undefined;
    const counts = await runStreamJob(
      { name: table, pipeline: cards(), output: { kind: 'table', sink, row: (c, ctx) => ({ id: ctx.partition * 2 ** 40 + ctx.offset, pin: c.id, category: c.category, title: c.title, followers: c.followers, video: c.video, appended_at: c.t ?? null }) } },
      { log, signal: controller.signal, onBatch: (c) => c.in >= input.records && Boolean((measured ??= clock.stop())) && controller.abort() },
    );
    const rssMb = rss.stop();
    const written = await rowCount(table);
    if (!measured || counts.in !== input.records || written !== expectedRows(input.records)) throw new Error(`postgres-sink: Tributary read ${counts.in} of ${input.records}, ${written} rows of ${expectedRows(input.records)} in ${table}`);
    progress(`  Tributary: ${input.records.toLocaleString('en-US')} pins in ${measured.seconds.toFixed(2)} s on ${measured.cores.toFixed(2)} cores`);
    return { recordsPerSec: Math.round(input.records / measured.seconds), seconds: round(measured.seconds, 3), rssMb, cores: round(measured.cores, 2) };
  });
}

async function sparkRun(input: Input, table: string): Promise<RunMeasure> {
  await withClient((c) => c.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, pin text, category text, title text, followers bigint, video boolean, appended_at double precision)`));
  const { result, rssMb } = await tempDir('tributary-vs-spark-pg-', (dir) =>
    runSpark<{ jvmStartSec: number; seconds: number; cores: number }>('postgres_sink.py', ['--brokers', brokers().join(','), '--input', INPUT, '--jdbc', jdbcUrl(url()), '--table', table, '--checkpoint', dir], sparkEnvironment()),
  );
  const written = await rowCount(table);
  if (written !== expectedRows(input.records)) throw new Error(`postgres-sink: Spark wrote ${written} rows of ${expectedRows(input.records)} to ${table}`);
  return { recordsPerSec: Math.round(input.records / result.seconds), seconds: result.seconds, rssMb, cores: result.cores, jvmStartSec: result.jvmStartSec };
}

const tableName = (side: string) => topicName(`pg-${side}`).replaceAll('-', '_');

export const postgresSinkCase: VsCase<Input> = {
  name: 'postgres-sink',
  kind: 'throughput',
  defaultRecords: 1_000_000,
  missing: () => [...needsKafka(), ...(url() ? [] : ['TRIBUTARY_POSTGRES_URL'])],
  prepare,
  async check() {
    const input = await prepare({ records: CHECK_RECORDS, repeat: 1, rate: 0 });
    const [ours, theirs] = [tableName('tributary'), tableName('spark')];
    try {
      await tributaryRun(input, ours);
      await sparkRun(input, theirs);
      const columns = 'id, pin, category, title, followers, video, appended_at';
      const except = (a: string, b: string) => withClient(async (c) => Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM (SELECT ${columns} FROM ${a} EXCEPT ALL SELECT ${columns} FROM ${b}) d`)).rows[0]?.n));
      const onlyTributary = await except(ours, theirs);
      const onlySpark = await except(theirs, ours);
      if (onlyTributary || onlySpark) throw new Error(`postgres-sink check at ${CHECK_RECORDS} pins failed: ${onlyTributary} rows only in Tributary's table, ${onlySpark} only in Spark's`);
      progress(`  check at ${CHECK_RECORDS} pins: ${expectedRows(CHECK_RECORDS)} rows each, EXCEPT ALL 0 and 0`);
      return { tributary: { rows: expectedRows(CHECK_RECORDS) }, spark: { rows: expectedRows(CHECK_RECORDS) }, onlyTributary, onlySpark };
    } finally {
      await Promise.all([dropTable(ours), dropTable(theirs)]);
    }
  },
  async tributary(input) {
    const table = tableName('tributary');
    try {
      return await tributaryRun(input, table);
    } finally {
      await dropTable(table);
    }
  },
  async spark(input) {
    const table = tableName('spark');
    try {
      return await sparkRun(input, table);
    } finally {
      await dropTable(table);
    }
  },
};
