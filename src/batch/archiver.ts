/**
 * The archiver: a continuous job that copies topics from the log into the lake's raw zone as
 * Parquet, so that batch jobs can recompute from the whole history.
 *
 * Glossary:
 * - range: consecutive records of one partition that go into the lake together: one catalog commit
 *   (run) and one file per event-time hour they touch. A range rolls when its key, value and header
 *   bytes reach `rollBytes`, when it has been open `rollMs`, and when the archiver stops. It covers
 *   offsets `from` to `to`: `from` is where the partition's previous range ended (or reading
 *   started), `to` its last record. Offsets in between with no record (Kafka's transaction markers,
 *   aborted and compacted records) belong to the range too, so ranges follow each other exactly.
 * - archived position: per partition, one past the last offset a committed range holds
 *   (archiver-layout.ts). The catalog is the source of truth for it, not the consumer group.
 *
 * Lifecycle: `runArchiver(options)` reads as consumer group `options.group` (default
 * `tributary.archiver`) until `signal` aborts, then rolls what it holds, waits for the commits and
 * resolves with its totals. It rejects on the first error it cannot retry, after closing everything.
 *
 * Files: `raw/<dataset>/dt=YYYY-MM-DD/hr=HH/part-p<partition>-<from>-<to>-<writer>.parquet`,
 * partitioned by the record's timestamp (UTC), columns topic, partition, offset, timestamp, key,
 * value (UTF-8 text; the JSON as produced) and headers (a JSON object of UTF-8 strings, or NULL),
 * ordered by offset; the Parquet key-value metadata repeats topic, partition, from and to.
 *
 * Guarantees: each record of an assigned partition lands in the raw zone exactly once.
 * - A range is published by writing its files (invisible until committed) and then one catalog
 *   commit with run id `archiver.p<partition>.<from>`; only after that commit does the group offset
 *   move. A partition newly assigned (start, restart, rebalance) is sought to its archived position
 *   from the catalog, whatever the group says, so a crash between the commit and the offset commit
 *   repeats nothing, and one before the commit loses nothing (its files stay invisible).
 * - Two archivers racing for the same range (a rebalance while the old owner still commits) make
 *   the same run id; the catalog commits it once. The loser sees another writer's files under that
 *   run, deletes its own, and seeks back to the archived position.
 * - Ranges of one partition commit in offset order, one at a time.
 *
 * Errors: what the log, the lake and DuckDB raise (LOG_*, LAKE_*; INTERNAL for a failed COPY, with
 * the range and staging path); TOPIC_INVALID when two topics map to one dataset, and when a
 * partition keeps returning offsets below what the raw zone holds of it (a topic deleted and
 * created again under an archived name). A failed group
 * offset commit is only logged: the catalog already holds the range.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TributaryError } from '../errors.ts';
import type { Lake } from '../lake/lake.ts';
import type { Log, LogConsumer, LogRecord } from '../log/log.ts';
import type { Logger } from '../logger.ts';
import { archivedPositions, archiverJob, archiverRunId, archiveSchema, topicDatasets } from './archiver-layout.ts';
import { publishRange } from './archiver-publish.ts';
import { ArchiveWriter, type ArchiveBuffer } from './archiver-writer.ts';

export interface ArchivedFile {
  topic: string;
  partition: number;
  /** First and last offset of the range the file belongs to (the file holds those in its hour). */
  from: number;
  to: number;
  key: string;
  rows: number;
  bytes: number;
}

export interface ArchiverTotals {
  records: number;
  files: number;
  /** Catalog commits, one per range. */
  ranges: number;
  bytes: number;
}

export interface ArchiverOptions {
  log: Log;
  lake: Lake;
  topics: string[];
  group?: string;
  /** Roll a range at this many bytes of keys, values and headers; default 64 MiB. */
  rollBytes?: number;
  /** Roll a range open this long; default 60 s. */
  rollMs?: number;
  signal?: AbortSignal;
  logger?: Logger;
  /** After each file's range is committed to the catalog. */
  onFile?: (file: ArchivedFile) => void;
  /** Where DuckDB writes files before they go to the lake; default a fresh directory under the OS temp dir. */
  stagingDir?: string;
}

/** Ranges rolled but not yet committed while reading goes on; then reading waits. */
const MAX_PENDING = 2;
/** Times in a row a partition may go back below its range start, with nothing committed between, before that is an error. */
const MAX_REWINDS = 3;

