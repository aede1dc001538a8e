/**
 * The lake in a local directory: each key is a file under `root` (see fs-files.ts for how a put is
 * published atomically).
 *
 * What the backend does not keep: `contentType` and `metadata` are accepted and dropped (a file has
 * nowhere portable to hold them). A key cannot be both an object and a prefix of another object's
 * key (`a/b` and `a/b/c`), since `a/b` cannot be a file and a directory at once; the Hive layout
 * never needs that, and such a put fails with LAKE_INVALID_KEY.
 *
 * Errors: a missing file is LAKE_NOT_FOUND; a disk that refuses a write or read (full, read-only,
 * I/O error, permissions) is LAKE_UNAVAILABLE, retryable unless it is a permissions problem. An error
 * thrown by the caller's body stream is rethrown as it is.
 */
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { TributaryError, isTributaryError } from '../../errors.ts';
import type { BodyFailure } from '../body.ts';

import { checkKey, checkPrefix } from '../keys.ts';
import type { Body, Lake, LakeObject } from '../lake.ts';
import { errnoCode, publishFile, statObject, sweepTemporaryFiles, walk } from './fs-files.ts';

export interface FsLakeOptions {
  /** The lake's directory; created if missing. */
  root: string;
}

const NOT_FOUND = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);
/** Calls where a missing file means a missing key; elsewhere (open, put) it means a broken lake directory. */
const READS = new Set(['get', 'head', 'localPath']);
const NOT_RETRYABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

function notFound(key: string, cause?: unknown): TributaryError {
  return new TributaryError('LAKE_NOT_FOUND', `No object "${key}" in the lake`, cause === undefined ? {} : { cause });
}

/** The TributaryError for a failed file operation; the caller's body error passes through. */
function toFsLakeError(error: unknown, operation: string, key: string, failure?: BodyFailure): unknown {
  if (failure?.error !== undefined) return failure.error;
  if (isTributaryError(error)) return error;
  const code = errnoCode(error);
  if (operation === 'put' && (code === 'EISDIR' || code === 'ENOTDIR' || code === 'EEXIST')) {
    return new TributaryError('LAKE_INVALID_KEY', `Cannot put "${key}": the key collides with a directory of other objects' keys (or a file where it needs a directory)`, { cause: error });
  }
  if (READS.has(operation) && code !== undefined && NOT_FOUND.has(code)) return notFound(key, error);
  const message = error instanceof Error ? error.message : String(error);
  return new TributaryError('LAKE_UNAVAILABLE', `Lake ${operation} "${key}" failed on the local disk: ${message}`, {
    cause: error,
    retryable: code === undefined || !NOT_RETRYABLE.has(code),
  });
}

export async function openFsLake(options: FsLakeOptions): Promise<Lake> {
  const root = path.resolve(options.root);
  try {
    await mkdir(root, { recursive: true });
  } catch (error) {
    throw toFsLakeError(error, 'open', root);
  }
  const fileOf = (key: string) => path.join(root, checkKey(key));

  async function headOrThrow(key: string, operation: string): Promise<LakeObject> {
    const object = await statObject(key, fileOf(key)).catch((error: unknown) => {
      throw toFsLakeError(error, operation, key);
    });
    if (!object) throw notFound(key);
    return object;
  }

  async function publish(key: string, body: Body, mode: 'replace' | 'create'): Promise<LakeObject | undefined> {
    const file = fileOf(key);
    const failure: BodyFailure = {};
    let published: boolean;
    try {
      published = await publishFile(file, body, mode, failure);
    } catch (error) {
      throw toFsLakeError(error, 'put', key, failure);
    }
    return published ? headOrThrow(key, 'put') : undefined;
  }

  return {
    backend: 'fs',

    async put(key, body) {
      const object = await publish(key, body, 'replace');
      // 'replace' always publishes; the check keeps the type honest.
      if (!object) throw new TributaryError('INTERNAL', `Lake put "${key}" published nothing`);
      return object;
    },

    putIfAbsent(key, body) {
      return publish(key, body, 'create');
    },

    async get(key): Promise<Readable> {
      const file = fileOf(key);
      // Opened here rather than by the stream, so a missing key rejects this call, and the stream
      // reads the file as it was when opened even if a put replaces it meanwhile.
      const handle = await open(file, 'r').catch((error: unknown) => {
        throw toFsLakeError(error, 'get', key);
      });
      return handle.createReadStream();
    },

    async getBytes(key) {
      try {
        return await readFile(fileOf(key));
      } catch (error) {
        throw toFsLakeError(error, 'get', key);
      }
    },

    async head(key) {
      try {
        return await statObject(key, fileOf(key));
      } catch (error) {
        throw toFsLakeError(error, 'head', key);
      }
    },

    async *list(prefix) {
      checkPrefix(prefix);
      try {
        yield* walk(root, prefix);
      } catch (error) {
        throw toFsLakeError(error, 'list', prefix);
      }
    },

    async delete(key) {
      try {
        await unlink(fileOf(key));
      } catch (error) {
        // Deleting what is not there succeeds, as on S3; so does naming a directory.
        const code = errnoCode(error);
        if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return;
        throw toFsLakeError(error, 'delete', key);
      }
    },

    async localPath(key) {
      await headOrThrow(key, 'localPath');
      return fileOf(key);
    },

    engineUri(key) {
      return fileOf(key);
    },

    async close() {
      // Nothing is held open between calls.
    },
  };
}

/**
 * Remove temporary files that crashed puts left under `root`, if older than `olderThanMs` (default:
 * an hour, well past any put in progress). They are never listed either way; this reclaims the space.
 */
export async function sweepFsLake(root: string, options: { olderThanMs?: number } = {}): Promise<number> {
  try {
    return await sweepTemporaryFiles(path.resolve(root), options.olderThanMs ?? 3_600_000);
  } catch (error) {
    throw toFsLakeError(error, 'sweep', root);
  }
}
