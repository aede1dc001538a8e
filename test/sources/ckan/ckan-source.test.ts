import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifest, visibleFiles } from '../../../src/lake/catalog.ts';
import { openFsLake } from '../../../src/lake/fs/fs-lake.ts';
import type { Lake } from '../../../src/lake/lake.ts';
import type { Sidecar } from '../../../src/sources/ckan/lake-file.ts';
import { progressNamespace } from '../../../src/sources/source.ts';
import { tempDir } from '../../support/cli.ts';
import { rejection } from '../../support/errors.ts';
import { CURRENT, CURRENT_ID, LEGACY, PRE_2023, PRE_2023_ID, emulator, harness, sha256Bytes, sha256File, today, torontoResources } from './ckan-fixture.ts';

const DATASET = 'apartment-building-evaluation';
const signal = new AbortController().signal;

async function fsLake(): Promise<{ lake: Lake; root: string }> {
  const root = await tempDir('tributary-ckan-lake-');
  return { lake: await openFsLake({ root }), root };
}

function resumeOffset(range: string | undefined): number {
  const match = /^bytes=(\d+)-$/.exec(range ?? '');
  if (!match) throw new Error(`not a resume: ${range}`);
  return Number(match[1]);
}

async function sidecar(lake: Lake, key: string): Promise<Sidecar> {
  return JSON.parse((await lake.getBytes(`${key}.meta.json`)).toString('utf8')) as Sidecar;
}

