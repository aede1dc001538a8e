/**
 * The conformance suite every lake backend passes: `describeLakeContract(name, factory, options)`.
 * The factory gives each test a lake of its own (fs: a fresh directory; S3: a client on the test
 * file's bucket). Every test writes under a key prefix of its own, deletes what it wrote through the
 * lake when it ends, then closes the lake and calls `cleanup()`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { compareKeys } from '../../src/lake/keys.ts';
import type { Lake, LakeObject } from '../../src/lake/lake.ts';
import { rejection } from '../support/errors.ts';
import { uniqueName } from '../support/services.ts';

export interface LakeFixture {
  lake: Lake;
  cleanup(): Promise<void>;
}

export interface LakeContractOptions {
  /** Keys for the paging test: more than one page of a list (S3 pages hold 1,000). */
  manyKeys: number;
  /** Size of the large-body test. */
  largeBytes: number;
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** `total` bytes in `chunk`-sized pieces, yielding to the event loop between them like a real source. */
export async function* pieces(bytes: Buffer, chunk = 1024 * 1024): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += chunk) {
    await yieldToLoop();
    yield bytes.subarray(at, at + chunk);
  }
}

/** Delete every object under `prefix`. */
export async function deleteUnder(lake: Lake, prefix: string): Promise<void> {
  const keys = (await collect(lake.list(prefix))).map((o) => o.key);
  await runAll(keys, 16, (key) => lake.delete(key));
}

