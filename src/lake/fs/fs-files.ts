/**
 * The file-system work under the fs lake: atomic publication of a file, walking a tree in key order,
 * and sweeping what crashed writers left behind.
 *
 * Atomic publication: the bytes go to `<dir>/.tmp-<random>` in the object's own directory (so the
 * rename cannot cross a file system), are fsynced (the `flush` option of the write stream), and the
 * file is renamed over the key (or linked to it, when the key must be free); then the directory is
 * fsynced so the new name survives a power cut. A reader opens either the old file or the new one,
 * never a half-written one. A crash leaves only a `.tmp-*` file, which no key can name.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { link, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { bodyChunks, type BodyFailure } from '../body.ts';
import { compareKeys } from '../keys.ts';
import type { Body, LakeObject } from '../lake.ts';

export const TEMP_PREFIX = '.tmp-';

export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** fsync a directory, so that entries created or renamed in it are on disk. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** mkdir -p, then fsync the parents of every directory it created, so the new path is durable. */
async function makeDirectory(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return;
  for (let current = dir; ; current = path.dirname(current)) {
    await syncDirectory(path.dirname(current));
    if (current === first) break;
  }
}

/**
 * Publish `body` at `file` atomically. mode 'replace' renames over whatever is there; 'create' links
 * and answers false, writing nothing, when `file` exists. A put that fails leaves nothing visible.
 */
export async function publishFile(file: string, body: Body, mode: 'replace' | 'create', failure: BodyFailure): Promise<boolean> {
  const dir = path.dirname(file);
  await makeDirectory(dir);
  const temp = path.join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
  let published = false;
  try {
    // flush: fsync before the stream closes, so the rename can never publish unwritten blocks.
    await pipeline(bodyChunks(body, failure), createWriteStream(temp, { flags: 'wx', flush: true }));
    if (mode === 'replace') {
      await rename(temp, file);
    } else {
      try {
        await link(temp, file);
      } catch (error) {
        if (errnoCode(error) === 'EEXIST') return false;
        throw error;
      }
    }
    published = true;
    await syncDirectory(dir);
    return true;
  } finally {
    // After a rename the temp name is gone; after a link or a failure it is removed here.
    if (!published || mode === 'create') await unlink(temp).catch(() => undefined);
  }
}

/** The LakeObject of a file; undefined when it is missing or not a regular file. */
export async function statObject(key: string, file: string): Promise<LakeObject | undefined> {
  let info;
  try {
    info = await stat(file, { bigint: true });
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
  if (!info.isFile()) return undefined;
  // Every put publishes a new inode, so the inode tells two same-size writes in one tick apart,
  // which size and mtime alone would not.
  const etag = `${info.ino.toString(16)}-${info.size.toString(16)}-${info.mtimeNs.toString(16)}`;
  return { key, size: Number(info.size), modified: new Date(Number(info.mtimeMs)), etag };
}

interface Entry {
  name: string;
  directory: boolean;
  /** The name as it sorts among keys: a directory's keys all continue with "/". */
  sortName: string;
}

async function entries(dir: string): Promise<Entry[]> {
  let dirents;
  try {
    dirents = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
  return dirents
    .filter((d) => !d.name.startsWith('.') && (d.isFile() || d.isDirectory()))
    .map((d) => ({ name: d.name, directory: d.isDirectory(), sortName: d.isDirectory() ? `${d.name}/` : d.name }))
    .sort((a, b) => compareKeys(a.sortName, b.sortName));
}

/**
 * Objects under `root` whose keys start with `prefix`, in key order. Dot-names (temporary files) are
 * skipped. Each directory is sorted with its name plus "/", which puts `a-b` before `a/` as S3 does.
 */
export async function* walk(root: string, prefix: string): AsyncGenerator<LakeObject> {
  const slash = prefix.lastIndexOf('/');
  const base = prefix.slice(0, slash + 1);
  const partial = prefix.slice(slash + 1);
  for (const entry of await entries(path.join(root, base))) {
    if (!entry.name.startsWith(partial)) continue;
    yield* walkEntry(root, `${base}${entry.name}`, entry.directory);
  }
}

async function* walkEntry(root: string, key: string, directory: boolean): AsyncGenerator<LakeObject> {
  if (!directory) {
    // Deleted since the directory was read: not listed.
    const object = await statObject(key, path.join(root, key));
    if (object) yield object;
    return;
  }
  for (const entry of await entries(path.join(root, key))) yield* walkEntry(root, `${key}/${entry.name}`, entry.directory);
}

/** Remove `.tmp-*` files older than `olderThanMs` under `root`; the number removed. */
export async function sweepTemporaryFiles(root: string, olderThanMs: number): Promise<number> {
  const cutoff = Date.now() - olderThanMs;
  let removed = 0;
  const visit = async (dir: string): Promise<void> => {
    let dirents;
    try {
      dirents = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return;
      throw error;
    }
    for (const d of dirents) {
      const full = path.join(dir, d.name);
      if (d.isDirectory()) {
        await visit(full);
      } else if (d.isFile() && d.name.startsWith(TEMP_PREFIX)) {
        // A young temp file may belong to a put in progress (in this process or another).
        const info = await stat(full).catch(() => undefined);
        if (info && info.mtimeMs < cutoff) {
          await unlink(full).catch(() => undefined);
          removed += 1;
        }
      }
    }
  };
  await visit(root);
  return removed;
}
