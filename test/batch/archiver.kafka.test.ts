import { afterEach, describe, expect, it } from 'vitest';
import { archivedPositions } from '../../src/batch/archiver-layout.ts';
import { runArchiver } from '../../src/batch/archiver.ts';
import { openFsLake } from '../../src/lake/fs/fs-lake.ts';
import type { Lake } from '../../src/lake/lake.ts';
import type { Log, ProducerRecord } from '../../src/log/log.ts';
import { openKafkaLog } from '../../src/log/kafka/kafka-log.ts';
import { toDriverMessage } from '../../src/log/kafka/kafka-records.ts';
import { tempDir } from '../support/cli.ts';
import { rejection } from '../support/errors.ts';
import { endpoint, uniqueName } from '../support/services.ts';
import { archiveUntil, expectContiguousRanges, readArchive, records, send, sortSent, type Sent } from './archiver-support.ts';

const brokers = () => endpoint('TRIBUTARY_KAFKA_BROKERS').split(',');

interface Fixture {
  log: Log;
  lake: Lake;
  topic: string;
  group: string;
}

const opened: { log: Log; lake: Lake; topic: string }[] = [];

afterEach(async () => {
  for (const { log, lake, topic } of opened.splice(0)) {
    const admin = log.admin();
    await admin.deleteTopic(topic).catch(() => undefined);
    await admin.close();
    await log.close();
    await lake.close();
  }
});

/** A Kafka topic of its own with `partitions` partitions, a lake in a temp dir, and a group name of its own. */
async function setUp(partitions: number): Promise<Fixture> {
  const dir = await tempDir();
  const log = await openKafkaLog({ brokers: brokers() });
  const lake = await openFsLake({ root: `${dir}/lake` });
  // Dots and capitals in the name: the dataset is the topic lower-cased with `_` for them.
  const topic = `Archiver.${uniqueName('pins')}`;
  const admin = log.admin();
  await admin.createTopic(topic, { partitions });
  await admin.close();
  opened.push({ log, lake, topic });
  return { log, lake, topic, group: uniqueName('archiver') };
}

/** `records(...)` with a few values that are not UTF-8 at all (stored with U+FFFD, as `toString` reads them). */
function mixed(topic: string, n: number, start = 0): ProducerRecord[] {
  return records(topic, n, start).map((r, j) => ((start + j) % 101 === 7 ? { ...r, value: Buffer.from([0xff, 0xc3, 0x28, 0x41, (start + j) % 200]) } : r));
}

/** Each (partition, offset) once: what "no duplicates" means for the raw zone. */
function expectUnique(rows: readonly Sent[]): void {
  expect(new Set(rows.map((r) => `${r.partition}/${r.offset}`)).size).toBe(rows.length);
}

/** Per partition, the log's end offset. */
async function endOffsets(log: Log, topic: string): Promise<Record<number, number>> {
  const admin = log.admin();
  const description = await admin.describeTopic(topic);
  await admin.close();
  return Object.fromEntries(description.partitions.map((p) => [p.partition, p.endOffset]));
}

/** Rewinds `group` to offset 0 on every partition, as if none of the archiver's offset commits had happened. */
async function rewind(log: Log, topic: string, group: string, partitions: number): Promise<void> {
  const consumer = log.consumer({ group, topics: [topic] });
  // Kafka takes commits only from a member of the group: wait for this one to be assigned.
  for (let i = 0; i < 100 && consumer.assignment().length < partitions; i++) await consumer.poll(100);
  expect(consumer.assignment()).toHaveLength(partitions);
  await consumer.commit(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: 0 })));
  await consumer.close();
}

async function groupCommitted(log: Log, group: string): Promise<Record<number, number | undefined>> {
  const admin = log.admin();
  const lag = await admin.groupLag(group);
  await admin.close();
  return Object.fromEntries(lag.map((l) => [l.partition, l.committedOffset]));
}

/**
 * Sends each batch as one Kafka transaction straight through the driver (the log's producer is not
 * transactional), committing it, or aborting it when `abort` says so. Every transaction ends with a
 * control record, so offsets in each partition have gaps; aborted records take offsets too but are
 * not read (read_committed). Returns the records committed.
 *
 * Each aborted transaction comes from a producer of its own: the driver (@platformatic/kafka 2.12.1)
 * drops only the last aborted transaction of each producer in one fetch response and returns the
 * records of the others (reported with a reproduction; the log backend is not the archiver's to fix).
 */
