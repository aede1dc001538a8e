import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from '../support/cli.ts';
import { archiveSample } from './lake-fixture.ts';
import { testBucket } from '../support/s3.ts';

const { connection, bucket, open } = await testBucket('lake-ls');
const env = {
  TRIBUTARY_LAKE_BACKEND: 's3',
  TRIBUTARY_S3_ENDPOINT: connection.endpoint,
  TRIBUTARY_S3_REGION: connection.region,
  TRIBUTARY_S3_BUCKET: bucket,
  TRIBUTARY_S3_ACCESS_KEY_ID: connection.accessKeyId,
  TRIBUTARY_S3_SECRET_ACCESS_KEY: connection.secretAccessKey,
};

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