describe('CKAN source on the fs lake', () => {
  it('a first poll should bring each CSV resource into the raw zone with its sidecar and commit both files to the dataset', async () => {
    const ckan = await emulator();
    const { lake } = await fsLake();
    const h = await harness(ckan, lake, DATASET);

    const result = await h.source().poll(signal);

    expect(result).toEqual({ emitted: 2, skipped: 0, rejected: 0, done: true });
    const currentKey = `raw/${DATASET}/dt=${today()}/apartment-building-evaluations-2023-current.csv`;
    const preKey = `raw/${DATASET}/dt=${today()}/apartment-building-evaluations-2017-2023.csv`;
    expect(sha256Bytes(await lake.getBytes(currentKey))).toBe(await sha256File(CURRENT));
    expect(sha256Bytes(await lake.getBytes(preKey))).toBe(await sha256File(PRE_2023));

    const manifest = await readManifest(lake, 'raw', DATASET);
    // Row counts from SOURCES.md: RFC 4180 rows, quoted line breaks included.
    expect(visibleFiles(manifest).map((f) => [f.key, f.rows])).toEqual([
      [preKey, 11_760],
      [currentKey, 5_340],
    ]);
    const meta = await sidecar(lake, currentKey);
    expect(meta.resource).toMatchObject({ id: CURRENT_ID, name: 'Apartment Building Evaluations 2023 - current', format: 'CSV', size: 1_461_053 });
    expect(meta.package).toMatchObject({ name: DATASET, title: 'Apartment Building Evaluations', organization: { name: 'city-of-toronto' } });
    expect(meta.download).toMatchObject({ bytes: 1_461_053, rows: 5_340, sha256: await sha256File(CURRENT) });
    expect(meta.download.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(Date.parse(meta.download.lastModified ?? '')).toBeGreaterThan(0);
    expect(meta.download.columns).toHaveLength(71);
    expect(meta.download.columns.slice(0, 3)).toEqual(['_id', 'RSN', 'YEAR REGISTERED']);
    expect((await sidecar(lake, preKey)).download.columns).toHaveLength(40);
    // The XLSX readme is listed but never fetched (its link is broken, as they sometimes are).
    expect(ckan.requests.filter((r) => r.status === 404)).toEqual([]);
    // Nothing is left in the staging directory.
    expect(await readdir(h.stagingDir)).toEqual([]);
  });

  it('a second poll should skip unchanged resources with If-None-Match answered 304, and write nothing', async () => {
    const ckan = await emulator();
    const { lake } = await fsLake();
    const h = await harness(ckan, lake, DATASET);
    await h.source().poll(signal);
    const version = (await readManifest(lake, 'raw', DATASET)).version;
    ckan.requests.length = 0;

    expect(await h.source().poll(signal)).toEqual({ emitted: 0, skipped: 2, rejected: 0, done: true });
    const downloads = ckan.requests.filter((r) => r.resourceId);
    expect(downloads.map((r) => [r.status, r.bytesSent, typeof r.ifNoneMatch])).toEqual([
      [304, 0, 'string'],
      [304, 0, 'string'],
    ]);
    expect((await readManifest(lake, 'raw', DATASET)).version).toBe(version);
  });

  it('without ETags, a second poll should be skipped by Last-Modified', async () => {
    const ckan = await emulator({ etag: false });
    const { lake } = await fsLake();
    const h = await harness(ckan, lake, DATASET);
    await h.source().poll(signal);
    ckan.requests.length = 0;

    expect(await h.source().poll(signal)).toMatchObject({ emitted: 0, skipped: 2 });
    expect(ckan.requests.filter((r) => r.resourceId).map((r) => [r.status, r.ifNoneMatch, typeof r.ifModifiedSince])).toEqual([
      [304, undefined, 'string'],
      [304, undefined, 'string'],
    ]);
  });

  it('a resource whose CKAN hash equals the last download should be skipped without a request', async () => {
    const ckan = await emulator({ resources: torontoResources({ [CURRENT_ID]: { hash: 'sha256' }, [PRE_2023_ID]: { hash: 'md5' } }) });
    const { lake } = await fsLake();
    const h = await harness(ckan, lake, DATASET);
    expect(await h.source().poll(signal)).toMatchObject({ emitted: 2 });
    ckan.requests.length = 0;

    expect(await h.source().poll(signal)).toMatchObject({ emitted: 0, skipped: 2 });
    expect(ckan.requests.map((r) => r.path)).toEqual(['/api/3/action/package_show']);
  });

  it('a changed resource should be downloaded again, under a new name when it changes twice in a day', async () => {
    const ckan = await emulator();
    const { lake } = await fsLake();
    const h = await harness(ckan, lake, DATASET);
    await h.source().poll(signal);

    await ckan.replace(PRE_2023_ID, LEGACY);
    expect(await h.source().poll(signal)).toMatchObject({ emitted: 1, skipped: 1 });

    const files = visibleFiles(await readManifest(lake, 'raw', DATASET));
    const sha = await sha256File(LEGACY);
    const newKey = `raw/${DATASET}/dt=${today()}/apartment-building-evaluations-2017-2023-${sha.slice(0, 12)}.csv`;
    expect(files.map((f) => f.key)).toContain(newKey);
    expect(files).toHaveLength(3);
    expect(files.find((f) => f.key === newKey)?.rows).toBe(11_753);
    expect(sha256Bytes(await lake.getBytes(newKey))).toBe(sha);
  });

  it('a body cut mid-way should resume with a Range request and end with the exact bytes', async () => {
    const ckan = await emulator();
    const { lake } = await fsLake();
    const h = await harness(ckan, lake, DATASET);
    ckan.inject({ on: 'download', resourceId: PRE_2023_ID, fault: { kind: 'cut', afterBytes: 1_000_000 }, times: 1 });

    expect(await h.source().poll(signal)).toMatchObject({ emitted: 2 });

    // The client resumes from what reached its disk: at most what the server sent before the cut
    // (bytes still queued in the client when the body errors are lost, and fetched again).
    const attempts = ckan.requests.filter((r) => r.resourceId === PRE_2023_ID);
    expect(attempts.map((r) => [r.status, r.range === undefined ? null : 'range'])).toEqual([
      [200, null],
      [206, 'range'],
    ]);
    const resumedAt = resumeOffset(attempts[1]?.range);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(1_000_000);
    expect(attempts[1]?.bytesSent).toBe(2_830_488 - resumedAt);
    expect(attempts[1]?.ifRange).toMatch(/^"[0-9a-f]{32}"$/);
    const key = `raw/${DATASET}/dt=${today()}/apartment-building-evaluations-2017-2023.csv`;
    expect(sha256Bytes(await lake.getBytes(key))).toBe(await sha256File(PRE_2023));
    expect((await sidecar(lake, key)).download).toMatchObject({ sha256: await sha256File(PRE_2023), rows: 11_760 });
  });

  it('a body cut on a server without Range support should restart from byte 0', async () => {
    const ckan = await emulator({ ranges: false });
    const { lake } = await fsLake();
    const h = await harness(ckan, lake, DATASET);
    ckan.inject({ on: 'download', resourceId: CURRENT_ID, fault: { kind: 'cut', afterBytes: 700_000 }, times: 2 });

    expect(await h.source().poll(signal)).toMatchObject({ emitted: 2 });

    const attempts = ckan.requests.filter((r) => r.resourceId === CURRENT_ID);
    expect(attempts.map((r) => [r.status, r.bytesSent])).toEqual([
      [200, 700_000],
      [200, 700_000],
      [200, 1_461_053],
    ]);
    expect(resumeOffset(attempts[1]?.range)).toBeGreaterThan(0);
    const key = `raw/${DATASET}/dt=${today()}/apartment-building-evaluations-2023-current.csv`;
    expect(sha256Bytes(await lake.getBytes(key))).toBe(await sha256File(CURRENT));
  });

  it('a download that keeps failing should leave nothing visible in the lake, and a restarted source should resume it', async () => {
    const ckan = await emulator({ resources: torontoResources().slice(0, 1) });
    const { lake, root } = await fsLake();
    const h = await harness(ckan, lake, DATASET, { maxAttempts: 2 });
    ckan.inject({ on: 'download', fault: { kind: 'cut', afterBytes: 1_000_000 }, times: 1 });
    ckan.inject({ on: 'download', fault: { kind: 'status', status: 503 }, times: 1 });

    const error = await rejection(h.source().poll(signal), 'SOURCE_UNAVAILABLE');
    expect(error.message).toContain('503');
    expect(error.retryable).toBe(true);
    // No object, no sidecar, no manifest: the partial bytes are in staging only. The package's
    // resource list is there (package_show answered).
    await rejection(readManifest(lake, 'raw', DATASET), 'LAKE_NOT_FOUND');
    const inLake: string[] = [];
    for await (const object of lake.list('raw/')) inLake.push(object.key);
    expect(inLake).toEqual([expect.stringMatching(new RegExp(`^raw/${DATASET}/dt=\\d{4}-\\d{2}-\\d{2}/_package-[0-9a-f]{12}\\.json$`)) as unknown]);
    expect(await readdir(root)).toEqual(['raw']);
    expect((await readdir(h.stagingDir)).sort()).toEqual([`${CURRENT_ID}.part`, `${CURRENT_ID}.part.json`]);
    const stagedBytes = (await stat(path.join(h.stagingDir, `${CURRENT_ID}.part`))).size;
    expect(stagedBytes).toBeGreaterThan(0);

    ckan.requests.length = 0;
    expect(await h.source().poll(signal)).toMatchObject({ emitted: 1 });
    const resumes = ckan.requests.filter((r) => r.resourceId);
    expect(resumes.map((r) => r.status)).toEqual([206]);
    expect(resumeOffset(resumes[0]?.range)).toBe(stagedBytes);
    const key = `raw/${DATASET}/dt=${today()}/apartment-building-evaluations-2023-current.csv`;
    expect(sha256Bytes(await lake.getBytes(key))).toBe(await sha256File(CURRENT));
  });

  it('500s and 429s with Retry-After should be retried until the answer comes', async () => {
    const ckan = await emulator({ resources: torontoResources().slice(0, 1) });
    const { lake } = await fsLake();
    const h = await harness(ckan, lake, DATASET);
    ckan.inject({ on: 'package', fault: { kind: 'status', status: 500 }, times: 2 });
    ckan.inject({ on: 'download', fault: { kind: 'status', status: 429, retryAfterSeconds: 0 }, times: 1 });
    ckan.inject({ on: 'download', fault: { kind: 'status', status: 502 }, times: 1 });

    expect(await h.source().poll(signal)).toMatchObject({ emitted: 1 });
    expect(ckan.requests.map((r) => r.status)).toEqual([500, 500, 200, 429, 502, 200]);
  });

  it('a download whose SHA-256 differs from the published hash should fail and write nothing', async () => {
    const ckan = await emulator({ resources: torontoResources({ [CURRENT_ID]: { hash: 'wrong' } }).slice(0, 1) });
    const { lake } = await fsLake();
    const h = await harness(ckan, lake, DATASET);

    const error = await rejection(h.source().poll(signal), 'SOURCE_CHECKSUM_MISMATCH');
    expect(error.message).toContain(CURRENT_ID);
    expect(error.message).toContain(await sha256File(CURRENT));
    await rejection(readManifest(lake, 'raw', DATASET), 'LAKE_NOT_FOUND');
    expect(await readdir(h.stagingDir)).toEqual([]);
    expect(await h.state.entries(progressNamespace('ckan-apartment-building-evaluation'))).toEqual([]);
  });

  it('losing the progress after a commit should not add the file to the dataset twice', async () => {
    const ckan = await emulator();
    const { lake } = await fsLake();
    const h = await harness(ckan, lake, DATASET);
    await h.source().poll(signal);
    const before = await readManifest(lake, 'raw', DATASET);

    // As if the process died between the catalog commit and the progress write.
    await h.state.clear(progressNamespace('ckan-apartment-building-evaluation'));
    await h.source().poll(signal);

    const after = await readManifest(lake, 'raw', DATASET);
    expect(visibleFiles(after)).toEqual(visibleFiles(before));
    expect(after.version).toBe(before.version);
  });

  it('an unknown package should fail with SOURCE_NOT_FOUND naming it', async () => {
    const ckan = await emulator();
    const { lake } = await fsLake();
    const h = await harness(ckan, lake, DATASET, { package: 'no-such-package' });
    const error = await rejection(h.source().poll(signal), 'SOURCE_NOT_FOUND');
    expect(error.message).toContain('no-such-package');
    expect(error.message).toContain('Not Found Error');
  });

  it('the staging file should hold a clean prefix of the file after a cut', async () => {
    const ckan = await emulator({ resources: torontoResources().slice(0, 1) });
    const { lake } = await fsLake();
    const h = await harness(ckan, lake, DATASET, { maxAttempts: 1 });
    ckan.inject({ on: 'download', fault: { kind: 'cut', afterBytes: 1_000_000 }, times: 1 });
    await rejection(h.source().poll(signal), 'SOURCE_UNAVAILABLE');
    const staged = await readFile(path.join(h.stagingDir, `${CURRENT_ID}.part`));
    expect(staged.length).toBeGreaterThan(0);
    expect(staged.length).toBeLessThanOrEqual(1_000_000);
    expect(staged.equals((await readFile(CURRENT)).subarray(0, staged.length))).toBe(true);
  });
});
