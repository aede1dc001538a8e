import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { DeleteBucketCommand, HeadBucketCommand, HeadObjectCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import type { Lake } from '../../src/lake/lake.ts';
import { openLake } from '../../src/lake/open-lake.ts';
import { openS3Lake, type S3LakeOptions } from '../../src/lake/s3/s3-lake.ts';
import { rejection } from '../support/errors.ts';
import { endpoint, uniqueName } from '../support/services.ts';
import { deleteUnder, describeLakeContract, pieces } from './lake-contract.ts';

const connection = {
  endpoint: endpoint('TRIBUTARY_S3_ENDPOINT'),
  region: process.env.TRIBUTARY_S3_REGION ?? 'us-east-1',
  accessKeyId: endpoint('TRIBUTARY_S3_ACCESS_KEY_ID'),
  secretAccessKey: endpoint('TRIBUTARY_S3_SECRET_ACCESS_KEY'),
  forcePathStyle: true,
};
/** This file's bucket; the lakes below create it, and it is emptied and deleted at the end. */
const bucket = uniqueName('lake').replace(/_/g, '-');
const admin = new S3Client({ ...connection, credentials: { accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey } });
const cacheDirs: string[] = [];

afterAll(async () => {
  const lake = await openS3Lake({ ...connection, bucket, cacheDir: tmpdir() });
  await deleteUnder(lake, '');
  await lake.close();
  await admin.send(new DeleteBucketCommand({ Bucket: bucket }));
  admin.destroy();
  for (const dir of cacheDirs) await rm(dir, { recursive: true, force: true });
});

async function cacheDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tributary-lake-cache-'));
  cacheDirs.push(dir);
  return dir;
}

/** A lake on this file's bucket, closed when the test ends; its keys go under a prefix of the test's own, deleted then too. */
async function openTestLake(options: Partial<S3LakeOptions> = {}): Promise<{ lake: Lake; p: string; cache: string }> {
  const cache = await cacheDir();
  const lake = await openS3Lake({ ...connection, bucket, cacheDir: cache, ...options });
  const p = `raw/${uniqueName('s3')}`;
  onTestFinished(async () => {
    await deleteUnder(lake, `${p}/`);
    await lake.close();
  });
  return { lake, p, cache };
}

describeLakeContract(
  's3',
  async () => {
    const cache = await cacheDir();
    return { lake: await openS3Lake({ ...connection, bucket, cacheDir: cache }), cleanup: () => rm(cache, { recursive: true, force: true }) };
  },
  { manyKeys: 1200, largeBytes: 20 * 1024 * 1024 },
);

describe('S3 lake', () => {
  it('opening should create a missing bucket, and opening again should use it', async () => {
    const own = uniqueName('lake').replace(/_/g, '-');
    const first = await openS3Lake({ ...connection, bucket: own, cacheDir: await cacheDir() });
    const second = await openS3Lake({ ...connection, bucket: own, cacheDir: await cacheDir() });
    await first.close();
    await second.close();
    await admin.send(new HeadBucketCommand({ Bucket: own }));
    await admin.send(new DeleteBucketCommand({ Bucket: own }));
  });

  it('a 20 MB body should go up in parts, and a small one in a single put', async () => {
    const { lake, p } = await openTestLake({ partSizeBytes: 8 * 1024 * 1024 });
    const large = await lake.put(`${p}/large.bin`, pieces(randomBytes(20 * 1024 * 1024)));
    // A multipart object's ETag is "<md5 of the part md5s>-<part count>".
    expect(large.etag).toMatch(/-3$/);
    const small = await lake.put(`${p}/small.bin`, Buffer.alloc(1024));
    expect(small.etag).toMatch(/^[0-9a-f]{32}$/);
  });

  it('a multipart put whose body fails should abort its upload', async () => {
    const { lake, p } = await openTestLake({ partSizeBytes: 5 * 1024 * 1024 });
    async function* failing(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 12; i++) {
        await yieldToLoop();
        yield randomBytes(1024 * 1024);
      }
      throw new Error('the source broke');
    }
    await expect(lake.put(`${p}/broken.bin`, failing())).rejects.toThrow('the source broke');
    const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `${p}/` }));
    expect(uploads.Uploads ?? []).toEqual([]);
  });

  it('put should keep the content type and metadata', async () => {
    const { lake, p } = await openTestLake();
    await lake.put(`${p}/typed.json`, Buffer.from('{}'), { contentType: 'application/json', metadata: { run: 'r1', job: 'orders-clean' } });
    await lake.put(`${p}/streamed.json`, pieces(Buffer.from('{"a":1}')), { contentType: 'application/json', metadata: { run: 'r2' } });
    const typed = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: `${p}/typed.json` }));
    expect(typed.ContentType).toBe('application/json');
    expect(typed.Metadata).toEqual({ run: 'r1', job: 'orders-clean' });
    const streamed = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: `${p}/streamed.json` }));
    expect([streamed.ContentType, streamed.Metadata]).toEqual(['application/json', { run: 'r2' }]);
  });

  it('localPath should stage the copy under <cacheDir>/<bucket>/<key> and download again when the copy was tampered with', async () => {
    const { lake, p, cache } = await openTestLake();
    const key = `${p}/dt=2026-11-21/part-0.parquet`;
    const bytes = randomBytes(10_000);
    await lake.put(key, bytes);
    const file = await lake.localPath(key);
    expect(file).toBe(path.join(cache, bucket, key));
    await writeFile(file, 'tampered');
    expect(await readFile(await lake.localPath(key))).toEqual(bytes);
    // Concurrent calls share one download and agree.
    await lake.put(key, randomBytes(20_000));
    const paths = await Promise.all([lake.localPath(key), lake.localPath(key), lake.localPath(key)]);
    expect(new Set(paths)).toEqual(new Set([file]));
    expect((await stat(file)).size).toBe(20_000);
  });

  it('an unreachable endpoint should fail with a retryable LAKE_UNAVAILABLE, quickly', async () => {
    const started = Date.now();
    const error = await rejection(openS3Lake({ ...connection, endpoint: 'http://127.0.0.1:9', bucket, cacheDir: await cacheDir(), maxAttempts: 2, connectTimeoutMs: 500 }), 'LAKE_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(error.cause).toBeDefined();
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('wrong credentials should fail with a LAKE_UNAVAILABLE that is not retryable', async () => {
    const error = await rejection(openS3Lake({ ...connection, secretAccessKey: 'not-the-secret', bucket, cacheDir: await cacheDir() }), 'LAKE_UNAVAILABLE');
    expect(error.retryable).toBe(false);
  });

  it('openLake should open the s3.* bucket for the s3 backend', async () => {
    const cwd = await cacheDir();
    const config = configSchema.parse({ dataDir: 'data', lake: { backend: 's3' }, s3: { ...connection, bucket } });
    const lake = await openLake(config, { cwd });
    const p = `raw/${uniqueName('open')}`;
    onTestFinished(async () => {
      await deleteUnder(lake, `${p}/`);
      await lake.close();
    });
    expect(lake.backend).toBe('s3');
    await lake.put(`${p}/part-0.parquet`, Buffer.from('x'));
    expect(await lake.localPath(`${p}/part-0.parquet`)).toBe(path.join(cwd, 'data', 'lake-cache', bucket, p, 'part-0.parquet'));
  });
});
