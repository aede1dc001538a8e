/**
 * What the Kafka cases of vs-spark share: the broker list, the pin input produced once to a fresh
 * topic, fresh output topics, and a reader of an output topic (for the checks and the latency probe).
 */
import { openKafkaLog } from '../../src/log/kafka/kafka-log.ts';
import type { Log, LogRecord, ProducerRecord } from '../../src/log/log.ts';
import { pinRecords } from '../workload.ts';
import { exceptAll } from './harness.ts';

export const PARTITIONS = 4;
export const pins = pinRecords();

export function brokers(): string[] {
  return (process.env.TRIBUTARY_KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter(Boolean);
}

export const needsKafka = (): string[] => (brokers().length ? [] : ['TRIBUTARY_KAFKA_BROKERS']);

/** A topic name unique to this run. */
export function topicName(what: string): string {
  return `vs-spark-${what}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export async function withKafkaLog<T>(work: (log: Log) => Promise<T>): Promise<T> {
  const log = await openKafkaLog({ brokers: brokers() });
  try {
    return await work(log);
  } finally {
    await log.close();
  }
}

export async function createTopic(log: Log, topic: string): Promise<string> {
  await log.admin().createTopic(topic, { partitions: PARTITIONS });
  return topic;
}

/** Records in `topic`, over its partitions. */
export async function topicSize(log: Log, topic: string): Promise<number> {
  const { partitions } = await log.admin().describeTopic(topic);
  return partitions.reduce((n, p) => n + p.endOffset - p.startOffset, 0);
}

/** `records` pins (the 200 real ones in turn), in batches of 1,000 with 64 in flight; `timestamp(i)` sets the record time. */
export async function producePins(log: Log, topic: string, records: number, timestamp?: (i: number) => number): Promise<void> {
  const producer = log.producer();
  const inFlight: Promise<unknown>[] = [];
  try {
    for (let sent = 0; sent < records; sent += 1000) {
      const batch: ProducerRecord[] = [];
      for (let i = sent; i < Math.min(sent + 1000, records); i++) batch.push({ topic, key: pins[i % pins.length]!.key, value: pins[i % pins.length]!.value, ...(timestamp && { timestamp: timestamp(i) }) });
      inFlight.push(producer.send(batch));
      if (inFlight.length >= 64) await inFlight.shift();
    }
    await Promise.all(inFlight);
  } finally {
    await producer.close();
  }
}

/** Reads `topic` from its start with a fresh group until `expected` records came, or fails after `timeoutMs`. */
export async function readTopic(log: Log, topic: string, expected: number, timeoutMs = 120_000): Promise<LogRecord[]> {
  const consumer = log.consumer({ group: topicName('reader'), topics: [topic], from: 'earliest' });
  const records: LogRecord[] = [];
  const deadline = Date.now() + timeoutMs;
  try {
    while (records.length < expected) {
      if (Date.now() > deadline) throw new Error(`vs-spark: ${topic} has ${records.length} of the ${expected} records expected after ${timeoutMs} ms`);
      records.push(...(await consumer.poll(100)));
    }
    return records;
  } finally {
    await consumer.close();
  }
}

/**
 * The records of two topics as multisets of (key, parsed value with absent fields as null): how many
 * of each side the other lacks. Spark's JSON leaves out null fields and writes numbers its own way.
 */
export function compareRecords(a: readonly LogRecord[], b: readonly LogRecord[]): { onlyA: number; onlyB: number } {
  const canonical = (r: LogRecord) => {
    const value = JSON.parse(r.value?.toString('utf8') ?? 'null') as Record<string, unknown>;
    const keys = [...new Set(Object.keys(value))].sort();
    return `${r.key?.toString('utf8') ?? ''}\u0000${JSON.stringify(keys.filter((k) => value[k] !== null).map((k) => [k, value[k]]))}`;
  };
  return exceptAll(a.map(canonical), b.map(canonical));
}
