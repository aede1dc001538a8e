/** Shared by the archiver tests: producing known records, running the archiver until it has them, reading the raw zone back. */
import { expect } from 'vitest';
import { runArchiver, type ArchivedFile, type ArchiverOptions, type ArchiverTotals } from '../../src/batch/archiver.ts';
import { archivedRanges, topicDataset } from '../../src/batch/archiver-layout.ts';
import { readManifest, visibleFiles } from '../../src/lake/catalog.ts';
import type { Lake } from '../../src/lake/lake.ts';
import type { Log, ProducerRecord } from '../../src/log/log.ts';

export interface Sent {
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string> | null;
}

const HOUR = 3_600_000;
/** 2026-11-21T09:00Z: records spread from here over a few hours. */
export const T0 = Date.UTC(2026, 10, 21, 9);

/** `n` pin-like records of `topic`, a few with headers, a null key or a null value, timestamps over three hours. */
export function records(topic: string, n: number, start = 0): ProducerRecord[] {
  return Array.from({ length: n }, (_, j) => {
    const i = start + j;
    const value = i % 97 === 5 ? null : Buffer.from(JSON.stringify({ category: ['art', 'travel', 'quotes', 'finance'][i % 4], index: i, title: `pin "${i}" — ünïcode` }));
    return {
      topic,
      key: i % 50 === 3 ? null : Buffer.from(`pin-${i}`),
      value,
      timestamp: T0 + ((i * 7919) % (3 * HOUR)),
      ...(i % 10 === 0 ? { headers: { source: Buffer.from('test'), n: Buffer.from(String(i)) } } : {}),
    };
  });
}

export async function send(log: Log, batch: ProducerRecord[]): Promise<Sent[]> {
  const producer = log.producer();
  const positions = await producer.send(batch);
  await producer.close();
  return positions.map((p, i) => {
    const r = batch[i]!;
    return {
      partition: p.partition,
      offset: p.offset,
      timestamp: r.timestamp!,
      key: r.key?.toString('utf8') ?? null,
      value: r.value?.toString('utf8') ?? null,
      headers: r.headers ? Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, v.toString('utf8')])) : null,
    };
  });
}

/** Runs the archiver until it has committed `until` records (or `stop` says so), then stops it. */
export async function archiveUntil(options: Omit<ArchiverOptions, 'signal'>, until: number, stop?: (file: ArchivedFile, rows: number) => boolean): Promise<{ totals: ArchiverTotals; files: ArchivedFile[] }> {
  const controller = new AbortController();
  const files: ArchivedFile[] = [];
  let rows = 0;
  // A hang guard, not a speed check: tiny ranges (one catalog commit each) on a loaded machine take
  // minutes. It fails the test saying so, rather than returning short.
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    controller.abort();
  }, ARCHIVE_HANG_GUARD_MS);
  const totals = await runArchiver({
    rollMs: 200,
    ...options,
    signal: controller.signal,
    onFile: (file) => {
      files.push(file);
      rows += file.rows;
      options.onFile?.(file);
      if (rows >= until || stop?.(file, rows)) controller.abort();
    },
  });
  clearTimeout(timer);
  if (hung) throw new Error(`archiveUntil: ${rows} of ${until} records archived when the ${ARCHIVE_HANG_GUARD_MS / 1000} s hang guard fired`);
  return { totals, files };
}

const ARCHIVE_HANG_GUARD_MS = 240_000;

/** Every archived row of `topic`, read back with DuckDB from the files the manifest lists, in partition and offset order. */
export async function readArchive(lake: Lake, topic: string): Promise<{ rows: Sent[]; files: string[]; hours: string[] }> {
  const manifest = await readManifest(lake, 'raw', topicDataset(topic));
  const files = visibleFiles(manifest);
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const rows: Sent[] = [];
  for (const file of files) {
    const local = await lake.localPath(file.key);
    const reader = await c.runAndReadAll(
      `SELECT topic, "partition", "offset"::DOUBLE, epoch_ms("timestamp")::DOUBLE, key, value, headers, strftime("timestamp", 'dt=%Y-%m-%d/hr=%H') FROM read_parquet('${local}')`,
    );
    for (const [t, partition, offset, ts, key, value, headers, hour] of reader.getRows()) {
      expect(t).toBe(topic);
      expect(hour).toBe(file.partition);
      rows.push({ partition: Number(partition), offset: Number(offset), timestamp: Number(ts), key: key as string | null, value: value as string | null, headers: headers === null ? null : (JSON.parse(String(headers)) as Record<string, string>) });
    }
    expect(reader.getRows().length).toBe(file.rows);
  }
  c.closeSync();
  db.closeSync();
  rows.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  return { rows, files: files.map((f) => f.key), hours: [...new Set(files.map((f) => f.partition))].sort() };
}

export function sortSent(sent: Sent[]): Sent[] {
  return [...sent].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** The committed ranges of each partition follow each other with no gap and no overlap. */
export async function expectContiguousRanges(lake: Lake, topic: string): Promise<number> {
  const ranges = archivedRanges(await readManifest(lake, 'raw', topicDataset(topic)), topic);
  const next = new Map<number, number>();
  for (const range of ranges) {
    expect(range.from).toBe(next.get(range.partition) ?? 0);
    next.set(range.partition, range.to + 1);
  }
  return ranges.length;
}
