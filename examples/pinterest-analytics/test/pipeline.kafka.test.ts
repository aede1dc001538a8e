/**
 * The example on the real engines by configuration alone: the log on Kafka, the join's checkpoints
 * in Redis, the joined table and the run history in PostgreSQL, the lake on MinIO. `tributary dev` serves the ingest
 * API (the test posts to it) and runs its own share of the stream jobs; two `tributary worker` processes
 * join the same consumer groups, and one is SIGKILLed midway. The survivors take its partitions
 * with their window state, and the joined table ends up exact: every pin the watermark passed, once,
 * equal to a brute-force join over the log.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cli, tempDir } from '../../../test/support/cli.ts';
import { endpoint, uniqueName } from '../../../test/support/services.ts';
import { testBucket } from '../../../test/support/s3.ts';
import { startCliProcess, startWorker } from '../../../test/support/worker-process.ts';
import type { Cleaned } from '../shapes.ts';
import { JOIN_GAP_MS, JOIN_OUT_OF_ORDERNESS_MS } from '../stream.ts';
import { runPostingEmulator } from 'tributary';
import { geoFor, loadPins, pinFor, userFor } from '../emulator.ts';
import type { RawGeo, RawPin, RawUser } from '../shapes.ts';
import { joinAll } from './reference.ts';
import { EXAMPLE, lakeTable, readTopic, statusCounts, topicRecords, until } from './support.ts';

/** Events (a pin, its geolocation and its user) a second, posted in batches of BATCH. */
const RATE = 40;
const BATCH = 100;
const lake = await testBucket('pa');

