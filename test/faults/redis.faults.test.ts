/**
 * A windowed job whose checkpoints live in Redis (the views pipeline of the worker tests: clicks
 * counted per product in 10 s tumbling windows, into PostgreSQL), on a `tributary worker` over Kafka
 * (private instances: see support/private-services.ts). While clicks are produced, Redis is stopped
 * for a seeded time and started again. The job fails its checkpoints while Redis is away, restarts
 * from the last one that landed, and the view must end exact: every window's count as the brute force
 * over the clicks gives it, none counted twice.
 */
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKafkaLog } from '../../src/log/kafka/kafka-log.ts';
import type { Log } from '../../src/log/log.ts';
import { clicks, expectedViews, type Click } from '../stream/fixtures/clicks.ts';
import { tempDir } from '../support/cli.ts';
import { startWorker } from '../support/worker-process.ts';
import { startPrivateServices, type PrivateServices } from './support/private-services.ts';
import { faultSeeds, plan, seeded } from './support/seeds.ts';
import { sleep, until } from './support/until.ts';

const PIPELINE = path.resolve(import.meta.dirname, '../stream/fixtures/views-pipeline.ts');

describe('Redis restarts under a windowed job that checkpoints into it', () => {
  let services: PrivateServices;
  let log: Log;
  let db: pg.Client;

  beforeAll(async () => {
    services = await startPrivateServices(['postgres', 'kafka', 'redis']);
    log = await openKafkaLog({ brokers: services.env.TRIBUTARY_KAFKA_BROKERS!.split(',') });
    db = new pg.Client({ connectionString: services.env.TRIBUTARY_POSTGRES_URL });
    await db.connect();
  }, 300_000);
  afterAll(async () => {
    await db?.end();
    await log?.close();
    await services?.close();
  }, 120_000);

  // About 20 s a seed (a worker's start, the outage, the job's restart), so 5 seeds by default;
  // TRIBUTARY_FAULT_SEEDS=20 runs the full set.
  it.each(faultSeeds(5))('Redis stopped and started while windows are open (seed %i)', async (seed) => {
    const random = seeded(seed);
    const afterChunks = 2 + Math.floor(random() * 8);
    const downMs = 300 + Math.floor(random() * 3_000);
    plan('redis', seed, `stop Redis after ${afterChunks} chunks of 100 clicks, start it ${downMs} ms later`);

    const suffix = `_r${seed}_${Date.now().toString(36)}`;
    const topic = `clicks${suffix}`;
    const admin = log.admin();
    await admin.createTopic(topic, { partitions: 3 });
    await admin.close();
    const producer = log.producer();
    const send = (batch: Click[]) => producer.send(batch.map((c) => ({ topic, key: Buffer.from(`${c.user}`), value: Buffer.from(JSON.stringify(c)) })));
    const schema = `faults${suffix}`;
    await db.query(`CREATE SCHEMA "${schema}"`);
    const worker = startWorker(PIPELINE, ['--data-dir', await tempDir()], {
      ...services.env,
      VIEWS_SUFFIX: suffix,
      VIEWS_IDLE_MS: '3000',
      TRIBUTARY_LOG_BACKEND: 'kafka',
      TRIBUTARY_STATE_BACKEND: 'redis',
      TRIBUTARY_SINKS_BACKEND: 'postgres',
      TRIBUTARY_POSTGRES_SCHEMA: schema,
      TRIBUTARY_REDIS_KEY_PREFIX: `faults${suffix}:`,
      TRIBUTARY_LOGGING_LEVEL: 'warn',
    });
    try {
      const all = clicks();
      const body = all.slice(0, -1);
      const chunks = Array.from({ length: Math.ceil(body.length / 100) }, (_, i) => body.slice(i * 100, (i + 1) * 100));
      let sent = 0;
      await send(chunks[sent++]!);
      // The job counts before the fault, so that it has windows open and checkpoints in Redis.
      await worker.seen(new RegExp(`views${suffix}: in [1-9]`), 90_000);
      while (sent < afterChunks) {
        await send(chunks[sent++]!);
        await sleep(100);
      }
      await services.stop('redis');
      // Clicks go on arriving while Redis is away.
      const downUntil = Date.now() + downMs;
      while (Date.now() < downUntil && sent < chunks.length) {
        await send(chunks[sent++]!);
        await sleep(100);
      }
      await sleep(Math.max(0, downUntil - Date.now()));
      await services.start('redis');
      while (sent < chunks.length) await send(chunks[sent++]!);
      await send(all.slice(-1)); // the far-future click that closes every window

      const expected = expectedViews(all).map((r) => ({ ...r, views: String(r.views), window_start: String(r.window_start), window_end: String(r.window_end) }));
      const query = `SELECT product, window_start::text, window_end::text, views::text FROM "${schema}"."views_per_product${suffix}" WHERE product <> 'end' ORDER BY product, window_start`;
      let rows: unknown[] = [];
      await until('the view to hold every window', async () => {
        rows = (await db.query(query).catch(() => ({ rows: [] }))).rows;
        return JSON.stringify(rows) === JSON.stringify(expected) ? true : undefined;
      }, 120_000).catch(() => undefined);
      expect(rows, `the worker's last lines:\n${worker.output().stdout.split('\n').slice(-6).join('\n')}\n${worker.output().stderr.slice(-3000)}`).toEqual(expected);
    } finally {
      await producer.close();
      worker.kill('SIGTERM');
      await worker.exited;
      const cleanup = log.admin();
      for (const t of [topic, `views${suffix}.repartition`, `views${suffix}.late`]) await cleanup.deleteTopic(t).catch(() => undefined);
      await cleanup.close();
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  }, 300_000);
});