async function sendTransactions(topic: string, batches: ProducerRecord[][], abort: (i: number) => boolean): Promise<ProducerRecord[]> {
  const { Producer, ProduceAcks } = await import('@platformatic/kafka');
  const open = () => new Producer({ bootstrapBrokers: brokers(), clientId: 'archiver-test-tx', transactionalId: uniqueName('archiver-tx'), idempotent: true, acks: ProduceAcks.ALL, autocreateTopics: false });
  const committing = open();
  const committed: ProducerRecord[] = [];
  try {
    for (const [i, batch] of batches.entries()) {
      const aborting = abort(i) ? open() : undefined;
      try {
        const tx = await (aborting ?? committing).beginTransaction();
        await tx.send({ messages: batch.map((r) => toDriverMessage(r, r.partition!)) });
        if (aborting) await tx.abort();
        else {
          await tx.commit();
          committed.push(...batch);
        }
      } finally {
        await aborting?.close();
      }
    }
  } finally {
    await committing.close();
  }
  return committed;
}

describe('runArchiver on Kafka', () => {
  it('should archive every record of a keyed topic exactly once, in ranges contiguous from 0 to the end offset', async () => {
    const { log, lake, topic, group } = await setUp(4);
    const sent = await send(log, mixed(topic, 3000));
    expect(new Set(sent.map((s) => s.partition)).size).toBe(4);
    const { totals } = await archiveUntil({ log, lake, topics: [topic], group, rollBytes: 40_000 }, sent.length);
    expect(totals.records).toBe(3000);
    const archive = await readArchive(lake, topic);
    expect(archive.rows).toEqual(sortSent(sent));
    expect(archive.rows.some((r) => r.key === null) && archive.rows.some((r) => r.value === null) && archive.rows.some((r) => r.value?.includes('\uFFFD'))).toBe(true);
    expect(archive.hours).toEqual(['dt=2026-11-21/hr=09', 'dt=2026-11-21/hr=10', 'dt=2026-11-21/hr=11']);
    expect(archive.files.every((k) => k.startsWith(`raw/${topic.toLowerCase().replaceAll('.', '_')}/dt=2026-11-21/hr=`))).toBe(true);
    expect(await expectContiguousRanges(lake, topic)).toBeGreaterThan(4);
    // The last range of each partition ends at the log's end, and the group's offsets were committed there.
    const ends = await endOffsets(log, topic);
    expect(Object.fromEntries(await archivedPositions(lake, topic))).toEqual(ends);
    expect(await groupCommitted(log, group)).toEqual(ends);
  });

  it('should lose and repeat nothing when it dies mid-way and restarts while records keep coming', async () => {
    const { log, lake, topic, group } = await setUp(3);
    const first = await send(log, mixed(topic, 4000));
    // Small ranges; the run dies after its first commits, with ranges read, rolled and queued behind them.
    let archived = 0;
    const crash = new Error('crash');
    const failed = runArchiver({
      log, lake, topics: [topic], group, rollBytes: 20_000, rollMs: 200,
      onFile: (f) => {
        archived += f.rows;
        if (archived >= 500) throw crash;
      },
    });
    await expect(failed).rejects.toBe(crash);
    const committed = (await readArchive(lake, topic)).rows.length;
    expect(committed).toBeGreaterThanOrEqual(500);
    expect(committed).toBeLessThan(4000);

    // The restarted archiver runs while more records arrive, in batches.
    const controller = new AbortController();
    let rows = 0;
    let done!: () => void;
    const caughtUp = new Promise<void>((resolve) => (done = resolve));
    const running = runArchiver({ log, lake, topics: [topic], group, rollBytes: 20_000, rollMs: 200, signal: controller.signal, onFile: (f) => (rows += f.rows) >= 6000 - committed && done() });
    const second: Sent[] = [];
    for (let i = 0; i < 10; i++) {
      second.push(...(await send(log, mixed(topic, 200, 4000 + i * 200))));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const timer = setTimeout(() => controller.abort(), 60_000);
    await caughtUp;
    clearTimeout(timer);
    controller.abort();
    const totals = await running;
    expect(totals.records).toBe(6000 - committed);
    const archive = await readArchive(lake, topic);
    expectUnique(archive.rows);
    expect(archive.rows).toEqual(sortSent([...first, ...second]));
    expect(await expectContiguousRanges(lake, topic)).toBeGreaterThan(6);
  });

  it('should resume from the catalog, not from a consumer group rewound to offset 0', async () => {
    const { log, lake, topic, group } = await setUp(2);
    const first = await send(log, mixed(topic, 1000));
    await archiveUntil({ log, lake, topics: [topic], group }, 1000);
    const ends = await endOffsets(log, topic);
    expect(await groupCommitted(log, group)).toEqual(ends);
    // The offset commits "never happened": the group goes back to the start of every partition.
    await rewind(log, topic, group, 2);
    expect(await groupCommitted(log, group)).toEqual({ 0: 0, 1: 0 });
    const second = await send(log, mixed(topic, 500, 1000));
    const again = await archiveUntil({ log, lake, topics: [topic], group }, 500);
    expect(again.totals.records).toBe(500);
    expect(again.files.every((f) => f.from >= ends[f.partition]!)).toBe(true);
    const archive = await readArchive(lake, topic);
    expectUnique(archive.rows);
    expect(archive.rows).toEqual(sortSent([...first, ...second]));
    await expectContiguousRanges(lake, topic);
    // The group is moved forward again once the new ranges are in the catalog.
    expect(await groupCommitted(log, group)).toEqual(await endOffsets(log, topic));
  });

  it('should roll by time while records trickle in, more than one range per partition', async () => {
    const { log, lake, topic, group } = await setUp(2);
    const controller = new AbortController();
    const ranges: { partition: number; from: number }[] = [];
    let started!: () => void;
    const live = new Promise<void>((resolve) => (started = resolve));
    const running = runArchiver({ log, lake, topics: [topic], group, rollMs: 100, signal: controller.signal, onFile: (f) => { ranges.push(f); started(); } });
    // The first batch shows the archiver has joined its group and reads: from then on, records trickle.
    const sent = await send(log, mixed(topic, 10));
    await live;
    for (let i = 1; i < 6; i++) {
      sent.push(...(await send(log, mixed(topic, 10, i * 10))));
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    controller.abort();
    const totals = await running;
    expect(totals.records).toBe(60);
    for (const partition of [0, 1]) expect(new Set(ranges.filter((r) => r.partition === partition).map((r) => r.from)).size).toBeGreaterThan(1);
    expect((await readArchive(lake, topic)).rows).toEqual(sortSent(sent));
    await expectContiguousRanges(lake, topic);
  });
  it('should archive a transactional topic, whose offsets have gaps, once and in contiguous ranges across a restart', async () => {
    const { log, lake, topic, group } = await setUp(2);
    // 24 transactions of 25 records over both partitions; two of each dozen are aborted.
    const batches = Array.from({ length: 24 }, (_, t) => mixed(topic, 25, t * 25).map((r, j) => ({ ...r, partition: (t + j) % 2 })));
    const committed = await sendTransactions(topic, batches.slice(0, 12), (i) => i % 6 === 3);
    expect(committed).toHaveLength(10 * 25);
    // Small ranges, so that most start right after a control record; then a restart resumes at one.
    const first = await archiveUntil({ log, lake, topics: [topic], group, rollBytes: 1_000 }, committed.length);
    expect(first.totals.records).toBe(committed.length);
    committed.push(...(await sendTransactions(topic, batches.slice(12), (i) => i % 6 === 3)));
    const second = await archiveUntil({ log, lake, topics: [topic], group, rollBytes: 1_000 }, 20 * 25 - first.totals.records);
    expect(second.totals.records).toBe(10 * 25);

    const archive = await readArchive(lake, topic);
    expectUnique(archive.rows);
    // What was committed, and only that, field by field (offsets aside: the broker chose them).
    const content = (r: { partition: number; key: string | null; value: string | null; timestamp: number; headers: Record<string, string> | null }) => JSON.stringify([r.partition, r.key, r.value, r.timestamp, r.headers]);
    const expected = committed.map((r) => content({ partition: r.partition!, key: r.key?.toString('utf8') ?? null, value: r.value?.toString('utf8') ?? null, timestamp: r.timestamp!, headers: r.headers ? Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, v.toString('utf8')])) : null }));
    expect(archive.rows.map(content).sort()).toEqual(expected.sort());
    // The offsets do have gaps: control records, and the aborted records.
    const ends = await endOffsets(log, topic);
    for (const partition of [0, 1]) {
      const offsets = archive.rows.filter((r) => r.partition === partition).map((r) => r.offset);
      expect(offsets.at(-1)! + 1).toBeLessThan(ends[partition]!);
      expect(offsets.length).toBeLessThan(offsets.at(-1)! + 1);
    }
    // Ranges still follow each other: each starts where the one before ended, gaps included.
    expect(await expectContiguousRanges(lake, topic)).toBeGreaterThan(8);
    // The group is committed one past the last record: the trailing commit marker stays as lag.
    const last = Object.fromEntries([0, 1].map((p) => [p, archive.rows.filter((r) => r.partition === p).at(-1)!.offset + 1]));
    expect(Object.fromEntries(await archivedPositions(lake, topic))).toEqual(last);
    expect(await groupCommitted(log, group)).toEqual(last);
  }, 600_000);
  it('should archive every record once while a second archiver joins the group and the first one leaves', async () => {
    const { log, lake, topic, group } = await setUp(4);
    const owners = { a: new Set<number>(), b: new Set<number>() };
    let rows = 0;
    let target = Infinity;
    let reached!: () => void;
    const done = new Promise<void>((resolve) => (reached = resolve));
    const start = (name: 'a' | 'b') => {
      const controller = new AbortController();
      const running = runArchiver({
        log, lake, topics: [topic], group, rollBytes: 8_000, rollMs: 150, signal: controller.signal,
        onFile: (f) => {
          owners[name].add(f.partition);
          if ((rows += f.rows) >= target) reached();
        },
      });
      return { stop: async () => { controller.abort(); return running; } };
    };
    const pause = () => new Promise((resolve) => setTimeout(resolve, 150));
    const sent = await send(log, mixed(topic, 800));
    const a = start('a');
    // B joins: the group rebalances while A holds open ranges and commits; records keep coming.
    const b = start('b');
    // Until both have committed ranges (the rebalance takes a heartbeat or two; on a busy machine B
    // can join first and hold every partition until A's join rebalances the group).
    const joined = Date.now();
    let next = 800;
    for (let i = 0; i < 8 || owners.a.size === 0 || owners.b.size === 0; i++) {
      expect(Date.now() - joined).toBeLessThan(30_000);
      sent.push(...(await send(log, mixed(topic, 150, next))));
      next += 150;
      await pause();
    }
    // Both held partitions at once: the group was split between them.
    expect(owners.a.size).toBeGreaterThan(0);
    // A leaves: B takes its partitions over from the catalog's positions.
    const totalsA = await a.stop();
    for (let i = 0; i < 4; i++) {
      sent.push(...(await send(log, mixed(topic, 150, next))));
      next += 150;
      await pause();
    }
    target = sent.length;
    if (rows >= target) reached();
    const timer = setTimeout(reached, 60_000);
    await done;
    clearTimeout(timer);
    const totalsB = await b.stop();
    expect(totalsA.records + totalsB.records).toBe(sent.length);
    // After A left, B held every partition.
    expect(owners.b).toEqual(new Set([0, 1, 2, 3]));
    const archive = await readArchive(lake, topic);
    expectUnique(archive.rows);
    expect(archive.rows).toEqual(sortSent(sent));
    await expectContiguousRanges(lake, topic);
  });
  it('should refuse a topic deleted and created again under an archived name rather than mix its offsets into the old ones', async () => {
    const { log, lake, topic, group } = await setUp(2);
    await send(log, mixed(topic, 400));
    await archiveUntil({ log, lake, topics: [topic], group }, 400);
    const admin = log.admin();
    await admin.deleteTopic(topic);
    // Kafka deletes a topic in the background: creating it again fails until that is done.
    for (let i = 0; ; i++) {
      try {
        await admin.createTopic(topic, { partitions: 2 });
        break;
      } catch (error) {
        if (i >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    await admin.close();
    const fresh = await send(log, mixed(topic, 40));
    expect(Math.max(...fresh.map((s) => s.offset))).toBeLessThan(100);
    // The catalog says ~200 per partition; the new topic's partitions read from 0 after each seek there.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 60_000);
    const error = await rejection(runArchiver({ log, lake, topics: [topic], group: uniqueName('archiver'), signal: controller.signal }), 'TOPIC_INVALID');
    clearTimeout(timer);
    expect(error.message).toContain(`raw/${topic.toLowerCase().replaceAll('.', '_')}`);
    // Nothing of the new topic went into the old dataset.
    expect((await readArchive(lake, topic)).rows).toHaveLength(400);
  });
  it('should go on from the log start when retention deleted records before they were archived', async () => {
    const { log, lake, topic, group } = await setUp(1);
    const first = await send(log, mixed(topic, 300));
    await archiveUntil({ log, lake, topics: [topic], group }, 300);
    const second = await send(log, mixed(topic, 200, 300));
    // What retention does: the log start moves past records the archiver has not read (300-349).
    const { Admin } = await import('@platformatic/kafka');
    const raw = new Admin({ bootstrapBrokers: brokers(), clientId: 'archiver-test-retention' });
    await raw.deleteRecords({ topics: [{ name: topic, partitions: [{ partition: 0, offset: 350n }] }] }).finally(() => raw.close());
    const again = await archiveUntil({ log, lake, topics: [topic], group }, 150);
    expect(again.totals.records).toBe(150);
    // The first range after the gap starts where the archive ended, its first row at the log start.
    expect(again.files[0]!.from).toBe(300);
    const archive = await readArchive(lake, topic);
    expect(archive.rows).toEqual(sortSent([...first, ...second.filter((s) => s.offset >= 350)]));
    await expectContiguousRanges(lake, topic);
  });
});
