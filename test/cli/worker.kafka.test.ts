/**
 * Scale-out through consumer groups, as a user runs it: two `tributary worker` processes on Kafka,
 * with checkpoints in Redis and views in PostgreSQL. One is killed with SIGKILL while windows are
 * open; the other takes its partitions over with their state, and the views end up exact.
 */
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openKafkaLog } from '../../src/log/kafka/kafka-log.ts';
import { clicks, expectedViews, type Click } from '../stream/fixtures/clicks.ts';
import { tempDir } from '../support/cli.ts';
import { endpoint, uniqueName } from '../support/services.ts';
import { startWorker } from '../support/worker-process.ts';

const pipeline = path.resolve(import.meta.dirname, '../stream/fixtures/views-pipeline.ts');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('tributary worker on Kafka', () => {
  it('should share the partitions between two workers and hand a killed one\'s partitions and state to the other', { timeout: 150_000 }, async () => {
    const suffix = uniqueName('_w');
    const schema = uniqueName('workers');
    const keyPrefix = `${uniqueName('workers')}:`;
    const db = new pg.Client({ connectionString: endpoint('TRIBUTARY_POSTGRES_URL') });
    await db.connect();
    await db.query(`CREATE SCHEMA "${schema}"`);
    const redis = new Redis(endpoint('TRIBUTARY_REDIS_URL'));
    const log = await openKafkaLog({ brokers: endpoint('TRIBUTARY_KAFKA_BROKERS').split(',') });
    const topic = `clicks${suffix}`;
    onTestFinished(async () => {
      const admin = log.admin();
      for (const t of [topic, `views${suffix}.repartition`, `views${suffix}.late`]) await admin.deleteTopic(t).catch(() => undefined);
      await admin.close();
      await log.close();
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.end();
      const keys = await redis.keys(`${keyPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    });
    const admin = log.admin();
    // Five partitions: the window keys p0..p4 then land on four of the repartition topic's five
    // partitions (murmur2), so each of two workers owns windows whatever the split.
    await admin.createTopic(topic, { partitions: 5 });
    await admin.close();
    const producer = log.producer();
    const send = (batch: Click[]) => producer.send(batch.map((c) => ({ topic, key: Buffer.from(`${c.user}`), value: Buffer.from(JSON.stringify(c)) })));

    const env = {
      VIEWS_SUFFIX: suffix,
      // Longer than the pauses between sends: an input that goes idle between two sends would find
      // the start of the next send late, since these clicks' event times run ahead of the clock.
      VIEWS_IDLE_MS: '3000',
      TRIBUTARY_LOG_BACKEND: 'kafka',
      TRIBUTARY_STATE_BACKEND: 'redis',
      TRIBUTARY_SINKS_BACKEND: 'postgres',
      TRIBUTARY_POSTGRES_SCHEMA: schema,
      TRIBUTARY_REDIS_KEY_PREFIX: keyPrefix,
      TRIBUTARY_LOGGING_LEVEL: 'warn',
    };
    const all = clicks();
    const body = all.slice(0, -1);
    const chunks = Array.from({ length: Math.ceil(body.length / 100) }, (_, i) => body.slice(i * 100, (i + 1) * 100));
    const views = new RegExp(`^views${suffix}: in [1-9]`, 'm');

    const a = startWorker(pipeline, ['--data-dir', await tempDir()], env);
    let sent = 0;
    await send(chunks[sent++]!);
    await a.seen(views, 60_000);
    const b = startWorker(pipeline, ['--data-dir', await tempDir()], env);
    // Keep clicks flowing until the group has given the second worker windows to count: a chunk every
    // 1.5 s, so that the chunks last through a slow start and rebalance on a busy machine.
    for (let waited = 0; !views.test(b.output().stdout); waited += 250) {
      if (waited % 1500 === 0) {
        if (sent === chunks.length - 5) throw new Error(`the second worker got no windows while ${sent} of ${chunks.length} chunks were sent:\n${b.output().stdout}\n${b.output().stderr}`);
        await send(chunks[sent++]!);
      }
      await sleep(250);
    }
    await send(chunks[sent++]!);
    await sleep(500);

    // Windows are open on both (the watermark has passed few of them): kill one without warning.
    a.kill('SIGKILL');
    await a.exited;
    while (sent < chunks.length) await send(chunks[sent++]!);
    await send(all.slice(-1)); // the far-future click that closes every window

    // The survivor takes the dead worker's partitions once its session expires, restores their
    // windows from the checkpoints in Redis, and replays what they had not checkpointed.
    const deadline = Date.now() + 90_000;
    const expected = expectedViews(all).map((r) => ({ ...r, views: String(r.views), window_start: String(r.window_start), window_end: String(r.window_end) }));
    let rows: unknown[] = [];
    while (Date.now() < deadline) {
      rows = (await db.query(`SELECT product, window_start::text, window_end::text, views::text FROM "${schema}"."views_per_product${suffix}" WHERE product <> 'end' ORDER BY product, window_start`).catch(() => ({ rows: [] }))).rows;
      if (JSON.stringify(rows) === JSON.stringify(expected)) break;
      await sleep(500);
    }
    expect(rows, `the surviving worker's last lines:\n${b.output().stdout.split('\n').slice(-4).join('\n')}\n${b.output().stderr.slice(-2000)}`).toEqual(expected);
    const p0 = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}"."p0_clicks${suffix}"`);
    expect(p0.rows[0]!.n).toBe(new Set(all.filter((c) => c.product === 'p0').map((c) => `${c.at}|${c.user}`)).size);
    await producer.close();
    b.kill('SIGTERM');
    expect(await b.exited).toBe(0);
  });
});
