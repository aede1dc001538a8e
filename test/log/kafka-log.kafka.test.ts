import { afterEach, describe, expect, it } from 'vitest';
import { TributaryError } from '../../src/errors.ts';
import type { LogRecord } from '../../src/log/log.ts';
import { openKafkaLog } from '../../src/log/kafka/kafka-log.ts';
import { brokers, kafkaLogs, kafkaName } from '../support/kafka.ts';
import { rejection } from '../support/errors.ts';
import { describeLogContract, pollUntil } from './log-contract.ts';


/** What retention does: the partition's log start moves to `before`. */
async function deleteRecords(topic: string, partition: number, before: number): Promise<void> {
  const { Admin } = await import('@platformatic/kafka');
  const admin = new Admin({ bootstrapBrokers: brokers(), clientId: 'kafka-log-test-retention' });
  try {
    await admin.deleteRecords({ topics: [{ name: topic, partitions: [{ partition, offset: BigInt(before) }] }] });
  } finally {
    await admin.close();
  }
}

describeLogContract('kafka', () =>
  Promise.resolve({
    open: (options) => openKafkaLog({ brokers: brokers(), ...options }),
    deleteOldRecords: (_log, topic, partition, before) => deleteRecords(topic, partition, before),
    // Nothing to remove: the tests delete their topics, and groups expire on the broker.
    cleanup: () => Promise.resolve(),
  }),
);

