import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeleteBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { openS3Lake } from '../../src/lake/s3/s3-lake.ts';
import { cli, tempDir } from '../support/cli.ts';
import { endpoint, uniqueName } from '../support/services.ts';
import { deleteUnder } from '../lake/lake-contract.ts';
import { archiveSample } from './lake-fixture.ts';

const connection = {
  endpoint: endpoint('TRIBUTARY_S3_ENDPOINT'),
  region: process.env.TRIBUTARY_S3_REGION ?? 'us-east-1',
  forcePathStyle: true,
  accessKeyId: endpoint('TRIBUTARY_S3_ACCESS_KEY_ID'),
  secretAccessKey: endpoint('TRIBUTARY_S3_SECRET_ACCESS_KEY'),
};
const bucket = uniqueName('lake-ls').replace(/_/g, '-');
const cacheDir = await mkdtemp(path.join(tmpdir(), 'tributary-lake-ls-cache-'));
const open = () => openS3Lake({ ...connection, bucket, cacheDir });
const env = {
  TRIBUTARY_LAKE_BACKEND: 's3',
  TRIBUTARY_S3_ENDPOINT: connection.endpoint,
  TRIBUTARY_S3_REGION: connection.region,
  TRIBUTARY_S3_BUCKET: bucket,
  TRIBUTARY_S3_ACCESS_KEY_ID: connection.accessKeyId,
  TRIBUTARY_S3_SECRET_ACCESS_KEY: connection.secretAccessKey,
};

afterAll(async () => {
  const lake = await open();
  await deleteUnder(lake, '');
  await lake.close();
  const admin = new S3Client({ ...connection, credentials: { accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey } });
  await admin.send(new DeleteBucketCommand({ Bucket: bucket }));
  admin.destroy();
  await rm(cacheDir, { recursive: true, force: true });
});

describe('tributary lake ls on MinIO', () => {
  it('should list the archived raw zone from the catalog in the bucket', async () => {
    const dir = await tempDir();
    const lake = await open();
    const hours = await archiveSample(lake, path.join(dir, 'log'));
    await lake.close();
    const all = await cli(['--data-dir', dir, 'lake', 'ls'], { env });
    expect(all.stderr).toBe('');
    expect(all.stdout).toMatch(/raw\/pins\s+\d+\s+2\s+\d+\s+300\s/);
    const dataset = await cli(['--data-dir', dir, 'lake', 'ls', 'raw/pins', '--json'], { env });
    const parsed = JSON.parse(dataset.stdout) as { rows: number; partitions: { partition: string; rows: number }[] };
    expect(parsed.rows).toBe(300);
    expect(Object.fromEntries(parsed.partitions.map((p) => [p.partition, p.rows]))).toEqual(hours);
  });
});
