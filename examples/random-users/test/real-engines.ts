/**
 * The environment of an example's real-engine test: the example's tributary.real.yaml, with the
 * endpoints of `scripts/services env` and names of the test's own (keyspace, Redis prefix,
 * PostgreSQL schema, bucket), and the clean-up of what the engines keep under those names.
 */
import { onTestFinished } from 'vitest';
import type { TestBucket } from '../../../test/support/s3.ts';
import { endpoint } from '../../../test/support/services.ts';
import { ok } from './example-run.ts';

export function realEngineEnv(config: string, instance: string, bucket: TestBucket): Record<string, string> {
  return {
    TRIBUTARY_CONFIG: config,
    TRIBUTARY_KAFKA_BROKERS: endpoint('TRIBUTARY_KAFKA_BROKERS'),
    TRIBUTARY_CASSANDRA_CONTACT_POINTS: endpoint('TRIBUTARY_CASSANDRA_CONTACT_POINTS'),
    TRIBUTARY_CASSANDRA_KEYSPACE: instance,
    TRIBUTARY_REDIS_URL: endpoint('TRIBUTARY_REDIS_URL'),
    TRIBUTARY_REDIS_KEY_PREFIX: `${instance}:`,
    TRIBUTARY_POSTGRES_URL: endpoint('TRIBUTARY_POSTGRES_URL'),
    TRIBUTARY_POSTGRES_SCHEMA: instance,
    TRIBUTARY_S3_ENDPOINT: bucket.connection.endpoint,
    TRIBUTARY_S3_BUCKET: bucket.bucket,
    TRIBUTARY_S3_ACCESS_KEY_ID: bucket.connection.accessKeyId,
    TRIBUTARY_S3_SECRET_ACCESS_KEY: bucket.connection.secretAccessKey,
  };
}

/** After the test: its topics deleted, its keyspace and PostgreSQL schemas dropped. */
export function cleanUpRealEngines(cwd: string, env: Record<string, string>, instance: string, topics: readonly string[]): void {
  onTestFinished(async () => {
    for (const t of topics) await ok(['topics', 'delete', t], cwd, env).catch(() => undefined);
    const { Client } = await import('cassandra-driver');
    const client = new Client({ contactPoints: (env.TRIBUTARY_CASSANDRA_CONTACT_POINTS ?? '').split(','), localDataCenter: process.env.TRIBUTARY_CASSANDRA_DATACENTER ?? 'datacenter1' });
    await client.execute(`DROP KEYSPACE IF EXISTS ${instance}`);
    await client.shutdown();
    const { default: pg } = await import('pg');
    const postgres = new pg.Client({ connectionString: env.TRIBUTARY_POSTGRES_URL });
    await postgres.connect();
    for (const schema of [instance, `${instance}_lake`, `${instance}_queue`]) await postgres.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await postgres.end();
  });
}
