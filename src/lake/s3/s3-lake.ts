/**
 * The lake in an S3 bucket (AWS S3 or MinIO), on @aws-sdk/client-s3 and @aws-sdk/lib-storage, both
 * imported inside `openS3Lake`, so importing this module loads nothing and connects nowhere.
 *
 * Puts go through lib-storage's `Upload`: one PutObject for a body up to `partSizeBytes`, a multipart
 * upload above it, with at most `queueSize` parts in flight (memory stays under partSize × queueSize
 * whatever the body's size). Either way the object appears only when the upload completes; a failed
 * multipart upload is aborted, so its parts do not linger. Keys are object keys as they are; `list`
 * returns S3's order, which is UTF-8 byte order.
 *
 * Retries: the SDK's standard mode (`maxAttempts` in all, with backoff) retries throttling, 5xx,
 * timeouts and dropped connections; what still fails becomes LAKE_UNAVAILABLE (see s3-errors.ts). A
 * short connect timeout and a socket idle timeout make a dead endpoint fail a call, never hang it.
 *
 * ETags are kept without the quotes S3 puts around them.
 */
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { TributaryError } from '../../errors.ts';
import { bodyChunks, type BodyFailure } from '../body.ts';

import { checkKey, checkPrefix } from '../keys.ts';
import type { Lake, LakeObject } from '../lake.ts';
import { createLocalCache } from './s3-cache.ts';
import { isConditionFailed, isMissingBucket, isMissingObject, toS3LakeError } from './s3-errors.ts';

export interface S3LakeOptions {
  /** Leave unset for AWS; http(s)://host:port for MinIO. */
  endpoint?: string;
  region: string;
  bucket: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  /** Where `localPath` keeps its copies: `<cacheDir>/<bucket>/<key>`. */
  cacheDir: string;
  /** Part size of a multipart upload, and the size above which a put goes multipart. Default 8 MiB (S3's minimum is 5). */
  partSizeBytes?: number;
  /** Parts uploaded at once per put. Default 4. */
  queueSize?: number;
  /** Attempts per request, the first included. Default 3. */
  maxAttempts?: number;
  /** Default 3000. */
  connectTimeoutMs?: number;
  /** A request whose socket stays silent this long fails. Default 30000. */
  socketTimeoutMs?: number;
}

const unquote = (etag: string) => etag.replace(/^"(.*)"$/, '$1');