export async function runArchiver(options: ArchiverOptions): Promise<ArchiverTotals> {
  const { log, lake, logger } = options;
  const rollBytes = options.rollBytes ?? 64 * 1024 * 1024;
  const rollMs = options.rollMs ?? 60_000;
  const datasets = topicDatasets(options.topics);
  const totals: ArchiverTotals = { records: 0, files: 0, ranges: 0, bytes: 0 };
  const writerTag = randomBytes(4).toString('hex');
  const stagingDir = await mkdtemp(path.join(options.stagingDir ?? tmpdir(), 'tributary-archiver-'));
  const writer = await ArchiveWriter.open(stagingDir, writerTag);
  const consumer = log.consumer({ group: options.group ?? 'tributary.archiver', topics: [...datasets.keys()], maxRecords: 20_000 });
  const buffers = new Map<string, ArchiveBuffer>();
  let owned = new Set<string>();
  /** Per partition, bumped when a range is lost to another writer: queued ranges of an older epoch are dropped. */
  const epochs = new Map<string, number>();
  /**
   * Per partition, where its next range starts: the archived position it was sought to, then one past
   * each rolled range. Absent for a partition the catalog has nothing of: its first record's offset.
   */
  const starts = new Map<string, number>();
  /** Per partition, times in a row it went back below its range start (rewind) with no range committed since. */
  const rewinds = new Map<string, number>();
  const pending: Promise<void>[] = [];
  let chain: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | undefined;

  try {
    while (!options.signal?.aborted) {
      if (failure) throw failure.error;
      const records = await consumer.poll(Math.max(1, Math.min(rollMs, 200)));
      const sought = await adopt(consumer);
      await take(records, sought);
      const now = Date.now();
      for (const buffer of [...buffers.values()]) if (now - buffer.openedAt >= rollMs) await roll(buffer);
    }
    for (const buffer of [...buffers.values()]) await roll(buffer);
    while (pending.length > 0) await pending.shift();
    if (failure) throw failure.error;
  } finally {
    await Promise.allSettled(pending);
    for (const buffer of buffers.values()) await writer.discard(buffer).catch(() => undefined);
    await consumer.close();
    writer.close();
    await rm(stagingDir, { recursive: true, force: true });
  }
  return totals;

  /**
   * Seek partitions just assigned to their archived positions (the catalog's, not the group's);
   * drop the open ranges of partitions taken away. Returns the partitions sought: what the last poll
   * returned for them came from before the seek.
   */
  async function adopt(c: LogConsumer): Promise<Set<string>> {
    const assigned = c.assignment();
    const now = new Set(assigned.map((tp) => `${tp.topic}/${tp.partition}`));
    for (const [tp, buffer] of [...buffers]) {
      if (now.has(tp)) continue;
      buffers.delete(tp);
      await writer.discard(buffer);
    }
    const fresh = assigned.filter((tp) => !owned.has(`${tp.topic}/${tp.partition}`));
    owned = now;
    const sought = new Set<string>();
    const positions = new Map<string, Map<number, number>>();
    for (const tp of fresh) {
      const stale = buffers.get(`${tp.topic}/${tp.partition}`);
      if (stale) {
        buffers.delete(`${tp.topic}/${tp.partition}`);
        await writer.discard(stale);
      }
      let archived = positions.get(tp.topic);
      if (!archived) positions.set(tp.topic, (archived = await archivedPositions(lake, tp.topic)));
      const at = archived.get(tp.partition);
      await c.seek(tp.topic, tp.partition, at === undefined ? 'earliest' : { offset: await readableFrom(tp.topic, tp.partition, at) });
      if (at === undefined) starts.delete(`${tp.topic}/${tp.partition}`);
      else starts.set(`${tp.topic}/${tp.partition}`, at);
      sought.add(`${tp.topic}/${tp.partition}`);
      logger?.debug({ topic: tp.topic, partition: tp.partition, offset: at ?? 'earliest' }, 'archiver:partition:assigned');
    }
    return sought;
  }

  /**
   * Where to read a partition archived up to `at`: there, unless retention has deleted records the
   * archiver never saw (then from the log's start: the next range covers the deleted offsets with no
   * rows). A partition that ends before `at` is not the one archived: the topic was deleted and
   * created again (TOPIC_INVALID). Asked of the log, not left to the consumer: Kafka answers a fetch
   * outside the log with an error, not a position.
   */
  async function readableFrom(topic: string, partition: number, at: number): Promise<number> {
    const admin = log.admin();
    const info = await admin.describeTopic(topic).finally(() => admin.close());
    const bounds = info.partitions.find((p) => p.partition === partition);
    if (!bounds || at <= bounds.startOffset) {
      if (bounds && at < bounds.startOffset) logger?.warn({ topic, partition, archived: at, logStart: bounds.startOffset, lost: bounds.startOffset - at }, 'archiver:partition:deleted-before-archived');
      return bounds?.startOffset ?? at;
    }
    if (at > bounds.endOffset) {
      const dataset = datasets.get(topic)!;
      throw new TributaryError(
        'TOPIC_INVALID',
        `Archiver: raw/${dataset} holds ${topic}[${partition}] up to offset ${at}, but the log's partition ends at ${bounds.endOffset}: ` +
          `the topic was deleted and created again, or the log was replaced. Archive it under another topic name, or move raw/${dataset} away`,
      );
    }
    return at;
  }

  async function take(records: readonly LogRecord[], sought: Set<string>): Promise<void> {
    for (const record of records) {
      const tp = `${record.topic}/${record.partition}`;
      if (sought.has(tp) || !owned.has(tp)) continue;
      const start = starts.get(tp);
      if (start !== undefined && record.offset < start) {
        await rewind(record, start);
        continue;
      }
      let buffer = buffers.get(tp);
      if (!buffer) {
        // The range starts where the last one ended, not at this record: on Kafka the offsets between
        // may hold no record (transaction markers, aborted or compacted records), and the catalog's
        // ranges must still follow each other (archiver-publish.ts).
        buffer = await writer.buffer(record.topic, record.partition, Date.now(), epochs.get(tp) ?? 0, start ?? record.offset);
        buffers.set(tp, buffer);
      }
      buffer.append(record);
      if (buffer.bytes >= rollBytes) await roll(buffer);
    }
  }

  /**
   * The log returned a record below where the partition's next range starts, so the consumer moved
   * without this archiver seeking it: the group restarted the partition at its committed offset
   * (behind the catalog) between two polls, or the topic was deleted and created again (Kafka then
   * reads from the new topic's start). Take the partition up again from the catalog, as after a lost
   * range. When that keeps happening with nothing committed between, the log's partition is behind the
   * raw zone for good: fail rather than archive a new topic's records under the old one's offsets.
   */
  async function rewind(record: LogRecord, start: number): Promise<void> {
    const tp = `${record.topic}/${record.partition}`;
    const times = (rewinds.get(tp) ?? 0) + 1;
    rewinds.set(tp, times);
    if (times > MAX_REWINDS) {
      const dataset = datasets.get(record.topic)!;
      throw new TributaryError(
        'TOPIC_INVALID',
        `Archiver: ${record.topic}[${record.partition}] returns offset ${record.offset} again after ${MAX_REWINDS} seeks to offset ${start}, up to which raw/${dataset} already holds that partition: ` +
          `the topic was deleted and created again, or the log was replaced. Archive it under another topic name, or move raw/${dataset} away`,
      );
    }
    logger?.warn({ topic: record.topic, partition: record.partition, offset: record.offset, start }, 'archiver:partition:rewound');
    epochs.set(tp, (epochs.get(tp) ?? 0) + 1);
    owned.delete(tp);
    const buffer = buffers.get(tp);
    if (buffer) {
      buffers.delete(tp);
      await writer.discard(buffer);
    }
  }

  /** Close a range and queue its publication behind the earlier ones; waits while too many are queued. */
  async function roll(buffer: ArchiveBuffer): Promise<void> {
    buffers.delete(`${buffer.topic}/${buffer.partition}`);
    starts.set(`${buffer.topic}/${buffer.partition}`, buffer.to + 1);
    buffer.seal();
    const dataset = datasets.get(buffer.topic)!;
    const tp = `${buffer.topic}/${buffer.partition}`;
    const published = chain.then(async () => {
      if (failure || (epochs.get(tp) ?? 0) !== buffer.epoch) {
        await writer.drop(buffer);
        return;
      }
      const outcome = await publishRange({ lake, writer, buffer, dataset, job: archiverJob(buffer.topic), runId: archiverRunId(buffer.partition, buffer.from), schema: archiveSchema });
      if (outcome.kind === 'lost') {
        // Another writer committed this range, or ranges after its start, first: what this one read
        // of the partition is stale. Drop the queued ranges and start again from the catalog.
        logger?.warn({ topic: buffer.topic, partition: buffer.partition, from: buffer.from, to: buffer.to }, 'archiver:range:lost');
        epochs.set(tp, buffer.epoch + 1);
        owned.delete(tp);
        return;
      }
      try {
        await consumer.commit([{ topic: buffer.topic, partition: buffer.partition, offset: buffer.to + 1 }]);
      } catch (error) {
        logger?.warn({ topic: buffer.topic, partition: buffer.partition, error: (error as Error).message }, 'archiver:offsets:commit-failed');
      }
      rewinds.delete(tp);
      totals.records += buffer.rows;
      totals.ranges++;
      for (const file of outcome.files) {
        totals.files++;
        totals.bytes += file.bytes;
        options.onFile?.({ topic: buffer.topic, partition: buffer.partition, from: buffer.from, to: buffer.to, key: file.key, rows: file.rows, bytes: file.bytes });
      }
      logger?.debug({ topic: buffer.topic, partition: buffer.partition, from: buffer.from, to: buffer.to, files: outcome.files.length }, 'archiver:range:committed');
    });
    chain = published.catch((error: unknown) => {
      failure ??= { error };
    });
    pending.push(chain);
    while (pending.length > MAX_PENDING) await pending.shift();
  }
}
