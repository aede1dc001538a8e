/**
 * Kafka cases of the log benchmark: our Kafka backend, and the raw @platformatic/kafka client on the
 * same broker as the ceiling (produce: the same batches and in-flight window; consume: a plain fetch
 * loop, the fastest the client reads, with the fetch sizes our backend uses). Cases alternate and
 * repeat; medians are reported, with CPU time per record of this process.
 */
import { Admin, Consumer, Producer, ProduceAcks } from '@platformatic/kafka';
import { DEFAULT_FETCH_MAX_BYTES, DEFAULT_FETCH_PARTITION_MAX_BYTES, openKafkaLog } from '../src/log/kafka/kafka-log.ts';
import { cpuPerRecord } from './stream-measure.ts';
import { pinRecords, progress, rssSampler } from './workload.ts';

export interface Measured {
  recordsPerSec: number;
  rssMb: number;
  /** CPU time of this process (all threads) per record. */
  cpuUsPerRecord: number;
}

const PARTITIONS = 4;
const BATCH = 1000;
const IN_FLIGHT = 64;

async function freshTopic(admin: Admin, name: string): Promise<string> {
  const topic = `${name}-${Date.now()}`;
  await admin.createTopics({ topics: [topic], partitions: PARTITIONS, replicas: 1 });
  await new Promise((resolve) => setTimeout(resolve, 500));
  return topic;
}

async function ours(brokers: string[], admin: Admin, records: number, produce: (log: Awaited<ReturnType<typeof openKafkaLog>>, topic: string, n: number) => Promise<Measured>, consume: (log: Awaited<ReturnType<typeof openKafkaLog>>, topic: string, n: number) => Promise<Measured>) {
  const topic = await freshTopic(admin, 'bench-ours');
  const log = await openKafkaLog({ brokers });
  try {
    const produced = await produce(log, topic, records);
    const consumed = await consume(log, topic, records);
    return { produced, consumed };
  } finally {
    await log.close();
    await admin.deleteTopics({ topics: [topic] });
  }
}

async function raw(brokers: string[], admin: Admin, records: number) {
  const topic = await freshTopic(admin, 'bench-raw');
  const pins = pinRecords();
  try {
    const producer = new Producer({ clientId: 'bench-raw', bootstrapBrokers: brokers, idempotent: true, acks: ProduceAcks.ALL });
    let rss = rssSampler();
    let start = performance.now();
    let cpu = process.cpuUsage();
    const inFlight: Promise<unknown>[] = [];
    for (let sent = 0; sent < records; sent += BATCH) {
      const messages = [];
      for (let i = sent; i < Math.min(sent + BATCH, records); i++) messages.push({ topic, key: pins[i % pins.length]!.key, value: pins[i % pins.length]!.value });
      inFlight.push(producer.send({ messages }));
      if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
    }
    await Promise.all(inFlight);
    const produced = { recordsPerSec: Math.round(records / ((performance.now() - start) / 1000)), rssMb: rss.stop(), cpuUsPerRecord: cpuPerRecord(cpu, records) };
    await producer.close();

    const consumer = new Consumer({ clientId: 'bench-raw', groupId: `bench-raw-${Date.now()}`, bootstrapBrokers: brokers, autocommit: false });
    const metadata = await consumer.metadata({ topics: [topic] });
    const info = metadata.topics.get(topic)!;
    const offsets = new Array<bigint>(PARTITIONS).fill(0n);
    rss = rssSampler();
    start = performance.now();
    cpu = process.cpuUsage();
    let count = 0;
    while (count < records) {
      const response = await consumer.fetch({
        node: info.partitions[0]!.leader,
        maxWaitTime: 500,
        minBytes: 1,
        maxBytes: DEFAULT_FETCH_MAX_BYTES,
        topics: [{ topicId: info.id, partitions: offsets.map((fetchOffset, partition) => ({ partition, fetchOffset, partitionMaxBytes: DEFAULT_FETCH_PARTITION_MAX_BYTES, currentLeaderEpoch: -1, lastFetchedEpoch: -1 })) }],
      });
      for (const t of response.responses) {
        for (const p of t.partitions) {
          for (const batch of p.records ?? []) {
            count += batch.records.length;
            offsets[p.partitionIndex] = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
          }
        }
      }
    }
    const consumed = { recordsPerSec: Math.round(records / ((performance.now() - start) / 1000)), rssMb: rss.stop(), cpuUsPerRecord: cpuPerRecord(cpu, records) };
    await consumer.close();
    return { produced, consumed };
  } finally {
    await admin.deleteTopics({ topics: [topic] });
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function kafkaCases(
  brokers: string[],
  records: number,
  repeat: number,
  produce: Parameters<typeof ours>[3],
  consume: Parameters<typeof ours>[4],
): Promise<object[]> {
  const admin = new Admin({ clientId: 'bench-admin', bootstrapBrokers: brokers });
  const runs: { ours: Awaited<ReturnType<typeof ours>>; raw: Awaited<ReturnType<typeof raw>> }[] = [];
  try {
    for (let i = 0; i < repeat; i++) {
      progress(`kafka: run ${i + 1} of ${repeat}, our backend then the raw client`);
      runs.push({ ours: await ours(brokers, admin, records, produce, consume), raw: await raw(brokers, admin, records) });
    }
  } finally {
    await admin.close();
  }
  const summary = (side: 'ours' | 'raw', phase: 'produced' | 'consumed') => ({
    recordsPerSec: median(runs.map((r) => r[side][phase].recordsPerSec)),
    rssMb: Math.max(...runs.map((r) => r[side][phase].rssMb)),
    cpuUsPerRecord: median(runs.map((r) => r[side][phase].cpuUsPerRecord)),
  });
  return (['produced', 'consumed'] as const).map((phase) => {
    const o = summary('ours', phase);
    const raw = summary('raw', phase);
    const ceiling = raw.recordsPerSec;
    return {
      case: phase === 'produced' ? 'kafka-produce' : 'kafka-consume',
      recordsPerSec: o.recordsPerSec,
      rssMb: o.rssMb,
      cpuUsPerRecord: o.cpuUsPerRecord,
      ceilingRecordsPerSec: ceiling,
      ceilingCpuUsPerRecord: raw.cpuUsPerRecord,
      ratioToCeiling: Math.round((o.recordsPerSec / ceiling) * 100) / 100,
      /** The raw client's CPU per record over ours: above 1 when ours costs less. */
      cpuRatioToCeiling: Math.round((raw.cpuUsPerRecord / o.cpuUsPerRecord) * 100) / 100,
      runs: repeat,
    };
  });
}
