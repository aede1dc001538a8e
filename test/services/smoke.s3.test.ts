import { createHash, randomBytes } from 'node:crypto';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, describe, expect, it } from 'vitest';
import { endpoint, uniqueName } from '../support/services.ts';

const SIZE = 20 * 1024 * 1024;
const PART = 5 * 1024 * 1024;

describe('S3 (MinIO) smoke test', () => {
  const s3 = new S3Client({
    endpoint: endpoint('TRIBUTARY_S3_ENDPOINT'),
    region: process.env.TRIBUTARY_S3_REGION ?? 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: endpoint('TRIBUTARY_S3_ACCESS_KEY_ID'), secretAccessKey: endpoint('TRIBUTARY_S3_SECRET_ACCESS_KEY') },
  });
  const bucket = uniqueName('smoke').replace(/_/g, '-');
  afterAll(async () => {
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    s3.destroy();
  });

  it('should put a 20 MB object in parts, then get, list and delete it', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const body = randomBytes(SIZE);
    const key = 'raw/smoke/dt=2026-11-21/part-0.bin';
    const parts: number[] = [];
    const upload = new Upload({ client: s3, params: { Bucket: bucket, Key: key, Body: body }, partSize: PART, queueSize: 2 });
    upload.on('httpUploadProgress', (progress) => {
      if (progress.part !== undefined) parts.push(progress.part);
    });
    await upload.done();
    expect(new Set(parts).size).toBe(SIZE / PART);

    // A multipart object's ETag is "<md5 of the part md5s>-<part count>".
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ContentLength).toBe(SIZE);
    expect(head.ETag).toMatch(new RegExp(`-${SIZE / PART}"$`));

    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
    expect(bytes.length).toBe(SIZE);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'raw/smoke/' }));
    expect(listed.Contents?.map((o) => [o.Key, o.Size])).toEqual([[key, SIZE]]);

    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    const after = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(after.KeyCount).toBe(0);
  });
});