describe('kafka log', () => {
  const { open, newTopic, cleanup } = kafkaLogs('kafka-log');

  afterEach(async () => {
    await cleanup();
  });

  it('should split a send larger than one batch per partition and return consecutive offsets', async () => {
    const log = await open();
    const topic = await newTopic(log, 1);
    const producer = log.producer();
    // ~3 MB for one partition: over the broker's 1 MB per batch, so the send goes out in rounds.
    const records = Array.from({ length: 3_000 }, (_, seq) => ({ topic, value: Buffer.alloc(1_000, seq % 256) }));
    const positions = await producer.send(records);
    expect(positions.map((p) => p.offset)).toEqual(records.map((_, i) => i));
    const description = await log.admin().describeTopic(topic);
    expect(description.partitions).toEqual([{ partition: 0, startOffset: 0, endOffset: 3_000 }]);
    await producer.close();
  });

  it('should keep call order for sends in flight together, from the first send on', async () => {
    const log = await open();
    const topic = await newTopic(log, 1);
    // A fresh producer has no metadata yet: the first sends look the topic up while later ones queue.
    const producer = log.producer();
    const sends = Array.from({ length: 40 }, (_, s) => producer.send(Array.from({ length: 25 }, (_, i) => ({ topic, value: Buffer.from(`${s}-${i}`) }))));
    const positions = await Promise.all(sends);
    expect(positions.flat().map((p) => p.offset)).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
    await producer.close();
  });

  it('should return no more than maxRecords per poll and commit everything polled without an argument', async () => {
    const log = await open();
    const topic = await newTopic(log, 2);
    const group = kafkaName('g');
    const producer = log.producer();
    await producer.send(Array.from({ length: 50 }, (_, seq) => ({ topic, key: Buffer.from(`k${seq}`), value: Buffer.from(String(seq)) })));
    const consumer = log.consumer({ group, topics: [topic], maxRecords: 7 });
    const got: LogRecord[] = [];
    while (got.length < 20) {
      const batch = await consumer.poll(1_000);
      expect(batch.length).toBeLessThanOrEqual(7);
      got.push(...batch);
    }
    await consumer.commit();
    const lag = await log.admin().groupLag(group);
    const polled = [0, 1].map((p) => got.filter((r) => r.partition === p).length);
    const ends = (await log.admin().describeTopic(topic)).partitions.map((p) => p.endOffset);
    expect(lag.map((l) => l.partition)).toEqual([0, 1]);
    for (const l of lag) {
      expect(l.endOffset).toBe(ends[l.partition]);
      // A partition nothing was polled from has no commit: its lag is everything in it.
      expect(l.committedOffset).toBe(polled[l.partition] === 0 ? undefined : polled[l.partition]);
      expect(l.lag).toBe(ends[l.partition]! - polled[l.partition]!);
    }
    await Promise.all([consumer.close(), producer.close()]);
  });

  it('should apply a seek made before the partition is assigned once it is', async () => {
    const log = await open();
    const topic = await newTopic(log, 1);
    const producer = log.producer();
    await producer.send(Array.from({ length: 10 }, (_, seq) => ({ topic, value: Buffer.from(String(seq)) })));
    const consumer = log.consumer({ group: kafkaName('g'), topics: [topic] });
    await consumer.seek(topic, 0, { offset: 6 });
    const got = await pollUntil(consumer, (all) => all.length >= 4);
    expect(got.map((r) => r.offset)).toEqual([6, 7, 8, 9]);
    await Promise.all([consumer.close(), producer.close()]);
  });

  it('should start a partition left by another member at the group commit', async () => {
    const log = await open();
    const topic = await newTopic(log, 1);
    const group = kafkaName('g');
    const producer = log.producer();
    await producer.send(Array.from({ length: 10 }, (_, seq) => ({ topic, value: Buffer.from(String(seq)) })));
    const first = log.consumer({ group, topics: [topic] });
    await pollUntil(first, (all) => all.length >= 10);
    await first.commit([{ topic, partition: 0, offset: 4 }]);
    await first.close();
    const second = log.consumer({ group, topics: [topic] });
    const got = await pollUntil(second, (all) => all.length >= 6);
    expect(got.map((r) => r.offset)).toEqual([4, 5, 6, 7, 8, 9]);
    await Promise.all([second.close(), producer.close()]);
  });

  it('should read a topic deleted and created again from its new start', async () => {
    const log = await open();
    const topic = await newTopic(log, 2);
    const admin = log.admin();
    const producer = log.producer();
    await producer.send([0, 1].map((partition) => ({ topic, partition, value: Buffer.from('old') })));
    const consumer = log.consumer({ group: kafkaName('g'), topics: [topic] });
    await pollUntil(consumer, (all) => all.length >= 2);
    await admin.deleteTopic(topic);
    expect(await consumer.poll(500)).toEqual([]);
    await admin.createTopic(topic, { partitions: 2 });
    await producer.send([{ topic, partition: 1, value: Buffer.from('new') }]);
    // The old positions (offset 1) are past the new topic's end; reading must start over at 0.
    const got = await pollUntil(consumer, (all) => all.length >= 1);
    expect(got.map((r) => [r.partition, r.offset, r.value?.toString()])).toEqual([[1, 0, 'new']]);
    await Promise.all([consumer.close(), producer.close(), admin.close()]);
  });

  it('should warn, naming the partition and both offsets, when a group commit or a seek lies below the log start', async () => {
    const warnings: { message: string; details: Record<string, unknown> }[] = [];
    const log = await open({ onWarning: (message, details) => warnings.push({ message, details }) });
    const topic = await newTopic(log, 1);
    const group = kafkaName('g');
    const producer = log.producer();
    await producer.send(Array.from({ length: 10 }, (_, seq) => ({ topic, value: Buffer.from(String(seq)) })));
    const first = log.consumer({ group, topics: [topic] });
    await pollUntil(first, (all) => all.length >= 10);
    await first.commit();
    await first.close();
    // While the group is away, records it has not read are appended and deleted.
    await producer.send(Array.from({ length: 30 }, (_, i) => ({ topic, value: Buffer.from(String(10 + i)) })));
    await deleteRecords(topic, 0, 30);
    const second = log.consumer({ group, topics: [topic] });
    const got = await pollUntil(second, (all) => all.length >= 10);
    expect(got.map((r) => r.offset)).toEqual(Array.from({ length: 10 }, (_, i) => 30 + i));
    expect(warnings).toEqual([
      {
        message: expect.stringContaining('below the log start') as string,
        details: { group, topic, partition: 0, requestedOffset: 10, resumedAt: 30, logStartOffset: 30, logEndOffset: 40 },
      },
    ]);
    await second.seek(topic, 0, { offset: 3 });
    expect(warnings[1]?.details).toMatchObject({ topic, partition: 0, requestedOffset: 3, resumedAt: 30 });
    await second.seek(topic, 0, { offset: 45 });
    expect(warnings[2]?.message).toContain('past the log end');
    expect(warnings[2]?.details).toMatchObject({ topic, partition: 0, requestedOffset: 45, resumedAt: 40 });
    await producer.send([{ topic, value: Buffer.from('40') }]);
    expect((await pollUntil(second, (all) => all.length >= 1)).map((r) => r.offset)).toEqual([40]);
    expect(warnings).toHaveLength(3);
    await Promise.all([second.close(), producer.close()]);
  });

  it('should list only user topics and report unknown topics as TOPIC_NOT_FOUND', async () => {
    const log = await open();
    const admin = log.admin();
    const group = kafkaName('g');
    const topic = await newTopic(log, 1);
    // A committed offset makes the broker create __consumer_offsets, which must not be listed.
    const consumer = log.consumer({ group, topics: [topic] });
    await consumer.commit([{ topic, partition: 0, offset: 0 }]);
    await consumer.close();
    const listed = await admin.listTopics();
    expect(listed).toContain(topic);
    expect(listed.filter((t) => t.startsWith('__'))).toEqual([]);
    const missing = kafkaName('missing');
    expect((await rejection(admin.describeTopic(missing))).code).toBe('TOPIC_NOT_FOUND');
    expect((await rejection(admin.deleteTopic(missing))).code).toBe('TOPIC_NOT_FOUND');
    expect(await admin.groupLag(kafkaName('nobody'))).toEqual([]);
    await admin.close();
  });

  it('should refuse a partition the topic does not have', async () => {
    const log = await open();
    const topic = await newTopic(log, 2);
    const producer = log.producer();
    const error = await rejection(producer.send([{ topic, partition: 5, value: Buffer.from('x') }]));
    expect(error.code).toBe('TOPIC_NOT_FOUND');
    expect(error.message).toContain('partition 5');
    await producer.close();
  });

  it('should reject every client of a closed log with LOG_CLOSED', async () => {
    const log = await open();
    const topic = await newTopic(log, 1);
    const admin = log.admin();
    const producer = log.producer();
    const consumer = log.consumer({ group: kafkaName('g'), topics: [topic] });
    await log.close();
    expect((await rejection(admin.listTopics())).code).toBe('LOG_CLOSED');
    expect((await rejection(producer.send([{ topic, value: null }]))).code).toBe('LOG_CLOSED');
    expect((await rejection(consumer.commit([{ topic, partition: 0, offset: 0 }]))).code).toBe('LOG_CLOSED');
    expect(() => log.producer()).toThrow(TributaryError);
    // Delete the topic through a log that is still open.
    await open();
  });

  it('should fail to open with LOG_UNAVAILABLE when no broker answers', async () => {
    const error = await rejection(openKafkaLog({ brokers: ['127.0.0.1:1'] }));
    expect(error.code).toBe('LOG_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(error.cause).toBeDefined();
  });
});
