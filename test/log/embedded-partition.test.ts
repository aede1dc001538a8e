import { describe, expect, it, onTestFinished } from 'vitest';
import { Partition, type SyncEvent } from '../../src/log/embedded/partition.ts';
import { recordBytes } from '../../src/log/embedded/batch.ts';
import type { ProducerRecord } from '../../src/log/log.ts';
import { tempDir } from '../support/cli.ts';

describe('an embedded partition', () => {
  // Without a tail cache every read is a file read; with 8 KiB, reads start in the files and end in
  // memory; with 1 MiB, everything written is in memory.
  it.each([
    ['no tail cache', undefined],
    ['an 8 KiB tail cache', 8 * 1024],
    ['a 1 MiB tail cache', 1 << 20],
  ])('should read every record back whatever the read size, across batch and segment boundaries, with %s', async (_, cacheBytes) => {
    const dir = await tempDir();
    const warnings: string[] = [];
    const partition = await Partition.open('t', 0, dir, {
      fsync: { mode: 'never' },
      segmentBytes: 16 * 1024,
      ...(cacheBytes !== undefined && { tailCacheBytes: () => cacheBytes }),
      onWarning: (m) => warnings.push(m),
    });
    let seq = 0;
    for (let batch = 0; batch < 200; batch++) {
      const size = 1 + ((batch * 7919) % 23);
      const records: ProducerRecord[] = Array.from({ length: size }, () => ({ topic: 't', value: Buffer.from(JSON.stringify({ seq: seq++, pad: 'y'.repeat(seq % 97) })) }));
      await partition.append(records, records.map(recordBytes)).done;
    }
    for (const maxBytes of [1, 57, 1000, 4096, 1 << 20]) {
      const seen: number[] = [];
      let offset = 0;
      while (offset < partition.endOffset) {
        const result = await partition.read(offset, maxBytes);
        expect(result.corrupt).toBeUndefined();
        expect(result.nextOffset).toBeGreaterThan(offset);
        seen.push(...result.records.map((r) => (JSON.parse(r.value!.toString('utf8')) as { seq: number }).seq));
        offset = result.nextOffset;
      }
      expect(seen, `maxBytes ${maxBytes}`).toEqual(Array.from({ length: seq }, (_, i) => i));
    }
    // Reading from the middle of a batch starts at the requested offset.
    const middle = await partition.read(1234, 4096);
    expect(middle.records[0]?.offset).toBe(1234);
    expect(warnings).toEqual([]);
    await partition.close();
  });

  it('should find the first record at or after a timestamp', async () => {
    const dir = await tempDir();
    const partition = await Partition.open('t', 0, dir, { fsync: { mode: 'never' }, segmentBytes: 4096, onWarning: () => undefined });
    for (let i = 0; i < 100; i++) {
      const record = { topic: 't', value: Buffer.alloc(100), timestamp: 1_000_000 + i * 10 };
      await partition.append([record], [recordBytes(record)]).done;
    }
    expect(await partition.offsetForTimestamp(0)).toBe(0);
    expect(await partition.offsetForTimestamp(1_000_505)).toBe(51);
    expect(await partition.offsetForTimestamp(1_000_990)).toBe(99);
    expect(await partition.offsetForTimestamp(2_000_000)).toBe(100);
    await partition.close();
  });
});

