/** MinIO for integration tests: the connection from the environment, and a bucket per test file. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeleteBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll } from 'vitest';
import type { Lake } from '../../src/lake/lake.ts';
import { openS3Lake } from '../../src/lake/s3/s3-lake.ts';
import { deleteUnder } from '../lake/lake-contract.ts';
import { endpoint, uniqueName } from './services.ts';

export function s3Connection() {
  return {
    endpoint: endpoint('TRIBUTARY_S3_ENDPOINT'),
    region: process.env.TRIBUTARY_S3_REGION ?? 'us-east-1',
    forcePathStyle: true,
    accessKeyId: endpoint('TRIBUTARY_S3_ACCESS_KEY_ID'),
    secretAccessKey: endpoint('TRIBUTARY_S3_SECRET_ACCESS_KEY'),
  };
}

export interface TestBucket {
  connection: ReturnType<typeof s3Connection>;
  bucket: string;
  /** The lakes' local cache (DuckDB stages objects there). */
  cacheDir: string;
  /** A lake on the bucket (which it creates on first use). */
  open: () => Promise<Lake>;
}

/** A bucket of the calling test file's own, emptied and deleted after its tests, with its cache. */
export async function testBucket(prefix: string): Promise<TestBucket> {
  const connection = s3Connection();
  const bucket = uniqueName(prefix).replace(/_/g, '-');
  const cacheDir = await mkdtemp(path.join(tmpdir(), `tributary-${prefix}-cache-`));
  const open = () => openS3Lake({ ...connection, bucket, cacheDir });
  afterAll(async () => {
    const lake = await open();
    await deleteUnder(lake, '');
    await lake.close();
    const admin = new S3Client({ ...connection, credentials: { accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey } });
    await admin.send(new DeleteBucketCommand({ Bucket: bucket }));
    admin.destroy();
    await rm(cacheDir, { recursive: true, force: true });
  });
  return { connection, bucket, cacheDir, open };
}
