/**
 * The Pinterest example on the real engines by configuration alone (tributary.real.yaml: Kafka,
 * PostgreSQL, MinIO): `tributary dev` runs the poster, the ingest API and the batch job, two
 * `tributary worker`s share the cleaning job, and one is SIGKILLed midway. Nothing is lost or written
 * twice: the table holds each cleaned pin once, and the merged view equals the brute force over the topic.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { QueryResult } from '../../../src/serve/query/view.ts';
import { cli, tempDir } from '../../../test/support/cli.ts';
import { createCatalog } from '../../../test/support/lake-tables.ts';
import { testBucket } from '../../../test/support/s3.ts';
import { endpoint, uniqueName } from '../../../test/support/services.ts';
import { startCliProcess, startWorker } from '../../../test/support/worker-process.ts';

const EXAMPLE = path.resolve(import.meta.dirname, '..');
const name = uniqueName('pin');
const bucket = await testBucket('pin');
// The pipeline's modules read the topic's name when imported: set it first, here as in the children.
process.env.PINTEREST_PINS_TOPIC = `${name}.pins`;
const { cleanPin } = await import('../clean-pin.ts');
const { rawPinSchema } = await import('../pins.ts');

afterAll(async () => {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: endpoint('TRIBUTARY_POSTGRES_URL') });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  await client.query(`DROP SCHEMA IF EXISTS "${name}_lake" CASCADE`);
  await client.end();
  delete process.env.PINTEREST_PINS_TOPIC;
});

const total = (offsets: Record<string, number>) => Object.values(offsets).reduce((n, o) => n + o, 0);

describe('the pinterest example on Kafka, PostgreSQL and MinIO with two workers', () => {
  it('should lose and duplicate no pin when a worker is SIGKILLed midway', async () => {
    const cwd = await tempDir();
    const env = {
      PINTEREST_RATE: '60',
      PINTEREST_BATCH_EVERY_MS: '3000',
      PINTEREST_PINS_TOPIC: `${name}.pins`,
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
    };
    try {
      await createCatalog(cwd, env);
      const dev = startCliProcess(['dev', EXAMPLE, '--port', '0', '--status-ms', '500', '--drain', '60', '--log-level', 'warn'], env, cwd);
      await dev.seen(/tributary dev: pinterest on the kafka log/, 90_000);
      const a = startWorker(EXAMPLE, ['--log-level', 'warn'], env);
      const b = startWorker(EXAMPLE, ['--log-level', 'warn'], env);
      await a.seen(/pinterest-clean: in [1-9]\d* out [1-9]/, 90_000);
      a.kill('SIGKILL');
      await a.exited;
      // Pins keep coming after the kill, and the batch job has published some.
      await b.seen(/pinterest-clean: in \d{3,}/, 90_000);
      await dev.seen(/batch-job pinterest\/pinterest-clean-batch \([^)]*\): runs \d+, failedRuns \d+, read [\d,]+, written [1-9]/, 120_000);
      // Worker b leaves; dev, the last member, takes every partition and drains the topic before it stops.
      b.kill('SIGTERM');
      expect(await b.exited).toBe(0);
      dev.kill('SIGTERM');
      expect(await dev.exited).toBe(0);
      const tail = await cli(['tail', env.PINTEREST_PINS_TOPIC, '--from', 'earliest', '-n', '1000000', '--no-follow'], { cwd, env });
      const records = tail.stdout.trim().split('\n').map((line) => JSON.parse(line) as { partition: number; offset: number; value: unknown });
      const accepted = Number(/server ingest \[stopped\]: accepted ([\d,]+)/.exec(dev.output().stdout)![1]!.replaceAll(',', ''));
      expect(records.length).toBe(accepted);
      const query = async (view: string, extra: string[] = []) => JSON.parse((await cli(['query', view, '--pipeline', EXAMPLE, ...extra, '--json'], { cwd, env })).stdout) as QueryResult;

      const kept = records.flatMap((r) => {
        const pin = rawPinSchema.safeParse(r.value).success ? cleanPin(r.value) : null;
        return pin && pin.unique_id !== null ? [{ source: `${env.PINTEREST_PINS_TOPIC}/${r.partition}/${r.offset}`, unique_id: pin.unique_id, category: pin.category }] : [];
      });
      const pins = await query('pinterest_pins', ['--param', 'limit=10000']);
      expect(pins.rows.map((r) => String(r.source)).sort()).toEqual(kept.map((p) => p.source).sort());
      expect(total(pins.asOf.realtime)).toBe(records.length);
      const view = await query('posts-per-category');
      const expected = new Map<string, number>();
      for (const pin of kept) expected.set(pin.category, (expected.get(pin.category) ?? 0) + 1);
      expect(new Map(view.rows.map((r) => [String(r.category), Number(r.posts)]))).toEqual(expected);
      expect(total(view.asOf.batch.offsets)).toBeGreaterThan(0);
    } finally {
      await cli(['topics', 'delete', env.PINTEREST_PINS_TOPIC], { cwd, env });
    }
  }, 300_000);
});
