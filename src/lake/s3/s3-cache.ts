/**
 * Local copies of S3 objects, for engines that read files (DuckDB): `localPath` of the S3 lake.
 *
 * Layout: the copy of `<key>` is `<cacheDir>/<bucket>/<key>`, so a partition's copies sit in a
 * Hive-style tree of their own. Beside the tree, `<cacheDir>/.etags/<bucket>/<key>` notes which ETag
 * the copy holds and which file it is (inode, size, mtime). A copy is reused while the object's ETag
 * equals the note's and the file is still the one the note describes; anything else (a changed
 * object, a missing or stale note, a copy replaced by hand) downloads again.
 *
 * A copy is written like an fs-lake put: to a temporary file in the same directory, fsynced, renamed
 * into place, and only then noted. The download asks for the ETag it checked (`If-Match`), so the
 * bytes always belong to the ETag in the note even if the object is replaced meanwhile. A copy that
 * an engine has open stays readable when a newer download replaces it (the old inode lives on).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TributaryError, isTributaryError } from '../../errors.ts';
import type { LakeObject } from '../lake.ts';

export interface CacheSource {
  head(key: string): Promise<LakeObject | undefined>;
  /** The object's bytes, if its ETag is still `etag`; undefined when it has changed since. */
  openIfMatch(key: string, etag: string): Promise<Readable | undefined>;
}

interface Note {
  etag: string;
  ino: number;
  size: number;
  mtimeMs: number;
}

/** Attempts when the object keeps changing between the head and the download. */
const ATTEMPTS = 3;

async function readNote(file: string): Promise<Note | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Note;
  } catch {
    // Missing or torn: the copy is simply downloaded again.
    return undefined;
  }
}

async function sameFile(file: string, note: Note): Promise<boolean> {
  const info = await stat(file).catch(() => undefined);
  return info !== undefined && info.ino === note.ino && info.size === note.size && info.mtimeMs === note.mtimeMs;
}

const temporaryName = (file: string) => path.join(path.dirname(file), `.tmp-${randomBytes(8).toString('hex')}`);

/**
 * `localPath` for a bucket: `copies` is `<cacheDir>/<bucket>`, `notes` `<cacheDir>/.etags/<bucket>`.
 * Concurrent calls for one key in this process share one download.
 */
export function createLocalCache(copies: string, notes: string, source: CacheSource): (key: string) => Promise<string> {
  const inFlight = new Map<string, Promise<string>>();

  async function stage(key: string): Promise<string> {
    const file = path.join(copies, key);
    const noteFile = path.join(notes, key);
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const object = await source.head(key);
      if (!object) throw new TributaryError('LAKE_NOT_FOUND', `No object "${key}" in the lake`);
      const note = await readNote(noteFile);
      if (note?.etag === object.etag && (await sameFile(file, note))) return file;

      const body = await source.openIfMatch(key, object.etag);
      if (!body) continue;
      await mkdir(path.dirname(file), { recursive: true });
      const temp = temporaryName(file);
      try {
        await pipeline(body, createWriteStream(temp, { flags: 'wx', flush: true }));
        const written = await stat(temp);
        if (written.size !== object.size) {
          throw new TributaryError('LAKE_UNAVAILABLE', `S3 localPath "${key}": downloaded ${written.size} bytes, expected ${object.size}`);
        }
        await rename(temp, file);
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        throw error;
      }
      const info = await stat(file);
      const fresh: Note = { etag: object.etag, ino: info.ino, size: info.size, mtimeMs: info.mtimeMs };
      await mkdir(path.dirname(noteFile), { recursive: true });
      const noteTemp = temporaryName(noteFile);
      await writeFile(noteTemp, JSON.stringify(fresh));
      await rename(noteTemp, noteFile);
      return file;
    }
    throw new TributaryError('LAKE_UNAVAILABLE', `S3 localPath "${key}": the object changed during each of ${ATTEMPTS} downloads`, { retryable: true });
  }

  return (key) => {
    const running = inFlight.get(key);
    if (running) return running;
    const staged = stage(key)
      .catch((error: unknown) => {
        if (isTributaryError(error)) throw error;
        const message = error instanceof Error ? error.message : String(error);
        throw new TributaryError('LAKE_UNAVAILABLE', `S3 localPath "${key}": cannot write the copy under ${copies}: ${message}`, { cause: error });
      })
      .finally(() => inFlight.delete(key));
    inFlight.set(key, staged);
    return staged;
  };
}