export async function openS3Lake(options: S3LakeOptions): Promise<Lake> {
  const sdk = await import('@aws-sdk/client-s3');
  const { Upload } = await import('@aws-sdk/lib-storage');
  const Bucket = options.bucket;
  const client: S3Client = new sdk.S3Client({
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: { connectionTimeout: options.connectTimeoutMs ?? 3000, socketTimeout: options.socketTimeoutMs ?? 30_000 },
  });
  const partSize = Math.max(options.partSizeBytes ?? 8 * 1024 * 1024, 5 * 1024 * 1024);
  const queueSize = options.queueSize ?? 4;

  try {
    await ensureBucket();
  } catch (error) {
    client.destroy();
    throw error;
  }

  async function ensureBucket(): Promise<void> {
    try {
      await client.send(new sdk.HeadBucketCommand({ Bucket }));
      return;
    } catch (error) {
      if (!isMissingBucket(error)) throw toS3LakeError(error, 'open bucket', Bucket);
    }
    try {
      await client.send(new sdk.CreateBucketCommand({ Bucket }));
    } catch (error) {
      // Another process created it between our HEAD and CREATE.
      if ((error as { name?: unknown }).name !== 'BucketAlreadyOwnedByYou') throw toS3LakeError(error, 'create bucket', Bucket);
    }
  }

  async function head(key: string): Promise<LakeObject | undefined> {
    try {
      const out = await client.send(new sdk.HeadObjectCommand({ Bucket, Key: checkKey(key) }));
      return { key, size: out.ContentLength ?? 0, modified: out.LastModified ?? new Date(0), etag: unquote(out.ETag ?? '') };
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw toS3LakeError(error, 'head', key);
    }
  }

  async function headAfterPut(key: string): Promise<LakeObject> {
    const object = await head(key);
    // Only a delete racing the put can get here.
    if (!object) throw new TributaryError('LAKE_NOT_FOUND', `No object "${key}" in the lake right after putting it (deleted meanwhile?)`);
    return object;
  }

  /**
   * The object's body, with errors from the middle of the download (a dropped connection) turned
   * into TributaryErrors like those of the request itself. `ifMatch` makes a changed object answer
   * undefined instead.
   */
  async function open(key: string, ifMatch?: string): Promise<Readable | undefined> {
    let body: unknown;
    try {
      const out = await client.send(new sdk.GetObjectCommand({ Bucket, Key: checkKey(key), ...(ifMatch === undefined ? {} : { IfMatch: `"${ifMatch}"` }) }));
      body = out.Body;
    } catch (error) {
      if (ifMatch !== undefined && isConditionFailed(error)) return undefined;
      throw toS3LakeError(error, 'get', key);
    }
    if (!(body instanceof Readable)) throw new TributaryError('INTERNAL', `S3 get "${key}": the SDK returned a body that is not a Node stream`);
    const mapped = new PassThrough();
    body.on('error', (error) => mapped.destroy(toS3LakeError(error, 'get', key) as Error));
    // A reader that stops early must release the connection (a finished body has released it).
    mapped.on('close', () => {
      if (!body.readableEnded) body.destroy();
    });
    return body.pipe(mapped);
  }

  const localPath = createLocalCache(path.join(options.cacheDir, Bucket), path.join(options.cacheDir, '.etags', Bucket), { head, openIfMatch: open });

  return {
    backend: 's3',

    async put(key, body, putOptions = {}) {
      checkKey(key);
      const failure: BodyFailure = {};
      const source = Buffer.isBuffer(body) ? body : Readable.from(bodyChunks(body, failure));
      const upload = new Upload({
        client,
        params: {
          Bucket,
          Key: key,
          Body: source,
          ...(putOptions.contentType === undefined ? {} : { ContentType: putOptions.contentType }),
          ...(putOptions.metadata === undefined ? {} : { Metadata: putOptions.metadata }),
        },
        partSize,
        queueSize,
        leavePartsOnError: false,
      });
      try {
        await upload.done();
      } catch (error) {
        if (source instanceof Readable) source.destroy();
        throw toS3LakeError(error, 'put', key, failure);
      }
      return headAfterPut(key);
    },

    async putIfAbsent(key, body, putOptions = {}) {
      try {
        await client.send(
          new sdk.PutObjectCommand({
            Bucket,
            Key: checkKey(key),
            Body: body,
            IfNoneMatch: '*',
            ...(putOptions.contentType === undefined ? {} : { ContentType: putOptions.contentType }),
          }),
        );
      } catch (error) {
        if (isConditionFailed(error)) return undefined;
        throw toS3LakeError(error, 'put', key);
      }
      return headAfterPut(key);
    },

    async get(key) {
      const body = await open(key);
      if (!body) throw new TributaryError('INTERNAL', `S3 get "${key}" answered nothing`);
      return body;
    },

    async getBytes(key) {
      try {
        const out = await client.send(new sdk.GetObjectCommand({ Bucket, Key: checkKey(key) }));
        const bytes = (await out.Body?.transformToByteArray()) ?? new Uint8Array();
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      } catch (error) {
        throw toS3LakeError(error, 'get', key);
      }
    },

    head,

    async *list(prefix) {
      checkPrefix(prefix);
      let ContinuationToken: string | undefined;
      do {
        let page;
        try {
          page = await client.send(new sdk.ListObjectsV2Command({ Bucket, Prefix: prefix, ...(ContinuationToken === undefined ? {} : { ContinuationToken }) }));
        } catch (error) {
          throw toS3LakeError(error, 'list', prefix);
        }
        for (const item of page.Contents ?? []) {
          if (item.Key === undefined) continue;
          yield { key: item.Key, size: item.Size ?? 0, modified: item.LastModified ?? new Date(0), etag: unquote(item.ETag ?? '') };
        }
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken !== undefined);
    },

    async delete(key) {
      try {
        await client.send(new sdk.DeleteObjectCommand({ Bucket, Key: checkKey(key) }));
      } catch (error) {
        throw toS3LakeError(error, 'delete', key);
      }
    },

    async localPath(key) {
      return localPath(checkKey(key));
    },

    engineUri(key) {
      return `s3://${Bucket}/${checkKey(key)}`;
    },

    close() {
      client.destroy();
      return Promise.resolve();
    },
  };
}
