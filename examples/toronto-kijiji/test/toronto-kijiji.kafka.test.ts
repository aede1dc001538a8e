/**
 * The example on the real engines by configuration alone (tributary.real.yaml: Kafka, Redis,
 * PostgreSQL, MinIO), with `tributary dev` running the sources, emulators and batch jobs and two
 * `tributary worker`s sharing the stream jobs; one worker is SIGKILLed midway. Nothing is lost or
 * written twice: the tables and the merged view equal the brute force over the topic.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { QueryResult } from '../../../src/serve/query/view.ts';
import { cli, tempDir } from '../../../test/support/cli.ts';
import { testBucket } from '../../../test/support/s3.ts';
import { freePort } from '../../../test/support/free-port.ts';
import { endpoint, uniqueName } from '../../../test/support/services.ts';
import { startCliProcess, startWorker } from '../../../test/support/worker-process.ts';
import { createCatalog, currentFromLog, EXAMPLE, FAST, perAreaFromLog, readListings, scrapeCounts } from './e2e-support.ts';

const name = uniqueName('tk');
const bucket = await testBucket('tk');

afterAll(async () => {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: endpoint('TRIBUTARY_POSTGRES_URL') });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  await client.query(`DROP SCHEMA IF EXISTS "${name}_lake" CASCADE`);
  await client.end();
  const { Redis } = await import('ioredis');
  const redis = new Redis(endpoint('TRIBUTARY_REDIS_URL'));
  const keys = await redis.keys(`${name}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('the toronto-kijiji example on Kafka, Redis, PostgreSQL and MinIO with two workers', () => {
  it('should lose and duplicate nothing when a worker is SIGKILLed midway', async () => {
    const cwd = await tempDir();
    const env = {
      ...FAST,
      TRIBUTARY_CONFIG: path.join(EXAMPLE, 'tributary.real.yaml'),
      TRIBUTARY_KAFKA_BROKERS: endpoint('TRIBUTARY_KAFKA_BROKERS'),
      TRIBUTARY_POSTGRES_URL: endpoint('TRIBUTARY_POSTGRES_URL'),
      TRIBUTARY_REDIS_URL: endpoint('TRIBUTARY_REDIS_URL'),
      TRIBUTARY_S3_ENDPOINT: endpoint('TRIBUTARY_S3_ENDPOINT'),
      TRIBUTARY_S3_ACCESS_KEY_ID: endpoint('TRIBUTARY_S3_ACCESS_KEY_ID'),
      TRIBUTARY_S3_SECRET_ACCESS_KEY: endpoint('TRIBUTARY_S3_SECRET_ACCESS_KEY'),
      TRIBUTARY_POSTGRES_SCHEMA: name,
      TRIBUTARY_REDIS_KEY_PREFIX: `${name}:`,
      TRIBUTARY_S3_BUCKET: bucket.bucket,
      KIJIJI_TOPIC: `${name}.listings`,
      // The workers poll the sources too: at fixed ports, their polls reach the emulators dev runs.
      TORONTO_CKAN_EMULATOR_PORT: String(await freePort()),
      KIJIJI_EMULATOR_PORT: String(await freePort()),
    };
    // The pipeline module reads its topic from the environment when imported, here as in the children.
    process.env.KIJIJI_TOPIC = env.KIJIJI_TOPIC;
    try {
      await createCatalog(cwd, env);
      const dev = startCliProcess(['dev', EXAMPLE, '--port', '0', '--status-ms', '500', '--drain', '60', '--log-level', 'warn'], env, cwd);
      await dev.seen(/tributary dev: toronto-kijiji on the kafka log/, 90_000);
      const a = startWorker(EXAMPLE, ['--log-level', 'warn'], env);
      const b = startWorker(EXAMPLE, ['--log-level', 'warn'], env);
      // Worker a has written some history when it dies.
      await a.seen(/kijiji-price-history: in [1-9]\d* out [1-9]/, 90_000);
      a.kill('SIGKILL');
      await a.exited;
      // The scraper goes on sending re-priced ads, which worker b alone now writes.
      const emittedAtKill = scrapeTotal(dev.output().stdout);
      const deadline = Date.now() + 90_000;
      while (scrapeTotal(dev.output().stdout) < emittedAtKill + 8) {
        if (Date.now() > deadline) throw new Error(`the scraper sent fewer than 8 ads after the kill:\n${dev.output().stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      // The rollup has published over some ads: the view's batch half holds part of the topic.
      await dev.seen(/batch-job toronto-kijiji\/kijiji-listings-per-area \([^)]*\): runs \d+, failedRuns \d+, read [\d,]+, written [1-9]/, 120_000);
      // dev stops its sources, drains its share and leaves; worker b takes the partitions dev held and catches up.
      dev.kill('SIGTERM');
      expect(await dev.exitedWithin(120_000)).toBe(0);
      const stdout = dev.output().stdout;
      const records = await readListings(cwd, env);
      const scrape = scrapeCounts(stdout);
      // The workers run the scrape too (their counts are not dev's), so the log holds at least dev's
      // share; and no ad was sent twice at one price (the fingerprints in Redis are shared).
      expect(records.length).toBeGreaterThanOrEqual(scrape.emitted);
      expect(records.length).toBeGreaterThan(emittedAtKill);
      const resent: string[] = [];
      const lastPrice = new Map<string, string>();
      for (const { value } of [...records].sort((x, y) => x.partition - y.partition || x.offset - y.offset)) {
        const price = `${value.priceKind}:${String(value.priceCents)}`;
        if (lastPrice.get(value.id) === price) resent.push(`${value.id} at ${price}`);
        lastPrice.set(value.id, price);
      }
      expect(resent).toEqual([]);
      const written = async (table: string) => {
        const result = JSON.parse((await cli(['query', table, '--pipeline', EXAMPLE, '--param', 'limit=10000', '--json'], { cwd, env })).stdout) as QueryResult;
        return Object.values(result.asOf.realtime).reduce((n, o) => n + o, 0);
      };
      const caughtUp = Date.now() + 90_000;
      while ((await written('kijiji_price_history')) < records.length || (await written('kijiji_current_listings')) < records.length) {
        if (Date.now() > caughtUp) throw new Error(`worker b did not catch up with the topic's ${records.length} records:\n${b.output().stdout.slice(-6000)}\n${b.output().stderr.slice(-4000)}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      b.kill('SIGTERM');
      expect(await b.exitedWithin(90_000)).toBe(0);

      // Every record once in the history, each log position once; the positions the sink committed cover the whole topic.
      const history = JSON.parse((await cli(['query', 'kijiji_price_history', '--pipeline', EXAMPLE, '--param', 'limit=10000', '--json'], { cwd, env })).stdout) as QueryResult;
      expect(history.rows.map((r) => `${String(r.partition)}/${String(r.offset)}`).sort()).toEqual(records.map((r) => `${r.partition}/${r.offset}`).sort());
      expect(Object.values(history.asOf.realtime).reduce((n, o) => n + o, 0)).toBe(records.length);
      const current = JSON.parse((await cli(['query', 'kijiji_current_listings', '--pipeline', EXAMPLE, '--param', 'limit=10000', '--json'], { cwd, env })).stdout) as QueryResult;
      expect(new Map(current.rows.map((r) => [String(r.id), Number(r.price_cents)]))).toEqual(currentFromLog(records));
      expect(Object.values(current.asOf.realtime).reduce((n, o) => n + o, 0)).toBe(records.length);
      const view = JSON.parse((await cli(['query', 'rentals-per-area', '--pipeline', EXAMPLE, '--json'], { cwd, env })).stdout) as QueryResult;
      expect(new Map(view.rows.map((r) => [String(r.area), { listings: Number(r.listings), price_changes: Number(r.price_changes) }]))).toEqual(perAreaFromLog(records));
      expect(Object.values(view.asOf.batch.offsets).reduce((n, t) => n + t, 0)).toBeGreaterThan(0);
    } finally {
      delete process.env.KIJIJI_TOPIC;
      await cli(['topics', 'delete', env.KIJIJI_TOPIC], { cwd, env });
    }
  }, 480_000);
});

function scrapeTotal(stdout: string): number {
  const all = [...stdout.matchAll(/kijiji-scrape \([^)]*\)(?: \[stopped\])?: polls \d+, emitted ([\d,]+)/g)];
  return Number(all.at(-1)?.[1]?.replaceAll(',', '') ?? '0');
}
