import { Admin, Consumer, Producer, stringDeserializers, stringSerializers, type Message } from '@platformatic/kafka';
import { afterAll, describe, expect, it } from 'vitest';
import { endpoint, uniqueName } from '../support/services.ts';

const RECORDS = 1_000;
const KEYS = 37;

describe('Kafka smoke test', () => {
  const bootstrapBrokers = endpoint('TRIBUTARY_KAFKA_BROKERS').split(',');
  const topic = uniqueName('smoke').replace(/_/g, '-');
  const admin = new Admin({ clientId: 'smoke-admin', bootstrapBrokers });
  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] });
    await admin.close();
  });

  it('should produce and consume 1,000 keyed records on 3 partitions through a consumer group', async () => {
    await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 });

    const producer = new Producer({ clientId: 'smoke-producer', bootstrapBrokers, serializers: stringSerializers, idempotent: true });
    const sent = Array.from({ length: RECORDS }, (_, seq) => ({ topic, key: `user-${seq % KEYS}`, value: JSON.stringify({ seq }) }));
    try {
      for (let i = 0; i < RECORDS; i += 100) await producer.send({ messages: sent.slice(i, i + 100) });
    } finally {
      await producer.close();
    }

    const consumer = new Consumer({ clientId: 'smoke-consumer', groupId: uniqueName('smoke-group'), bootstrapBrokers, deserializers: stringDeserializers });
    const received: Message<string, string, string, string>[] = [];
    try {
      const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false, maxWaitTime: 500 });
      for await (const message of stream) {
        received.push(message);
        if (received.length === RECORDS) break;
      }
      // Commit the next offset to read in each partition, then read the commits back from the group coordinator.
      const last = new Map<number, Message<string, string, string, string>>();
      for (const m of received) last.set(m.partition, m);
      await consumer.commit({ offsets: [...last.values()].map((m) => ({ topic, partition: m.partition, offset: m.offset + 1n, leaderEpoch: m.leaderEpoch })) });
      const committed = await consumer.listCommittedOffsets({ topics: [{ topic, partitions: [0, 1, 2] }] });
      const perPartition = committed.get(topic) ?? [];
      expect(perPartition.map(Number).reduce((a, b) => a + b, 0)).toBe(RECORDS);
      await stream.close();
    } finally {
      await consumer.close(true);
    }

    expect(received).toHaveLength(RECORDS);
    // Every record arrives once, with its key.
    const seqs = received.map((m) => (JSON.parse(m.value) as { seq: number }).seq).sort((a, b) => a - b);
    expect(seqs).toEqual(sent.map((_, seq) => seq));
    for (const m of received) expect(m.key).toBe(`user-${(JSON.parse(m.value) as { seq: number }).seq % KEYS}`);
    // A key always lands in one partition, and the keys use all three.
    const partitionOfKey = new Map<string, Set<number>>();
    for (const m of received) partitionOfKey.set(m.key, (partitionOfKey.get(m.key) ?? new Set()).add(m.partition));
    expect([...partitionOfKey.values()].every((parts) => parts.size === 1)).toBe(true);
    expect(new Set(received.map((m) => m.partition))).toEqual(new Set([0, 1, 2]));
    // Within a partition, offsets and the producer's order both increase.
    for (const partition of [0, 1, 2]) {
      const inPartition = received.filter((m) => m.partition === partition);
      const offsets = inPartition.map((m) => Number(m.offset));
      expect(offsets).toEqual(offsets.map((_, i) => i));
      const order = inPartition.map((m) => (JSON.parse(m.value) as { seq: number }).seq);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
  });
});
