/**
 * A resumable download of one URL into a staging file, outside the lake.
 *
 * Staging: `<dir>/<id>.part` holds the bytes received so far and `<id>.part.json` the URL and the
 * validators (ETag, Last-Modified) those bytes belong to, written before the first byte. When a body
 * is cut (here, or in an earlier poll or process), the next attempt asks for the rest with
 * `Range: bytes=<have>-` and `If-Range: <validator>`: a 206 starting at `<have>` is appended; a 200
 * (no Range support, or the file changed) restarts from byte 0; a 416 drops the staged bytes and
 * restarts. So a file is resumed when the server allows it and restarted cleanly otherwise, and the
 * caller only ever sees a complete file.
 *
 * The digest (csv-digest.ts) is computed while the bytes stream in; on a resume the staged prefix is
 * read once to bring the digest up to where the download continues.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TributaryError } from '../../errors.ts';
import { CsvDigest, type CsvDigestResult } from './csv-digest.ts';
import type { HttpClient } from '../http/http-client.ts';
import { RetryableFailure, describeNetworkError } from '../http/retry.ts';

export interface Validators {
  etag?: string;
  lastModified?: string;
}

export interface DownloadRequest {
  url: string;
  /** Names the staging files; a resource id. */
  id: string;
  stagingDir: string;
  /** What the last complete download had: sent as If-None-Match / If-Modified-Since. */
  previous?: Validators & { size?: number };
  md5?: boolean;
  /** The shared HTTP client: its retry policy covers failed requests and cut bodies alike. */
  client: HttpClient;
  signal: AbortSignal;
}

export type DownloadResult =
  | { status: 'not-modified'; reason: string }
  | ({ status: 'downloaded'; file: string; resumed: boolean; validators: Validators } & CsvDigestResult);

interface StagedMeta extends Validators {
  url: string;
}

export function stagingFiles(stagingDir: string, id: string): { data: string; meta: string } {
  const safe = id.replace(/[^A-Za-z0-9_-]/g, '_');
  return { data: path.join(stagingDir, `${safe}.part`), meta: path.join(stagingDir, `${safe}.part.json`) };
}

export async function discardStaged(stagingDir: string, id: string): Promise<void> {
  const files = stagingFiles(stagingDir, id);
  await rm(files.data, { force: true });
  await rm(files.meta, { force: true });
}

/** Bytes staged for `url` that can be resumed, and their validators; 0 when there are none. */
async function staged(files: { data: string; meta: string }, url: string): Promise<{ offset: number; meta?: StagedMeta }> {
  try {
    const meta = JSON.parse(await readFile(files.meta, 'utf8')) as StagedMeta;
    const size = (await stat(files.data)).size;
    if (meta.url === url && (meta.etag || meta.lastModified) && size > 0) return { offset: size, meta };
  } catch {
    // Nothing staged, or half-written notes: start from byte 0.
  }
  return { offset: 0 };
}

function validatorsOf(response: Response): Validators {
  const etag = response.headers.get('etag');
  const lastModified = response.headers.get('last-modified');
  return { ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) };
}

/** Start of a `Content-Range: bytes <start>-<end>/<total>` header. */
function rangeStart(header: string | null): number | undefined {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header ?? '');
  return match ? Number(match[1]) : undefined;
}

async function digestPrefix(file: string, digest: CsvDigest): Promise<void> {
  for await (const chunk of createReadStream(file)) digest.update(chunk as Buffer);
}

export async function download(request: DownloadRequest): Promise<DownloadResult> {
  const { url, client, signal } = request;
  const files = stagingFiles(request.stagingDir, request.id);
  await mkdir(request.stagingDir, { recursive: true });

  const { value } = await client.retrying(`download of ${url}`, signal, async (): Promise<DownloadResult> => {
    const found = await staged(files, url);
    const meta = found.meta;
    let offset = found.offset;
    const headers: Record<string, string> = {};
    if (offset > 0 && meta) {
      headers.range = `bytes=${offset}-`;
      headers['if-range'] = meta.etag ?? meta.lastModified ?? '';
    } else {
      if (request.previous?.etag) headers['if-none-match'] = request.previous.etag;
      if (request.previous?.lastModified) headers['if-modified-since'] = request.previous.lastModified;
    }
    const response = await client.send(url, { signal, headers });

    if (response.status === 304) {
      await response.body?.cancel().catch(() => undefined);
      return { status: 'not-modified', reason: 'the server answered 304 Not Modified' };
    }
    if (response.status === 416) {
      await response.body?.cancel().catch(() => undefined);
      await discardStaged(request.stagingDir, request.id);
      throw new RetryableFailure(`GET ${url} answered 416 to a resume at byte ${offset}; restarting from 0`, 0);
    }
    if (response.status !== 200 && response.status !== 206) {
      await response.body?.cancel().catch(() => undefined);
      throw new TributaryError('SOURCE_INVALID_RESPONSE', `GET ${url} answered ${response.status} ${response.statusText}`);
    }
    const validators = validatorsOf(response);
    const length = response.headers.get('content-length');
    if (response.status === 200) {
      offset = 0;
      // No ETag: a server that ignored If-Modified-Since is still believed when it reports the same
      // Last-Modified and size as last time.
      const previous = request.previous;
      if (previous?.lastModified && validators.lastModified === previous.lastModified && previous.size !== undefined && length !== null && Number(length) === previous.size && !validators.etag) {
        await response.body?.cancel().catch(() => undefined);
        return { status: 'not-modified', reason: 'same Last-Modified and size as the last download' };
      }
    } else if (rangeStart(response.headers.get('content-range')) !== offset) {
      await response.body?.cancel().catch(() => undefined);
      await discardStaged(request.stagingDir, request.id);
      throw new RetryableFailure(`GET ${url} answered 206 with Content-Range ${response.headers.get('content-range')} to a request from byte ${offset}; restarting from 0`, 0);
    }
    if (!response.body) throw new TributaryError('SOURCE_INVALID_RESPONSE', `GET ${url} answered ${response.status} without a body`);

    const digest = new CsvDigest({ md5: request.md5 === true });
    if (offset > 0) await digestPrefix(files.data, digest);
    // The validators go down before the bytes, so bytes on disk always have notes to resume with.
    await writeFile(files.meta, JSON.stringify({ url, ...validators } satisfies StagedMeta));
    // Each chunk is on disk before the next is read, so after a cut the staged file is exactly the
    // bytes received and written (a stream pipeline would drop the writes still queued when it fails).
    let received = 0;
    const handle = await open(files.data, offset > 0 ? 'a' : 'w');
    try {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        await handle.write(chunk);
        digest.update(chunk);
        received += chunk.length;
      }
    } catch (error) {
      if (signal.aborted) throw error;
      throw new RetryableFailure(`GET ${url} was cut after ${offset + received} bytes (${describeNetworkError(error)}); resuming`, 0, error);
    } finally {
      await handle.close();
    }
    if (length !== null && received !== Number(length)) {
      throw new RetryableFailure(`GET ${url} ended after ${received} of ${length} body bytes; resuming`, 0);
    }
    return { status: 'downloaded', file: files.data, resumed: offset > 0, validators, ...digest.digest() };
  });
  return value;
}
