import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeleteBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll } from 'vitest';
import { openS3Lake } from '../../src/lake/s3/s3-lake.ts';
import { endpoint, uniqueName } from '../support/services.ts';
import { deleteUnder } from './lake-contract.ts';
import { describeCatalogContract } from './catalog-contract.ts';

const connection = {
  endpoint: endpoint('TRIBUTARY_S3_ENDPOINT'),
  region: process.env.TRIBUTARY_S3_REGION ?? 'us-east-1',
  forcePathStyle: true,
  accessKeyId: endpoint('TRIBUTARY_S3_ACCESS_KEY_ID'),
  secretAccessKey: endpoint('TRIBUTARY_S3_SECRET_ACCESS_KEY'),
};
/** One bucket for the file (each test works on a dataset of its own in it), emptied and deleted at the end. */
const bucket = uniqueName('catalog').replace(/_/g, '-');
const cacheDir = await mkdtemp(path.join(tmpdir(), 'tributary-catalog-cache-'));
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

describeCatalogContract('s3', open);
