/**
 * The conformance suite every log backend passes: `describeLogContract(name, fixture)`.
 * A fixture opens logs over one storage (one directory, one cluster), so a test can close a log and
 * open it again as a restarted process would.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Log, LogConsumer, LogRecord, PartitionInfo } from '../../src/log/log.ts';
import { partitionForKey } from '../../src/log/partitioner.ts';
import { rejection } from '../support/errors.ts';
import { uniqueName } from '../support/services.ts';

export interface LogOpenOptions {
  autoCreateTopics?: boolean;
  maxRecordBytes?: number;
  /** Embedded: the segment size, so that retention can remove part of a small topic. Kafka ignores it. */
  segmentBytes?: number;
}

export interface LogFixture {
  open(options?: LogOpenOptions): Promise<Log>;
  /**
   * Removes the oldest records of a partition as retention does, keeping the newest: those below
   * `before` (Kafka: DeleteRecords), or the whole segments before the newest one (embedded).
   */
  deleteOldRecords(log: Log, topic: string, partition: number, before: number): Promise<void>;
  /** Removes what the fixture made (directories); topics are deleted by the tests themselves. */
  cleanup(): Promise<void>;
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const parse = <T>(record: LogRecord) => JSON.parse(record.value?.toString('utf8') ?? 'null') as T;

/** Poll until `done` says so, or fail after `timeoutMs` with what was collected. */
export async function pollUntil(consumer: LogConsumer, done: (all: LogRecord[]) => boolean, timeoutMs = 30_000): Promise<LogRecord[]> {
  const all: LogRecord[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!done(all)) {
    if (Date.now() > deadline) throw new Error(`pollUntil timed out after ${timeoutMs} ms with ${all.length} records`);
    all.push(...(await consumer.poll(200)));
  }
  return all;
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function describeLogContract(name: string, makeFixture: () => Promise<LogFixture>): void {
  describe(`${name} log contract`, () => {
    let fixture: LogFixture;
    const open: Log[] = [];
    const topics: string[] = [];
    const openLog = async (options?: LogOpenOptions) => {
      fixture ??= await makeFixture();
      const log = await fixture.open(options);
      open.push(log);
      return log;
    };
    const newTopic = async (log: Log, partitions: number) => {
      const topic = uniqueName('contract').replace(/_/g, '-');
      await log.admin().createTopic(topic, { partitions });
      topics.push(topic);
      return topic;
    };

    afterEach(async () => {
      // The last log a test opened is the one still open.
      const log = open.at(-1);
      if (log && topics.length > 0) {
        const admin = log.admin();
        for (const topic of topics.splice(0)) await admin.deleteTopic(topic).catch(() => undefined);
        await admin.close();
      }
      for (const l of open.splice(0).reverse()) await l.close();
      await fixture?.cleanup();
      fixture = undefined as unknown as LogFixture;
    });

    it('should keep order within a partition and place each key by the murmur2 partitioner', async () => {
      const log = await openLog();
      const topic = await newTopic(log, 3);
      const producer = log.producer();
      const records = Array.from({ length: 300 }, (_, seq) => ({ topic, key: Buffer.from(`k${seq % 10}`), value: json({ seq }) }));
      const positions = await producer.send(records);
      expect(positions).toHaveLength(300);
      positions.forEach((p, i) => expect(p.partition).toBe(partitionForKey(records[i]!.key, 3)));

      const consumer = log.consumer({ group: uniqueName('g'), topics: [topic] });
      const got = await pollUntil(consumer, (all) => all.length >= 300);
      expect(got).toHaveLength(300);
      for (const partition of [0, 1, 2]) {
        const mine = got.filter((r) => r.partition === partition);
        expect(mine.map((r) => r.offset)).toEqual(mine.map((_, i) => i));
        const seqs = mine.map((r) => parse<{ seq: number }>(r).seq);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        for (const r of mine) expect(partitionForKey(r.key!, 3)).toBe(partition);
      }
      await consumer.close();
      await producer.close();
    });

    it('should resume from the committed offsets after a restart', async () => {
      let log = await openLog();
      const topic = await newTopic(log, 2);
      const group = uniqueName('g');
      const producer = log.producer();
      await producer.send(Array.from({ length: 100 }, (_, seq) => ({ topic, key: Buffer.from(`k${seq % 7}`), value: json({ seq }) })));
      await producer.close();

      const first = log.consumer({ group, topics: [topic] });
      const read = await pollUntil(first, (all) => all.length >= 100);
      // Commit only the first half of what each partition returned.
      const committed = [0, 1].map((partition) => {
        const mine = read.filter((r) => r.partition === partition);
        return { topic, partition, offset: Math.floor(mine.length / 2) };
      });
      await first.commit(committed);
      await first.close();
      await log.close();

      log = await openLog();
      const second = log.consumer({ group, topics: [topic] });
      const again = await pollUntil(second, (all) => all.length >= 100 - committed.reduce((n, c) => n + c.offset, 0));
      for (const { partition, offset } of committed) {
        const mine = again.filter((r) => r.partition === partition);
        expect(mine[0]?.offset).toBe(offset);
      }
      expect(again).toHaveLength(100 - committed.reduce((n, c) => n + c.offset, 0));
      await second.commit();
      const lag = await log.admin().groupLag(group);
      expect(lag.map((l) => l.lag)).toEqual([0, 0]);
      await second.close();
    });

    it('should split partitions between two consumers of a group and rebalance when one leaves', async () => {
      const log = await openLog();
      const topic = await newTopic(log, 4);
      const group = uniqueName('g');
      const a = log.consumer({ group, topics: [topic] });
      const b = log.consumer({ group, topics: [topic] });
      const owned = (c: LogConsumer) => c.assignment().map((tp) => tp.partition).sort();
      await until(async () => {
        await Promise.all([a.poll(100), b.poll(100)]);
        return owned(a).length === 2 && owned(b).length === 2;
      }, 'both members to own two partitions');
      expect([...owned(a), ...owned(b)].sort()).toEqual([0, 1, 2, 3]);

      await b.close();
      await until(async () => {
        await a.poll(100);
        return owned(a).length === 4;
      }, 'the remaining member to own all partitions');
      const producer = log.producer();
      await producer.send([0, 1, 2, 3].map((partition) => ({ topic, partition, value: json({ partition }) })));
      const got = await pollUntil(a, (all) => all.length >= 4);
      expect(got.map((r) => r.partition).sort()).toEqual([0, 1, 2, 3]);
      await producer.close();
      await a.close();
    });

    it('should replay from earliest, start new groups at latest when asked, and seek by offset and time', async () => {
      const log = await openLog();
      const topic = await newTopic(log, 1);
      const producer = log.producer();
      const t0 = Date.now() - 60_000;
      await producer.send(Array.from({ length: 10 }, (_, seq) => ({ topic, value: json({ seq }), timestamp: t0 + seq * 1000 })));

      const consumer = log.consumer({ group: uniqueName('g'), topics: [topic] });
      const once = await pollUntil(consumer, (all) => all.length >= 10);
      expect(once.map((r) => r.timestamp)).toEqual(once.map((_, seq) => t0 + seq * 1000));
      await consumer.seek(topic, 0, 'earliest');
      const twice = await pollUntil(consumer, (all) => all.length >= 10);
      expect(twice.map((r) => r.offset)).toEqual(once.map((r) => r.offset));
      await consumer.seek(topic, 0, { offset: 7 });
      expect((await pollUntil(consumer, (all) => all.length >= 3)).map((r) => r.offset)).toEqual([7, 8, 9]);
      await consumer.seek(topic, 0, { timestamp: t0 + 4500 });
      expect((await pollUntil(consumer, (all) => all.length >= 5))[0]?.offset).toBe(5);

      const late = log.consumer({ group: uniqueName('g'), topics: [topic], from: 'latest' });
      await until(async () => (await late.poll(100), late.assignment().length === 1), 'assignment');
      await producer.send([{ topic, value: json({ seq: 10 }) }]);
      const fresh = await pollUntil(late, (all) => all.length >= 1);
      expect(fresh.map((r) => parse<{ seq: number }>(r).seq)).toEqual([10]);
      await Promise.all([consumer.close(), late.close(), producer.close()]);
    });

    it('should resume at the log start when sought below it or committed below it, and at the end when sought past it', async () => {
      const log = await openLog({ segmentBytes: 1024 });
      const topic = await newTopic(log, 1);
      const producer = log.producer();
      // One send per record: the embedded log rolls segments between batches only.
      for (let seq = 0; seq < 40; seq++) await producer.send([{ topic, value: json({ seq, pad: 'x'.repeat(100) }) }]);
      await fixture.deleteOldRecords(log, topic, 0, 20);
      const [{ startOffset: start, endOffset: end }] = (await log.admin().describeTopic(topic)).partitions as [PartitionInfo];
      expect(start).toBeGreaterThan(0);
      expect(end).toBe(40);
      const held = Array.from({ length: end - start }, (_, i) => start + i);

      const group = uniqueName('g');
      const consumer = log.consumer({ group, topics: [topic] });
      expect((await pollUntil(consumer, (all) => all.length >= held.length)).map((r) => r.offset)).toEqual(held);
      // Below the start: the records there are gone; reading goes on with every record still held.
      await consumer.seek(topic, 0, { offset: 0 });
      expect((await pollUntil(consumer, (all) => all.length >= held.length)).map((r) => r.offset)).toEqual(held);
      // Past the end: nothing to read, and records appended later are read from the end on.
      await consumer.seek(topic, 0, { offset: end + 100 });
      expect(await consumer.poll(500)).toEqual([]);
      await producer.send([40, 41].map((seq) => ({ topic, value: json({ seq }) })));
      const later = await pollUntil(consumer, (all) => all.length >= 2);
      expect(later.map((r) => [r.offset, parse<{ seq: number }>(r).seq])).toEqual([[40, 40], [41, 41]]);
      // A group whose commit is below the start resumes at the start.
      await consumer.commit([{ topic, partition: 0, offset: 1 }]);
      await consumer.close();
      const next = log.consumer({ group, topics: [topic] });
      expect((await pollUntil(next, (all) => all.length >= held.length + 2)).map((r) => r.offset)).toEqual([...held, 40, 41]);
      await Promise.all([next.close(), producer.close()]);
    });

    it('should carry headers, null and empty values, unicode keys and 1 MB records', async () => {
      const log = await openLog({ maxRecordBytes: 2_000_000 });
      const topic = await newTopic(log, 2);
      const producer = log.producer();
      const big = Buffer.alloc(1_000_000, 0x61);
      await producer.send([
        { topic, key: Buffer.from('clé-🔑-ключ'), value: Buffer.from('unicode'), headers: { source: Buffer.from('tést'), empty: Buffer.alloc(0) } },
        { topic, key: Buffer.from('empty'), value: Buffer.alloc(0) },
        { topic, key: Buffer.from('tombstone'), value: null },
        { topic, key: null, value: big },
      ]);
      const consumer = log.consumer({ group: uniqueName('g'), topics: [topic] });
      const got = await pollUntil(consumer, (all) => all.length >= 4);
      const byKey = new Map(got.map((r) => [r.key?.toString('utf8') ?? null, r]));
      expect(byKey.get('clé-🔑-ключ')?.headers).toEqual({ source: Buffer.from('tést'), empty: Buffer.alloc(0) });
      expect(byKey.get('clé-🔑-ключ')?.value?.toString('utf8')).toBe('unicode');
      expect(byKey.get('empty')?.value).toEqual(Buffer.alloc(0));
      expect(byKey.get('tombstone')?.value).toBeNull();
      expect(byKey.get(null)?.value?.equals(big)).toBe(true);
      await Promise.all([consumer.close(), producer.close()]);
    });

    it('should deliver to a consumer that started before its topic existed', async () => {
      const log = await openLog();
      const topic = uniqueName('later').replace(/_/g, '-');
      topics.push(topic);
      const consumer = log.consumer({ group: uniqueName('g'), topics: [topic] });
      expect(await consumer.poll(200)).toEqual([]);
      await log.admin().createTopic(topic, { partitions: 2 });
      const producer = log.producer();
      await producer.send([{ topic, key: Buffer.from('a'), value: json(1) }, { topic, key: Buffer.from('b'), value: json(2) }]);
      const got = await pollUntil(consumer, (all) => all.length >= 2);
      expect(got.map((r) => parse<number>(r)).sort()).toEqual([1, 2]);
      await Promise.all([consumer.close(), producer.close()]);
    });

    it('should create, list, describe and delete topics', async () => {
      const log = await openLog();
      const admin = log.admin();
      const topic = await newTopic(log, 3);
      await rejection(admin.createTopic(topic, { partitions: 3 }), 'TOPIC_EXISTS');
      expect(await admin.listTopics()).toContain(topic);
      const producer = log.producer();
      await producer.send([{ topic, partition: 1, value: json('x') }]);
      const description = await admin.describeTopic(topic);
      expect(description.name).toBe(topic);
      expect(description.partitions.map((p) => [p.partition, p.startOffset, p.endOffset])).toEqual([
        [0, 0, 0],
        [1, 0, 1],
        [2, 0, 0],
      ]);
      await admin.deleteTopic(topic);
      await until(async () => !(await admin.listTopics()).includes(topic), 'the topic to disappear');
      await rejection(admin.describeTopic(topic), 'TOPIC_NOT_FOUND');
      await Promise.all([admin.close(), producer.close()]);
    });

    it('should refuse a record over the size limit, naming its size and the limit', async () => {
      const log = await openLog({ maxRecordBytes: 10_000 });
      const topic = await newTopic(log, 1);
      const producer = log.producer();
      const error = await rejection(producer.send([{ topic, value: Buffer.alloc(20_000) }]), 'RECORD_TOO_LARGE');
      expect(error.message).toMatch(/20,?0\d\d bytes.*10,?000/);
      await producer.close();
    });

    it('should refuse an unknown topic when auto-create is off, and create it when on', async () => {
      const strict = await openLog({ autoCreateTopics: false });
      const topic = uniqueName('auto').replace(/_/g, '-');
      topics.push(topic);
      const producer = strict.producer();
      const error = await rejection(producer.send([{ topic, value: json(1) }]), 'TOPIC_NOT_FOUND');
      expect(error.message).toContain(topic);
      await producer.close();
      await strict.close();

      const lenient = await openLog({ autoCreateTopics: true });
      const autoProducer = lenient.producer();
      const [position] = await autoProducer.send([{ topic, value: json(1) }]);
      expect(position).toMatchObject({ topic, offset: 0 });
      expect(await lenient.admin().listTopics()).toContain(topic);
      await autoProducer.close();
    });

    it('should reject calls on a closed client', async () => {
      const log = await openLog();
      const topic = await newTopic(log, 1);
      const producer = log.producer();
      await producer.close();
      await rejection(producer.send([{ topic, value: json(1) }]), 'LOG_CLOSED');
      const consumer = log.consumer({ group: uniqueName('g'), topics: [topic] });
      await consumer.close();
      await rejection(consumer.poll(10), 'LOG_CLOSED');
    });
  });
}
