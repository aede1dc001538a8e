import { spawn } from 'node:child_process';
import { open as openFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../src/errors.ts';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';
import type { Log, LogRecord } from '../../src/log/log.ts';
import { partitionForKey } from '../../src/log/partitioner.ts';
import { tempDir } from '../support/cli.ts';
import { pollUntil } from './log-contract.ts';

const child = new URL('./fixtures/append-loop.ts', import.meta.url).pathname;

async function readAll(log: Log, topic: string): Promise<LogRecord[]> {
  const { partitions } = await log.admin().describeTopic(topic);
  const total = partitions.reduce((n, p) => n + p.endOffset - p.startOffset, 0);
  const consumer = log.consumer({ group: `check-${Date.now()}-${Math.random()}`, topics: [topic] });
  const records = await pollUntil(consumer, (all) => all.length >= total);
  await consumer.close();
  return records;
}

const seqOf = (r: LogRecord) => (JSON.parse(r.value!.toString('utf8')) as { seq: number }).seq;

/** Run the appender until it has acknowledged some records, kill it at a random point, return the last acknowledged seq. */
async function appendAndKill(dir: string, start: number): Promise<number> {
  const proc = spawn(process.execPath, [child, dir, String(start)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let lastAcked = start - 1;
  let buffered = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('acked ')) lastAcked = Number(line.slice(6));
  });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  const deadline = Date.now() + 20_000;
  while (lastAcked < start && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  await new Promise((resolve) => setTimeout(resolve, Math.random() * 150));
  proc.kill('SIGKILL');
  await exited;
  return lastAcked;
}

describe('the embedded log after a crash', () => {
  // What a crash may leave: per partition, an unbroken run of what was sent to it; every
  // acknowledged record; nothing twice. A send that spans partitions and was not acknowledged may
  // have reached some partitions and not others (as on Kafka): those records are gone for good.
  it('should keep every acknowledged record exactly once and each partition without a gap across 20 SIGKILLs', { timeout: 120_000 }, async () => {
    const dir = await tempDir();
    // The partition of each seq, as the child keys it (k<seq % 5>), and the seqs a crash took before they reached their partition.
    const partitionOf = (seq: number) => partitionForKey(Buffer.from(`k${seq % 5}`), 4);
    const neverWritten = new Set<number>();
    let next = 0;
    for (let round = 0; round < 20; round++) {
      const lastAcked = await appendAndKill(dir, next);
      expect(lastAcked, `round ${round}: the child acknowledged nothing`).toBeGreaterThanOrEqual(next);
      const log = await openEmbeddedLog({ dir });
      const records = await readAll(log, 'crash');
      const seqs = records.map(seqOf);
      expect(new Set(seqs).size, `round ${round}: a record twice`).toBe(seqs.length);
      const present = new Set(seqs);
      const top = Math.max(...seqs);
      for (let p = 0; p < 4; p++) {
        const held = records.filter((r) => r.partition === p).map(seqOf);
        const sent = Array.from({ length: top + 1 }, (_, seq) => seq).filter((seq) => partitionOf(seq) === p && !neverWritten.has(seq));
        expect(held, `round ${round}, partition ${p}: a gap or out of order`).toEqual(sent.slice(0, held.length));
      }
      for (let seq = next; seq <= lastAcked; seq++) expect(present.has(seq), `round ${round}: acknowledged record ${seq} lost`).toBe(true);
      for (let seq = next; seq <= top; seq++) if (!present.has(seq)) neverWritten.add(seq);
      next = top + 1;
      await log.close();
    }
    // New writes succeed after the last recovery.
    const log = await openEmbeddedLog({ dir });
    const [position] = await log.producer().send([{ topic: 'crash', key: Buffer.from('k0'), value: Buffer.from(JSON.stringify({ seq: next })) }]);
    expect(position?.topic).toBe('crash');
    expect(Math.max(...(await readAll(log, 'crash')).map(seqOf))).toBe(next);
    await log.close();
  });

  it('should truncate a torn batch at the end of a segment and accept new writes', async () => {
    const dir = await tempDir();
    let log = await openEmbeddedLog({ dir });
    await log.admin().createTopic('torn', { partitions: 1 });
    await log.producer().send(Array.from({ length: 10 }, (_, seq) => ({ topic: 'torn', value: Buffer.from(JSON.stringify({ seq })) })));
    await log.close();
    const segment = path.join(dir, 'topics', 'torn', '0', '00000000000000000000.log');
    const whole = (await stat(segment)).size;
    const handle = await openFile(segment, 'a');
    await handle.write(Buffer.from([200, 0, 0, 0, 1, 2, 3])); // the start of a batch that never finished
    await handle.close();

    const warnings: Record<string, unknown>[] = [];
    log = await openEmbeddedLog({ dir, onWarning: (_message, details) => warnings.push(details) });
    expect(warnings).toEqual([{ file: segment, position: whole, bytes: 7 }]);
    expect((await stat(segment)).size).toBe(whole);
    await log.producer().send([{ topic: 'torn', value: Buffer.from(JSON.stringify({ seq: 10 })) }]);
    expect((await readAll(log, 'torn')).map(seqOf)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await log.close();
  });

  it('should report a corrupted batch with its file and position and keep the rest readable', async () => {
    const dir = await tempDir();
    let log = await openEmbeddedLog({ dir });
    await log.admin().createTopic('flip', { partitions: 1 });
    const producer = log.producer();
    for (let batch = 0; batch < 3; batch++) {
      await producer.send(Array.from({ length: 5 }, (_, i) => ({ topic: 'flip', value: Buffer.from(JSON.stringify({ seq: batch * 5 + i })) })));
    }
    await log.close();
    // Flip one byte inside the second batch's records.
    const segment = path.join(dir, 'topics', 'flip', '0', '00000000000000000000.log');
    const handle = await openFile(segment, 'r+');
    const firstBatch = Buffer.alloc(4);
    await handle.read(firstBatch, 0, 4, 0);
    const secondAt = firstBatch.readUInt32LE(0) + 4;
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, secondAt + 60);
    await handle.write(Buffer.from([byte[0]! ^ 0xff]), 0, 1, secondAt + 60);
    await handle.close();

    const warnings: string[] = [];
    log = await openEmbeddedLog({ dir, onWarning: (message) => warnings.push(message) });
    const consumer = log.consumer({ group: 'g', topics: ['flip'] });
    const seen: number[] = [];
    let error: unknown;
    const deadline = Date.now() + 10_000;
    while (seen.length < 10 && Date.now() < deadline) {
      try {
        seen.push(...(await consumer.poll(100)).map(seqOf));
      } catch (e) {
        error = e;
      }
    }
    expect(error).toBeInstanceOf(TributaryError);
    expect((error as TributaryError).code).toBe('LOG_CORRUPT');
    expect((error as TributaryError).message).toBe(`corrupt record batch in ${segment} at byte ${secondAt} (offsets 5-9 of flip/0) skipped; reading continues after it`);
    expect(seen).toEqual([0, 1, 2, 3, 4, 10, 11, 12, 13, 14]);
    expect(warnings).toEqual(['skipped a record batch that failed its checksum']);
    await log.close();
  });
});

describe('embedded log retention', () => {
  it('should delete whole old segments by size and move the start offset', async () => {
    const dir = await tempDir();
    const log = await openEmbeddedLog({ dir, fsync: { mode: 'never' }, segmentBytes: 8 * 1024, retentionBytes: 20 * 1024 });
    await log.admin().createTopic('ret', { partitions: 1 });
    const producer = log.producer();
    for (let i = 0; i < 100; i++) await producer.send([{ topic: 'ret', value: Buffer.alloc(1000, 0x61) }]);
    const segmentsBefore = (await readdir(path.join(dir, 'topics', 'ret', '0'))).filter((f) => f.endsWith('.log')).length;
    await (log as unknown as { enforceRetention(): Promise<void> }).enforceRetention();
    const segmentsAfter = (await readdir(path.join(dir, 'topics', 'ret', '0'))).filter((f) => f.endsWith('.log')).length;
    expect(segmentsBefore).toBeGreaterThan(10);
    expect(segmentsAfter).toBeLessThanOrEqual(4);
    const [partition] = (await log.admin().describeTopic('ret')).partitions;
    expect(partition?.endOffset).toBe(100);
    expect(partition?.startOffset).toBeGreaterThan(70);
    // A new group starts at the first record still held.
    const records = await readAll(log, 'ret');
    expect(records[0]?.offset).toBe(partition?.startOffset);
    expect(records.at(-1)?.offset).toBe(99);
    await log.close();
  });

  it('should delete segments whose records are all older than the age limit', async () => {
    const dir = await tempDir();
    const log = await openEmbeddedLog({ dir, fsync: { mode: 'never' }, segmentBytes: 4 * 1024, retentionMs: 60_000 });
    await log.admin().createTopic('aged', { partitions: 1 });
    const producer = log.producer();
    const old = Date.now() - 3_600_000;
    for (let i = 0; i < 20; i++) await producer.send([{ topic: 'aged', value: Buffer.alloc(1000), timestamp: old }]);
    for (let i = 0; i < 3; i++) await producer.send([{ topic: 'aged', value: Buffer.alloc(1000) }]);
    await (log as unknown as { enforceRetention(): Promise<void> }).enforceRetention();
    const [partition] = (await log.admin().describeTopic('aged')).partitions;
    expect(partition?.startOffset).toBeGreaterThanOrEqual(16);
    expect((await readAll(log, 'aged')).every((r) => r.timestamp > old || r.offset >= partition!.startOffset)).toBe(true);
    await log.close();
  });
});
