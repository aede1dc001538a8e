/** The batch fixture on the real engines: raw zone and tables on a MinIO bucket of its own, metadata and the tables' catalog in a PostgreSQL schema of its own. */
import { DeleteBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { onTestFinished } from 'vitest';
import { openS3Lake } from '../../src/lake/s3/s3-lake.ts';
import { batchSettings } from '../../src/batch/duckdb.ts';
import { openLakeTables } from '../../src/lake/tables/open-tables.ts';
import type { TablesSettings } from '../../src/lake/tables/tables.ts';
import { openPostgresMetadataStore } from '../../src/metadata/postgres/postgres-metadata.ts';
import { deleteUnder } from '../lake/lake-contract.ts';
import { s3Connection } from '../support/s3.ts';
import { endpoint, uniqueName } from '../support/services.ts';
import type { Fixture } from './batch-support.ts';

export async function realFixture(): Promise<Fixture & { bucket: string; schema: string }> {
  const connection = s3Connection();
  const bucket = uniqueName('batch').replace(/_/g, '-');
  const schema = uniqueName('batch');
  const url = endpoint('TRIBUTARY_POSTGRES_URL');
  const dir = await mkdtemp(path.join(tmpdir(), 'tributary-batch-real-'));
  const lake = await openS3Lake({ ...connection, bucket, cacheDir: dir });
  const metadata = await openPostgresMetadataStore({ url, schema });
  const settings: TablesSettings = {
    catalog: { kind: 'postgres', url, schema: `${schema}_lake` },
    data: { kind: 's3', bucket, prefix: 'tables/', endpoint: connection.endpoint, region: connection.region, forcePathStyle: true, accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey },
  };
  // The bucket exists once the lake wrote to it; DuckDB does not create buckets.
  await lake.put('created', Buffer.from(''));
  const tables = await openLakeTables(settings, { settings: batchSettings() });
  onTestFinished(async () => {
    await tables.close();
    await metadata.close();
    await deleteUnder(lake, '');
    await lake.close();
    const admin = new S3Client({ ...connection, credentials: { accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey } });
    await admin.send(new DeleteBucketCommand({ Bucket: bucket }));
    admin.destroy();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    for (const s of [schema, `${schema}_lake`]) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await client.end();
    await rm(dir, { recursive: true, force: true });
  });
  return { lake, metadata, tables, settings, dir, bucket, schema };
}
