/**
 * The event log benchmark: produce N records of about 200 bytes, then consume them all, on the
 * embedded log and (when TRIBUTARY_KAFKA_BROKERS is set) on Kafka through our backend and through
 * the raw @platformatic/kafka client on the same broker, as the ceiling.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openEmbeddedLog } from '../src/log/embedded/embedded-log.ts';
import type { Log, ProducerRecord } from '../src/log/log.ts';
import { cpuPerRecord } from './stream-measure.ts';
import { pinRecords, progress, rssSampler } from './workload.ts';

const BATCH = 1000;

interface Case {
  case: string;
  recordsPerSec: number;
  rssMb: number;
  seconds: number;
  ceilingRecordsPerSec?: number;
  cpuUsPerRecord: number;
}

async function produce(log: Log, topic: string, records: number): Promise<Case> {
  const pins = pinRecords();
  const producer = log.producer();
  const rss = rssSampler();
  const start = performance.now();
  const cpu = process.cpuUsage();
  const inFlight: Promise<unknown>[] = [];
  for (let sent = 0; sent < records; sent += BATCH) {
    const batch: ProducerRecord[] = [];
    for (let i = sent; i < Math.min(sent + BATCH, records); i++) {
      const pin = pins[i % pins.length]!;
      batch.push({ topic, key: pin.key, value: pin.value });
    }
    inFlight.push(producer.send(batch));
    // Keep a bounded number of batches in flight, as a real producer would.
    if (inFlight.length >= 64) await inFlight.shift();
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - start) / 1000;
  const cpuUsPerRecord = cpuPerRecord(cpu, records);
  await producer.close();
  return { case: `${log.backend}-produce`, recordsPerSec: Math.round(records / seconds), rssMb: rss.stop(), seconds: round(seconds), cpuUsPerRecord };
}

async function consume(log: Log, topic: string, records: number): Promise<Case> {
  const consumer = log.consumer({ group: `bench-${Date.now()}`, topics: [topic], maxRecords: 50_000 });
  const rss = rssSampler();
  const start = performance.now();
  const cpu = process.cpuUsage();
  let count = 0;
  let bytes = 0;
  while (count < records) {
    const batch = await consumer.poll(1000);
    count += batch.length;
    for (const r of batch) bytes += r.value?.length ?? 0;
  }
  const seconds = (performance.now() - start) / 1000;
  const cpuUsPerRecord = cpuPerRecord(cpu, count);
  await consumer.commit();
  await consumer.close();
  if (bytes === 0) throw new Error('consumed no bytes');
  return { case: `${log.backend}-consume`, recordsPerSec: Math.round(count / seconds), rssMb: rss.stop(), seconds: round(seconds), cpuUsPerRecord };
}

async function embedded(records: number): Promise<Case[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tributary-bench-log-'));
  try {
    const log = await openEmbeddedLog({ dir });
    await log.admin().createTopic('bench', { partitions: 4 });
    progress(`embedded: producing ${records.toLocaleString('en-US')} records`);
    const produced = await produce(log, 'bench', records);
    progress(`embedded: consuming`);
    const consumed = await consume(log, 'bench', records);
    await log.close();
    return [produced, consumed];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

export async function run(args: Record<string, string | boolean | undefined>): Promise<object> {
  const records = Number(args.records ?? 1_000_000);
  const cases: object[] = [...(await embedded(records))];
  const brokers = process.env.TRIBUTARY_KAFKA_BROKERS;
  if (brokers) {
    const { kafkaCases } = await import('./log-kafka.ts');
    const measured = (c: Case) => ({ recordsPerSec: c.recordsPerSec, rssMb: c.rssMb, cpuUsPerRecord: c.cpuUsPerRecord });
    cases.push(
      ...(await kafkaCases(brokers.split(','), records, Number(args.repeat ?? 3), async (log, topic, n) => measured(await produce(log, topic, n)), async (log, topic, n) => measured(await consume(log, topic, n)))),
    );
  } else {
    progress('TRIBUTARY_KAFKA_BROKERS is not set: skipping the Kafka cases (scripts/services up kafka; eval "$(scripts/services env)")');
  }
  return { bench: 'log', records, cases };
}