describe('an embedded partition with a tail cache', () => {
  it('should serve its latest batches from memory and older ones from its files', async () => {
    const dir = await tempDir();
    const partition = await Partition.open('t', 0, dir, { fsync: { mode: 'never' }, segmentBytes: 1 << 20, tailCacheBytes: () => 4096, onWarning: () => undefined });
    for (let i = 0; i < 100; i++) {
      const records = Array.from({ length: 10 }, (_, j) => ({ topic: 't', value: Buffer.from(`${i * 10 + j}`.padStart(90, '.')) }));
      await partition.append(records, records.map(recordBytes)).done;
    }
    // Take the file away: what the cache holds still reads, what it does not fails.
    await (partition as unknown as { segments: { close(): Promise<void> } }).segments.close();
    const tail = await partition.read(995, 1 << 20);
    expect(tail.records.map((r) => Number(r.value!.toString('utf8').replace(/^\.+/, '')))).toEqual([995, 996, 997, 998, 999]);
    expect(tail.nextOffset).toBe(1000);
    // 4 KiB holds the last few batches of about 1 KiB each, not the first.
    await expect(partition.read(0, 1 << 20)).rejects.toThrow();
  });

  it('should keep nothing when its limit is 0', async () => {
    const dir = await tempDir();
    const partition = await Partition.open('t', 0, dir, { fsync: { mode: 'never' }, segmentBytes: 1 << 20, tailCacheBytes: () => 0, onWarning: () => undefined });
    const record = { topic: 't', value: Buffer.from('x') };
    await partition.append([record], [recordBytes(record)]).done;
    await (partition as unknown as { segments: { close(): Promise<void> } }).segments.close();
    await expect(partition.read(0, 1 << 20)).rejects.toThrow();
  });
});

describe('an embedded partition whose write failed', () => {
  it('should refuse every later append, so no acknowledged record ever follows a gap', async () => {
    const dir = await tempDir();
    const partition = await Partition.open('t', 0, dir, { fsync: { mode: 'never' }, segmentBytes: 1 << 20, onWarning: () => undefined });
    const record = { topic: 't', value: Buffer.from('x') };
    await partition.append([record], [recordBytes(record)]).done;
    // Pull the file out from under the partition: its next write fails.
    await (partition as unknown as { segments: { close(): Promise<void> } }).segments.close();
    const failed = partition.append([record], [recordBytes(record)]).done;
    await expect(failed).rejects.toMatchObject({ code: 'LOG_UNAVAILABLE' });
    expect(() => partition.append([record], [recordBytes(record)])).toThrow(expect.objectContaining({ code: 'LOG_UNAVAILABLE' }) as Error);
    expect(partition.endOffset).toBe(1);
    await partition.close().catch(() => undefined);
  });
});

describe('an embedded partition with fsync=interval', () => {
  const record = { topic: 't', value: Buffer.from('x') };
  const open = async (ms: number, shared?: { count: number }) => {
    const syncs: SyncEvent[] = [];
    const partition = await Partition.open('t', 0, await tempDir(), {
      fsync: { mode: 'interval', ms },
      segmentBytes: 1 << 20,
      onWarning: () => undefined,
      onSync: (event) => syncs.push(event),
      ...(shared && { writesInFlight: shared }),
    });
    onTestFinished(() => partition.close());
    return { partition, syncs };
  };
  /** Rejects if `promise` has not settled within a hang guard far below the interval under test. */
  const soon = <T>(promise: Promise<T>) => Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('not acknowledged within 20 s')), 20_000))]);

  it('should acknowledge a lone append by its own fsync at once, not at the next interval tick', async () => {
    const { partition, syncs } = await open(10 * 60_000);
    for (let i = 0; i < 3; i++) await soon(partition.append([record], [recordBytes(record)]).done);
    expect(syncs.map((s) => s.batches)).toEqual([1, 1, 1]);
  });

  it('should make appends that wait together share one fsync at the interval', async () => {
    const { partition, syncs } = await open(200);
    const started = performance.now();
    // The second append is queued while the first is being written: a write is waiting.
    await Promise.all([partition.append([record], [recordBytes(record)]).done, partition.append([record], [recordBytes(record)]).done]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(syncs.map((s) => s.batches)).toEqual([2]);
  });

  it('should wait for the interval when a write to another partition of the log is waiting', async () => {
    const shared = { count: 0 };
    const first = await open(200, shared);
    const second = await open(200, shared);
    const started = performance.now();
    await Promise.all([first.partition.append([record], [recordBytes(record)]).done, second.partition.append([record], [recordBytes(record)]).done]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(shared.count).toBe(0);
    // Alone again, the next append is synced at once.
    await soon(first.partition.append([record], [recordBytes(record)]).done);
    expect(first.syncs.map((s) => s.batches)).toEqual([1, 1]);
  });
});
