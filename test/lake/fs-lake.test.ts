import { spawn } from 'node:child_process';
import { mkdtemp, open, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { openFsLake, sweepFsLake } from '../../src/lake/fs/fs-lake.ts';
import { openLake } from '../../src/lake/open-lake.ts';
import { rejection } from '../support/errors.ts';
import { collect, describeLakeContract, pieces } from './lake-contract.ts';

/** A directory of this test's own, removed when it ends. */
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tributary-lake-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describeLakeContract(
  'fs',
  async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'tributary-lake-'));
    return { lake: await openFsLake({ root }), cleanup: () => rm(root, { recursive: true, force: true }) };
  },
  { manyKeys: 300, largeBytes: 20 * 1024 * 1024 },
);

describe('fs lake', () => {
  it('a reader polling a key during a large put should see the old file or the whole new one, never part of it', async () => {
    const root = await tempDir();
    const lake = await openFsLake({ root });
    const key = 'raw/events/dt=2026-11-21/part-0.parquet';
    const file = path.join(root, key);
    const old = Buffer.alloc(1000, 1);
    const large = Buffer.alloc(32 * 1024 * 1024, 2);
    await lake.put(key, old);

    let done = false;
    const putting = lake.put(key, pieces(large, 256 * 1024)).finally(() => (done = true));
    const seen = new Set<number>();
    let polls = 0;
    while (!done) {
      // Open, then size the open file and read its last byte: what a reader opening the key gets.
      const handle = await open(file, 'r');
      const { size } = await handle.stat();
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      await handle.close();
      seen.add(size);
      expect([old.length, large.length]).toContain(size);
      expect(last[0]).toBe(size === old.length ? 1 : 2);
      // Temporary files sit in the same directory and must never be listed.
      expect((await collect(lake.list('raw/events/'))).map((o) => o.key)).toEqual([key]);
      polls += 1;
      await sleep(1);
    }
    await putting;
    expect(polls).toBeGreaterThan(5);
    expect(seen.has(old.length)).toBe(true);
    expect((await stat(file)).size).toBe(large.length);
  });

  it('a put killed partway should leave the old object and an unlisted temporary file, which a sweep removes', async () => {
    const root = await tempDir();
    const lake = await openFsLake({ root });
    const key = 'raw/events/dt=2026-11-21/part-0.parquet';
    await lake.put(key, Buffer.from('committed'));

    const child = spawn(process.execPath, [path.join(import.meta.dirname, 'fixtures', 'slow-put.ts'), root, key], { stdio: ['ignore', 'pipe', 'inherit'] });
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve) => child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('writing') && resolve()));
    // Killed only once bytes of the put have reached its temporary file, however slow the machine.
    const dir = path.dirname(path.join(root, key));
    const written = async () => {
      for (const name of await readdir(dir)) if (name.startsWith('.tmp-') && (await stat(path.join(dir, name)).catch(() => undefined))?.size) return true;
      return false;
    };
    for (const deadline = Date.now() + 20_000; !(await written()) && Date.now() < deadline; ) await sleep(5);
    child.kill('SIGKILL');
    await exited;

    const temps = (await readdir(dir)).filter((name) => name.startsWith('.tmp-'));
    expect(temps).toHaveLength(1);
    expect((await stat(path.join(dir, temps[0] ?? ''))).size).toBeGreaterThan(0);
    expect((await lake.getBytes(key)).toString()).toBe('committed');
    expect((await collect(lake.list(''))).map((o) => o.key)).toEqual([key]);

    // A young temporary file may be a put in progress: the default sweep leaves it.
    expect(await sweepFsLake(root)).toBe(0);
    const hourAgo = new Date(Date.now() - 2 * 3_600_000);
    await utimes(path.join(dir, temps[0] ?? ''), hourAgo, hourAgo);
    expect(await sweepFsLake(root)).toBe(1);
    expect(await readdir(dir)).toEqual(['part-0.parquet']);
  });

  it('a temporary file left by a crash should never be listed or readable as a key', async () => {
    const root = await tempDir();
    const lake = await openFsLake({ root });
    await lake.put('raw/a/part-0.parquet', Buffer.from('x'));
    await writeFile(path.join(root, 'raw/a/.tmp-0123456789abcdef'), 'half a file');
    expect((await collect(lake.list('raw/'))).map((o) => o.key)).toEqual(['raw/a/part-0.parquet']);
    await rejection(lake.getBytes('raw/a/.tmp-0123456789abcdef'), 'LAKE_INVALID_KEY');
  });

  it('localPath should be the object file itself', async () => {
    const root = await tempDir();
    const lake = await openFsLake({ root });
    await lake.put('curated/report/part-0.parquet', Buffer.from('x'));
    expect(await lake.localPath('curated/report/part-0.parquet')).toBe(path.join(root, 'curated/report/part-0.parquet'));
  });

  it('a key that is also the directory of other keys should be refused with LAKE_INVALID_KEY', async () => {
    const root = await tempDir();
    const lake = await openFsLake({ root });
    await lake.put('raw/a/b/c', Buffer.from('x'));
    await rejection(lake.put('raw/a/b', Buffer.from('y')), 'LAKE_INVALID_KEY');
    await rejection(lake.put('raw/a/b/c/d', Buffer.from('y')), 'LAKE_INVALID_KEY');
    expect(await lake.head('raw/a/b')).toBeUndefined();
    await rejection(lake.getBytes('raw/a/b'), 'LAKE_NOT_FOUND');
    expect((await collect(lake.list('raw/'))).map((o) => o.key)).toEqual(['raw/a/b/c']);
  });

  it('opening a lake where a file stands in the way of its directory should fail with LAKE_UNAVAILABLE', async () => {
    // Rather than a read-only directory, which root (as tests may run) would write anyway.
    const dir = await tempDir();
    await writeFile(path.join(dir, 'not-a-dir'), 'x');
    await rejection(openFsLake({ root: path.join(dir, 'not-a-dir', 'lake') }), 'LAKE_UNAVAILABLE');
  });

  it('openLake should open <dataDir>/lake for the fs backend', async () => {
    const cwd = await tempDir();
    const lake = await openLake(configSchema.parse({ dataDir: 'data', lake: { backend: 'fs' } }), { cwd });
    onTestFinished(() => lake.close());
    expect(lake.backend).toBe('fs');
    await lake.put('raw/a/part-0.parquet', Buffer.from('x'));
    expect((await stat(path.join(cwd, 'data', 'lake', 'raw/a/part-0.parquet'))).size).toBe(1);
  });
});