/** `work` over `items`, at most `width` at a time. */
export async function runAll<T>(items: readonly T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

export const invalidKeys = [
  '',
  '/absolute',
  'a//b',
  'a/b/',
  'a/../b',
  '..',
  'a/./b',
  '.',
  'a\\b',
  'a\u0000b',
  'a\nb',
  'a\u007fb',
  'a/.tmp-123',
  '.hidden',
  `a/${'x'.repeat(256)}`,
  `a/\ud800`,
];

export function describeLakeContract(name: string, factory: () => Promise<LakeFixture>, options: LakeContractOptions): void {
  describe(`${name} lake contract`, () => {
    /** A lake for this test and the prefix its keys go under; both cleaned up when the test ends. */
    async function setup(): Promise<{ lake: Lake; p: string }> {
      const fixture = await factory();
      const p = `raw/${uniqueName('contract')}`;
      onTestFinished(async () => {
        await deleteUnder(fixture.lake, `${p}/`);
        await fixture.lake.close();
        await fixture.cleanup();
      });
      return { lake: fixture.lake, p };
    }

    it('put then get, getBytes and head should give back the same bytes and object', async () => {
      const { lake, p } = await setup();
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const key = `${p}/dt=2026-11-21/part-0.bin`;
      const before = Date.now();
      const put = await lake.put(key, bytes);
      expect(put).toMatchObject({ key, size: 256 });
      expect(put.etag).not.toBe('');
      // Object stores keep whole seconds; allow for that and a little clock skew.
      expect(put.modified.getTime()).toBeGreaterThan(before - 5000);
      expect(await lake.head(key)).toEqual(put);
      expect(await lake.getBytes(key)).toEqual(bytes);
      expect(await readAll(await lake.get(key))).toEqual(bytes);
    });

    it('put should take a Readable and an async iterable as the body', async () => {
      const { lake, p } = await setup();
      const parts = [Buffer.from('first,'), Buffer.from('second,'), Buffer.from('third')];
      await lake.put(`${p}/readable`, Readable.from(parts));
      await lake.put(`${p}/iterable`, (async function* () {
        for (const part of parts) {
          await yieldToLoop();
          yield part;
        }
      })());
      await lake.put(`${p}/strings`, Readable.from(['a', 'é']));
      expect((await lake.getBytes(`${p}/readable`)).toString()).toBe('first,second,third');
      expect((await lake.getBytes(`${p}/iterable`)).toString()).toBe('first,second,third');
      expect((await lake.getBytes(`${p}/strings`)).toString()).toBe('aé');
    });

    it('an empty body should make an empty object', async () => {
      const { lake, p } = await setup();
      expect((await lake.put(`${p}/empty-buffer`, Buffer.alloc(0))).size).toBe(0);
      expect((await lake.put(`${p}/empty-stream`, Readable.from([]))).size).toBe(0);
      expect(await lake.getBytes(`${p}/empty-buffer`)).toEqual(Buffer.alloc(0));
      expect(await readAll(await lake.get(`${p}/empty-stream`))).toEqual(Buffer.alloc(0));
      expect((await lake.head(`${p}/empty-stream`))?.size).toBe(0);
    });

    it(`a large streamed body (${options.largeBytes} bytes) should arrive whole`, async () => {
      const { lake, p } = await setup();
      const bytes = randomBytes(options.largeBytes);
      const key = `${p}/large.bin`;
      const put = await lake.put(key, pieces(bytes));
      expect(put.size).toBe(bytes.length);
      expect(sha256(await readAll(await lake.get(key)))).toBe(sha256(bytes));
      expect(sha256(await lake.getBytes(key))).toBe(sha256(bytes));
    });

    it('put over an existing key should replace it and change its etag', async () => {
      const { lake, p } = await setup();
      const key = `${p}/replaced`;
      const first = await lake.put(key, Buffer.from('version-1'));
      const second = await lake.put(key, Buffer.from('version-2'));
      expect(second.etag).not.toBe(first.etag);
      expect((await lake.getBytes(key)).toString()).toBe('version-2');
      expect((await lake.head(key))?.etag).toBe(second.etag);
    });

    it('delete should remove an object, and deleting a missing key should succeed', async () => {
      const { lake, p } = await setup();
      await lake.put(`${p}/a`, Buffer.from('a'));
      await lake.put(`${p}/b`, Buffer.from('b'));
      await lake.delete(`${p}/a`);
      expect(await lake.head(`${p}/a`)).toBeUndefined();
      expect((await collect(lake.list(`${p}/`))).map((o) => o.key)).toEqual([`${p}/b`]);
      await lake.delete(`${p}/a`);
      await lake.delete(`${p}/never-there`);
    });

    it('a missing key should be LAKE_NOT_FOUND for get, getBytes and localPath, and undefined for head', async () => {
      const { lake, p } = await setup();
      const key = `${p}/missing/part-0.parquet`;
      await rejection(lake.get(key), 'LAKE_NOT_FOUND');
      await rejection(lake.getBytes(key), 'LAKE_NOT_FOUND');
      await rejection(lake.localPath(key), 'LAKE_NOT_FOUND');
      expect(await lake.head(key)).toBeUndefined();
      expect(await collect(lake.list(`${p}/missing/`))).toEqual([]);
    });

    it('invalid keys should be refused with LAKE_INVALID_KEY by every call', async () => {
      const { lake, p } = await setup();
      for (const key of invalidKeys) {
        const calls: [string, Promise<unknown>][] = [
          ['put', lake.put(key, Buffer.from('x'))],
          ['putIfAbsent', lake.putIfAbsent(key, Buffer.from('x'))],
          ['get', lake.get(key)],
          ['getBytes', lake.getBytes(key)],
          ['head', lake.head(key)],
          ['delete', lake.delete(key)],
          ['localPath', lake.localPath(key)],
        ];
        for (const [call, promise] of calls) {
          const error = await rejection(promise, 'LAKE_INVALID_KEY');
          expect(error.retryable, `${call}(${JSON.stringify(key)})`).toBe(false);
        }
      }
      for (const prefix of ['/absolute', 'a//', '../', 'a/../', 'a\\', 'a/.tmp-', '\u0001']) {
        await rejection(collect(lake.list(prefix)), 'LAKE_INVALID_KEY');
      }
      // Nothing was written anywhere near the test's prefix.
      expect(await collect(lake.list(`${p}/`))).toEqual([]);
    });

    it('list should return the objects under a prefix in UTF-8 byte order', async () => {
      const { lake, p } = await setup();
      // '-' (2d) and '.' (2e) sort before '/' (2f), so `a-c` comes before everything in `a/`; 'Z' before
      // 'a'; 'é' (c3 a9) after 'z'; a walk that sorts directory names alone gets these wrong.
      const names = ['a/b', 'a/c/d', 'a-c', 'a.d', 'a0', 'ab', 'Z', 'z', 'é', 'a/b0', 'dt=2026-11-21/hr=00/part-0.parquet', 'dt=2026-11-21/hr=10/part-0.parquet', 'dt=2026-11-21/hr=09/part-1.parquet'];
      const keys = names.map((n) => `${p}/${n}`);
      await runAll([...keys].reverse(), 4, (key) => lake.put(key, Buffer.from(key)));
      const sorted = [...keys].sort(compareKeys);

      const listed = await collect(lake.list(`${p}/`));
      expect(listed.map((o) => o.key)).toEqual(sorted);
      for (const object of listed) {
        const head = (await lake.head(object.key)) as LakeObject;
        expect(object).toMatchObject({ key: head.key, size: head.size, etag: head.etag });
      }
      expect((await collect(lake.list(`${p}/a`))).map((o) => o.key)).toEqual(sorted.filter((k) => k.startsWith(`${p}/a`)));
      expect((await collect(lake.list(`${p}/a/`))).map((o) => o.key)).toEqual([`${p}/a/b`, `${p}/a/b0`, `${p}/a/c/d`]);
      expect((await collect(lake.list(`${p}/dt=2026-11-21/hr=`))).map((o) => o.key)).toEqual(sorted.filter((k) => k.includes('/hr=')));
      expect(await collect(lake.list(`${p}/nothing`))).toEqual([]);
      expect(await collect(lake.list(`${p}/a/b/`))).toEqual([]);
      expect((await collect(lake.list(p))).length).toBe(keys.length);
    });

    it(`list should page through ${options.manyKeys} keys in order`, async () => {
      const { lake, p } = await setup();
      const keys = Array.from({ length: options.manyKeys }, (_, i) => `${p}/dt=2026-11-21/part-${String(i).padStart(5, '0')}.parquet`);
      await runAll(keys, 16, (key) => lake.put(key, Buffer.from('x')));
      const listed = await collect(lake.list(`${p}/dt=2026-11-21/`));
      expect(listed.length).toBe(keys.length);
      expect(listed.map((o) => o.key)).toEqual(keys);
    });

    it('localPath should give a file with the object bytes, reused while the object is unchanged', async () => {
      const { lake, p } = await setup();
      const key = `${p}/dt=2026-11-21/part-0.parquet`;
      const bytes = randomBytes(100_000);
      await lake.put(key, bytes);
      const file = await lake.localPath(key);
      expect(await readFile(file)).toEqual(bytes);
      const first = await stat(file);
      expect(await lake.localPath(key)).toBe(file);
      const again = await stat(file);
      expect([again.ino, again.mtimeMs]).toEqual([first.ino, first.mtimeMs]);
      const changed = randomBytes(50_000);
      await lake.put(key, changed);
      expect(await readFile(await lake.localPath(key))).toEqual(changed);
    });

    it('putIfAbsent should create a free key exactly once', async () => {
      const { lake, p } = await setup();
      const key = `${p}/_manifest/000000000001.json`;
      const bodies = Array.from({ length: 8 }, (_, i) => Buffer.from(`writer-${i}`));
      const results = await Promise.all(bodies.map((body) => lake.putIfAbsent(key, body)));
      const winners = results.flatMap((r, i) => (r ? [i] : []));
      expect(winners).toHaveLength(1);
      const winner = winners[0] ?? -1;
      expect(await lake.getBytes(key)).toEqual(bodies[winner]);
      expect(results[winner]).toEqual(await lake.head(key));
      expect(await lake.putIfAbsent(key, Buffer.from('late'))).toBeUndefined();
      expect(await lake.getBytes(key)).toEqual(bodies[winner]);
    });

    it('a put whose body fails should leave the old object, or none, and give back the body error', async () => {
      const { lake, p } = await setup();
      const broken = new Error('the source broke');
      async function* failing(): AsyncGenerator<Buffer> {
        for (let i = 0; i < 12; i++) {
          await yieldToLoop();
          yield randomBytes(1024 * 1024);
        }
        throw broken;
      }
      expect(await lake.put(`${p}/new`, failing()).catch((e: unknown) => e)).toBe(broken);
      expect(await lake.head(`${p}/new`)).toBeUndefined();
      await lake.put(`${p}/old`, Buffer.from('old'));
      expect(await lake.put(`${p}/old`, failing()).catch((e: unknown) => e)).toBe(broken);
      expect((await lake.getBytes(`${p}/old`)).toString()).toBe('old');
      expect((await collect(lake.list(`${p}/`))).map((o) => o.key)).toEqual([`${p}/old`]);
    });

    it('put should accept a content type and metadata', async () => {
      const { lake, p } = await setup();
      const put = await lake.put(`${p}/typed.json`, Buffer.from('{}'), { contentType: 'application/json', metadata: { run: 'r1', job: 'orders-clean' } });
      expect(put.size).toBe(2);
      expect((await lake.getBytes(`${p}/typed.json`)).toString()).toBe('{}');
    });
  });
}