describe('pinterest-analytics on Kafka, Redis, PostgreSQL and MinIO with two workers', () => {
  it('should join every pin exactly once when a worker is SIGKILLed midway', async () => {
    const ns = uniqueName('pa').replaceAll('_', '-');
    const schema = uniqueName('pa');
    const keyPrefix = `${uniqueName('pa')}:`;
    const table = `${ns.replace(/[^a-z0-9_]/g, '_')}_enriched`;
    const topics = { pins: `${ns}.pins`, geo: `${ns}.geo`, users: `${ns}.users`, cleaned: `${ns}.cleaned` };
    const join = `${ns}-join`;
    const env = {
      PINTEREST_ANALYTICS_NAMESPACE: ns,
      TRIBUTARY_LOG_BACKEND: 'kafka',
      TRIBUTARY_KAFKA_BROKERS: endpoint('TRIBUTARY_KAFKA_BROKERS'),
      TRIBUTARY_STATE_BACKEND: 'redis',
      TRIBUTARY_REDIS_URL: endpoint('TRIBUTARY_REDIS_URL'),
      TRIBUTARY_REDIS_KEY_PREFIX: keyPrefix,
      TRIBUTARY_SINKS_BACKEND: 'postgres',
      TRIBUTARY_METADATA_BACKEND: 'postgres',
      TRIBUTARY_POSTGRES_URL: endpoint('TRIBUTARY_POSTGRES_URL'),
      TRIBUTARY_POSTGRES_SCHEMA: schema,
      TRIBUTARY_LAKE_BACKEND: 's3',
      TRIBUTARY_S3_ENDPOINT: lake.connection.endpoint,
      TRIBUTARY_S3_REGION: lake.connection.region,
      TRIBUTARY_S3_BUCKET: lake.bucket,
      TRIBUTARY_S3_ACCESS_KEY_ID: lake.connection.accessKeyId,
      TRIBUTARY_S3_SECRET_ACCESS_KEY: lake.connection.secretAccessKey,
      TRIBUTARY_LOGGING_LEVEL: 'warn',
    };
    const db = new pg.Client({ connectionString: env.TRIBUTARY_POSTGRES_URL });
    await db.connect();
    await db.query(`CREATE SCHEMA "${schema}"`);
    const cwd = await tempDir();
    onTestFinished(async () => {
      const jobs = ['clean-pins', 'clean-geo', 'clean-users', 'join'].map((j) => `${ns}-${j}`);
      for (const t of [...Object.values(topics), `${join}.repartition`, `${join}.late`, ...jobs.map((j) => `${j}.dlq`)]) await cli(['topics', 'delete', t], { cwd, env });
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.end();
      const redis = new Redis(env.TRIBUTARY_REDIS_URL);
      const keys = await redis.keys(`${keyPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    });

    // The test posts, in batches, so that records are flowing at each step however slowly the
    // machine starts the workers: until each worker works, then one batch with windows open, the
    // SIGKILL, and two batches more for the survivors.
    const dev = startCliProcess(['dev', EXAMPLE, '--port', '0', '--status-ms', '1000', '--drain', '60'], { ...env, PINTEREST_ANALYTICS_RATE: '0' }, cwd);
    await dev.seen(/tributary dev: pinterest-analytics on the kafka log/, 90_000);
    const url = /server (http:\/\/\S+) \(ingest/.exec(dev.output().stdout)![1]!;
    const pins = loadPins();
    let posted = 0;
    const postBatch = async () => {
      const at = Date.now();
      const time = (i: number) => new Date(at + Math.floor((i * 1000) / RATE)).toISOString();
      const from = posted;
      const common = { url, rate: RATE, records: BATCH };
      const totals = await Promise.all([
        runPostingEmulator<RawPin>({ ...common, topic: topics.pins, record: (i) => pinFor(from + i, pins, time(i)) }),
        runPostingEmulator<RawGeo>({ ...common, topic: topics.geo, record: (i) => geoFor(from + i, time(i)) }),
        runPostingEmulator<RawUser>({ ...common, topic: topics.users, record: (i) => userFor(from + i, time(i)) }),
      ]);
      expect(totals.map((t) => t.accepted)).toEqual([BATCH, BATCH, BATCH]);
      posted += BATCH;
    };
    const postUntil = async (what: string, done: () => boolean) => {
      for (let batches = 0; !done(); batches++) {
        if (batches === 40) throw new Error(`${what}: not after ${posted} events`);
        await postBatch();
      }
    };
    // One at a time, as the worker test does: each joins the groups once the one before works.
    const working = new RegExp(`^${ns}-clean-\\w+: in [1-9]`, 'm');
    const a = startWorker(EXAMPLE, ['--data-dir', await tempDir()], env);
    await postUntil('the first worker to clean records', () => working.test(a.output().stdout));
    const b = startWorker(EXAMPLE, ['--data-dir', await tempDir()], env);
    await postUntil('the second worker to clean records', () => working.test(b.output().stdout));
    // Midway, with windows open: kill one worker without warning, and go on posting.
    await postBatch();
    a.kill('SIGKILL');
    await a.exited;
    await postBatch();
    await postBatch();
    const EVENTS = posted;

    // The join must hold, once the stream is quiet, every pin whose session the watermark passed.
    // Every posted record cleaned at least once (the killed worker's partitions are taken over, and
    // what it had sent but not committed is sent again).
    let cleaned: Awaited<ReturnType<typeof readTopic<Cleaned>>> = [];
    let distinct = new Map<string, Cleaned>();
    await until(
      'every record cleaned',
      async () => {
        cleaned = await readTopic<Cleaned>(cwd, topics.cleaned, env);
        distinct = new Map(cleaned.map((r) => [`${r.value.side}/${r.value.ind}`, r.value]));
        return distinct.size === 3 * EVENTS ? true : undefined;
      },
      120_000,
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}: ${distinct.size} of ${3 * EVENTS}; the surviving worker's last lines:\n${b.output().stdout.split('\n').slice(-8).join('\n')}\n${b.output().stderr.slice(-2000)}\ndev's:\n${dev.output().stdout.split('\n').slice(-12).join('\n')}\n${dev.output().stderr.slice(-2000)}`);
    });
    expect(cleaned.length).toBeGreaterThanOrEqual(3 * EVENTS);
    const newest = Math.max(...cleaned.map((r) => r.value.time));
    const lastOf = new Map<number, number>();
    for (const value of distinct.values()) lastOf.set(value.ind, Math.max(lastOf.get(value.ind) ?? 0, value.time));
    const closed = [...lastOf].filter(([, last]) => last + JOIN_GAP_MS <= newest - JOIN_OUT_OF_ORDERNESS_MS).map(([ind]) => ind).sort((x, y) => x - y);
    expect(closed.length).toBeGreaterThan(EVENTS / 2);
    const reference = joinAll({
      pins: (await readTopic(cwd, topics.pins, env)).map((r) => r.value),
      geo: (await readTopic(cwd, topics.geo, env)).map((r) => r.value),
      users: (await readTopic(cwd, topics.users, env)).map((r) => r.value),
    });
    expect(reference.size).toBe(EVENTS);

    // Rows are written when the watermark passes a session and updated when a side that was held up
    // (its cleaning job's partitions were on the killed worker) arrives within the allowed lateness.
    const expected = closed.map((ind) => {
      const j = reference.get(ind)!;
      return { ind, unique_id: j.pin.unique_id, category: j.pin.category, follower_count: j.pin.follower_count, country: j.geo.country, user_name: j.user.user_name, age: j.user.age, matched: true };
    });
    let rows: Record<string, unknown>[] = [];
    await until(
      'the joined table to hold every closed session, complete',
      async () => {
        rows = (await db.query(`SELECT ind, unique_id, category, follower_count::float8 AS follower_count, country, user_name, age, matched FROM "${schema}"."${table}" ORDER BY ind`).catch(() => ({ rows: [] }))).rows;
        return JSON.stringify(rows) === JSON.stringify(expected) ? true : undefined;
      },
      150_000,
    ).catch((error: unknown) => {
      const wrong = rows.filter((r, i) => JSON.stringify(r) !== JSON.stringify(expected[i])).slice(0, 3);
      throw new Error(`${(error as Error).message}: ${rows.length} of ${closed.length} rows, e.g. ${JSON.stringify(wrong)}; the surviving worker's last lines:\n${b.output().stdout.split('\n').slice(-6).join('\n')}\n${b.output().stderr.slice(-2000)}`);
    });
    expect(rows).toEqual(expected);

    dev.kill('SIGTERM');
    b.kill('SIGTERM');
    expect(await dev.exited, dev.output().stderr.slice(-3000)).toBe(0);
    expect(await b.exited, b.output().stderr.slice(-3000)).toBe(0);
    // The log holds each posted record once; nothing came after the allowed lateness.
    const accepted = statusCounts(dev.output().stdout, 'ingest').accepted!;
    expect(accepted).toBe(3 * EVENTS);
    expect((await topicRecords(cwd, topics.pins, env)) + (await topicRecords(cwd, topics.geo, env)) + (await topicRecords(cwd, topics.users, env))).toBe(accepted);
    expect(statusCounts(dev.output().stdout, join).late).toBe(0);

    // The batch half on MinIO: the archiver copied each record once, and the processed pins hold
    // each pin once. (A child process: the pipeline module reads its namespace when imported.)
    expect(statusCounts(dev.output().stdout, 'archiver').records).toBe(accepted);
    const batch = startCliProcess(['batch', 'run', 'pinterest-analytics-pins', '--pipeline', EXAMPLE], env, cwd);
    expect(await batch.exited, batch.output().stderr).toBe(0);
    expect(batch.output().stdout).toContain(`rows: ${EVENTS.toLocaleString('en-US')} in, ${EVENTS.toLocaleString('en-US')} out, 0 quarantined, 0 filtered`);
    const processed = await lakeTable(cwd, 'processed.pinterest_analytics_pins', env);
    expect(processed.map((r) => String(r.unique_id)).sort()).toEqual([...reference.values()].map((j) => j.pin.unique_id).sort());
  }, 300_000);
});
