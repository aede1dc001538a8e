/**
 * read_committed on the Kafka log: records of aborted transactions and transaction markers never
 * reach a consumer. Transactions are written with the driver's transactional producer (the log has
 * no transactional API of its own); each costs about half a second, so the tests keep them few.
 */
import type { Producer } from '@platformatic/kafka';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogRecord } from '../../src/log/log.ts';
import { brokers, kafkaLogs, kafkaName } from '../support/kafka.ts';
import { uniqueName } from '../support/services.ts';
import { pollUntil } from './log-contract.ts';

const values = (records: readonly LogRecord[]) => records.map((r) => r.value?.toString());

describe('kafka log transactions', () => {
  const { open, newTopic, cleanup } = kafkaLogs('kafka-tx');
  const producers: Producer[] = [];
  const transactional = async (name: string) => {
    const { Producer, ProduceAcks } = await import('@platformatic/kafka');
    const producer = new Producer({ bootstrapBrokers: brokers(), clientId: 'kafka-tx-test', transactionalId: uniqueName(name), idempotent: true, acks: ProduceAcks.ALL, autocreateTopics: false });
    producers.push(producer);
    return producer;
  };
  /** One transaction of `sends` sends (one batch each) to one partition, then commit or abort. */
  const transaction = async (producer: Producer, topic: string, partition: number, outcome: 'commit' | 'abort', sends: string[][]) => {
    const tx = await producer.beginTransaction();
    for (const batch of sends) await tx.send({ messages: batch.map((value) => ({ topic, partition, value: Buffer.from(value) })) });
    await (outcome === 'commit' ? tx.commit() : tx.abort());
  };

  afterEach(async () => {
    for (const producer of producers.splice(0)) await producer.close();
    await cleanup();
  });

  it('should return only the committed records of one producer that commits, aborts three times and commits', async () => {
    const log = await open();
    const topic = await newTopic(log, 1);
    const producer = await transactional('one');
    const outcomes = ['commit', 'abort', 'abort', 'abort', 'commit'] as const;
    for (const [i, outcome] of outcomes.entries()) await transaction(producer, topic, 0, outcome, [[`tx${i}-${outcome}-0`, `tx${i}-${outcome}-1`]]);
    const committed = ['tx0-commit-0', 'tx0-commit-1', 'tx4-commit-0', 'tx4-commit-1'];
    // Default fetch sizes (the whole partition in one response), and one batch per response, where
    // an aborted transaction's records and its marker arrive in different responses.
    for (const fetchPartitionMaxBytes of [undefined, 1]) {
      const reader = fetchPartitionMaxBytes === undefined ? log : await open({ fetchPartitionMaxBytes });
      const consumer = reader.consumer({ group: kafkaName('g'), topics: [topic] });
      const got = await pollUntil(consumer, (all) => all.length >= committed.length);
      // Nothing else follows: no aborted record and no marker, however long we wait.
      got.push(...(await consumer.poll(1_000)));
      expect(values(got)).toEqual(committed);
      // Five transactions of two records and a marker each: offsets 0-1 and 12-13 are the committed ones.
      expect(got.map((r) => r.offset)).toEqual([0, 1, 12, 13]);
      await consumer.close();
    }
  });

  it('should return the committed records of several producers whose transactions interleave, with plain records between', async () => {
    const log = await open({ fetchPartitionMaxBytes: 1 });
    const topic = await newTopic(log, 1);
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((name) => transactional(name)));
    const plain = log.producer();
    const send = (tx: Awaited<ReturnType<Producer['beginTransaction']>>, value: string) => tx.send({ messages: [{ topic, partition: 0, value: Buffer.from(value) }] });
    // The order of the calls is the order in the partition.
    const a1 = await a!.beginTransaction();
    await send(a1, 'a1-aborted');
    const b1 = await b!.beginTransaction();
    await send(b1, 'b1-aborted');
    await plain.send([{ topic, partition: 0, value: Buffer.from('n1') }]);
    await send(a1, 'a1-aborted');
    const c1 = await c!.beginTransaction();
    await send(c1, 'c1-committed');
    await send(b1, 'b1-aborted');
    await a1.abort();
    await plain.send([{ topic, partition: 0, value: Buffer.from('n2') }]);
    await send(c1, 'c1-committed');
    await c1.commit();
    const a2 = await a!.beginTransaction();
    await send(a2, 'a2-committed');
    await b1.abort();
    await a2.commit();
    await transaction(b!, topic, 0, 'abort', [['b2-aborted'], ['b2-aborted']]);
    await transaction(c!, topic, 0, 'commit', [['c2-committed']]);
    await transaction(b!, topic, 0, 'abort', [['b3-aborted']]);
    await plain.send([{ topic, partition: 0, value: Buffer.from('n3') }]);
    const expected = ['n1', 'c1-committed', 'n2', 'c1-committed', 'a2-committed', 'c2-committed', 'n3'];

    const consumer = log.consumer({ group: kafkaName('g'), topics: [topic] });
    const got = await pollUntil(consumer, (all) => all.length >= expected.length);
    got.push(...(await consumer.poll(1_000)));
    expect(values(got)).toEqual(expected);
    const offsets = got.map((r) => r.offset);
    expect(offsets).toEqual([...offsets].sort((x, y) => x - y));
    await Promise.all([consumer.close(), plain.close()]);
  });

  it('should hold back records after an open transaction until it ends, then return them in order', async () => {
    const log = await open();
    const topic = await newTopic(log, 1);
    const producer = await transactional('open');
    const plain = log.producer();
    const consumer = log.consumer({ group: kafkaName('g'), topics: [topic] });
    const tx = await producer.beginTransaction();
    await tx.send({ messages: [{ topic, partition: 0, value: Buffer.from('in-tx') }] });
    await plain.send([{ topic, partition: 0, value: Buffer.from('after-tx') }]);
    // The last stable offset stays at the open transaction's first record.
    expect(await consumer.poll(1_500)).toEqual([]);
    await tx.commit();
    const got = await pollUntil(consumer, (all) => all.length >= 2);
    expect(values(got)).toEqual(['in-tx', 'after-tx']);
    await Promise.all([consumer.close(), plain.close()]);
  });

  it('should drop aborted records from a response in which another partition is out of range', async () => {
    // The driver leaves such a response unfiltered (it is reported as an error); our filter is the only one.
    const log = await open();
    const topic = await newTopic(log, 2);
    const producer = await transactional('mixed');
    const plain = log.producer();
    await plain.send([{ topic, partition: 0, value: Buffer.from('p0') }]);
    await transaction(producer, topic, 1, 'abort', [['p1-aborted']]);
    await transaction(producer, topic, 1, 'commit', [['p1-committed']]);
    // A group commit past the end of partition 0 (a seek would be brought inside the log at once): the
    // first fetch asks for partition 0 at 1000 and for partition 1 from 0, in one request.
    const group = kafkaName('g');
    const committer = log.consumer({ group, topics: [topic] });
    await committer.commit([{ topic, partition: 0, offset: 1_000 }]);
    await committer.close();
    const consumer = log.consumer({ group, topics: [topic] });
    const got = await pollUntil(consumer, (all) => all.length >= 1);
    got.push(...(await consumer.poll(1_000)));
    expect(got.map((r) => [r.partition, r.value?.toString()])).toEqual([[1, 'p1-committed']]);
    await Promise.all([consumer.close(), plain.close()]);
  });
});
