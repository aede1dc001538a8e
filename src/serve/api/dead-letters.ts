/**
 * Replaying dead letters: chosen records of a job's dead-letter topic (`<job>.dlq`) go back to the
 * topic they came from, with their original key, value and event time, and without the headers the
 * dead-lettering added; a `tributary.replayed-from` header says which dead letter each one is. The
 * job then reads them again like any record: fixed data passes, a record that still fails is
 * dead-lettered again (with a new offset).
 *
 * Counted: every request answers `requested = replayed + missing` (a position the topic does not
 * hold, or a record without a source header), and the running totals per dead-letter topic are kept
 * for the process (`replayTotals`), shown by the UI beside the topic.
 *
 * Errors: TOPIC_NOT_FOUND for a dead-letter topic that does not exist; those of the log.
 */
import { randomBytes } from 'node:crypto';
import type { Log, LogRecord, ProducerRecord } from '../../log/log.ts';

export interface ReplayRequest {
  topic: string;
  positions: ReadonlyArray<{ partition: number; offset: number }>;
}

export interface ReplayResult {
  topic: string;
  requested: number;
  replayed: number;
  missing: Array<{ partition: number; offset: number; reason: string }>;
  /** Where each replayed record went, in request order of those replayed. */
  to: Array<{ topic: string; partition: number; offset: number }>;
}

const READ_TIMEOUT_MS = 15_000;

/** The records at exactly these positions, read with a throwaway consumer that commits nothing. */
export async function readAt(log: Log, topic: string, positions: ReadonlyArray<{ partition: number; offset: number }>): Promise<Map<string, LogRecord>> {
  const found = new Map<string, LogRecord>();
  const wanted = new Set(positions.map((p) => `${p.partition}:${p.offset}`));
  const admin = log.admin();
  const description = await admin.describeTopic(topic).finally(() => admin.close());
  const firstWanted = new Map<number, number>();
  for (const p of positions) {
    const bounds = description.partitions.find((b) => b.partition === p.partition);
    if (!bounds || p.offset < bounds.startOffset || p.offset >= bounds.endOffset) wanted.delete(`${p.partition}:${p.offset}`);
    else firstWanted.set(p.partition, Math.min(firstWanted.get(p.partition) ?? p.offset, p.offset));
  }
  if (wanted.size === 0) return found;
  const lastWanted = new Map<number, number>();
  for (const key of wanted) {
    const [p, o] = key.split(':').map(Number) as [number, number];
    lastWanted.set(p, Math.max(lastWanted.get(p) ?? o, o));
  }
  const consumer = log.consumer({ group: `tributary-replay-${process.pid}-${randomBytes(4).toString('hex')}`, topics: [topic], from: 'earliest', maxRecords: 1000 });
  const sought = new Set<number>();
  const deadline = Date.now() + READ_TIMEOUT_MS;
  try {
    while (found.size < wanted.size && Date.now() < deadline) {
      const polled = await consumer.poll(100);
      for (const tp of consumer.assignment().filter((tp) => !sought.has(tp.partition))) {
        await consumer.seek(topic, tp.partition, { offset: firstWanted.get(tp.partition) ?? description.partitions.find((b) => b.partition === tp.partition)!.endOffset });
        sought.add(tp.partition);
      }
      for (const r of polled) {
        const key = `${r.partition}:${r.offset}`;
        if (wanted.has(key) && sought.has(r.partition) && r.offset <= (lastWanted.get(r.partition) ?? -1)) found.set(key, r);
      }
    }
  } finally {
    await consumer.close();
  }
  return found;
}

/** The original topic of a dead letter, from its `tributary.source` header (`<topic>/<partition>/<offset>`). */
export function sourceTopic(record: LogRecord): string | undefined {
  const source = record.headers['tributary.source']?.toString('utf8');
  const match = source === undefined ? null : /^(.+)\/\d+\/\d+$/.exec(source);
  return match?.[1];
}

export function replayRecord(record: LogRecord, to: string): ProducerRecord {
  const headers: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(record.headers)) if (!name.startsWith('tributary.')) headers[name] = value;
  headers['tributary.replayed-from'] = Buffer.from(`${record.topic}/${record.partition}/${record.offset}`);
  return { topic: to, key: record.key, value: record.value, headers, timestamp: record.timestamp };
}

export interface DeadLetterReplayer {
  replay(request: ReplayRequest): Promise<ReplayResult>;
  /** Records replayed so far in this process, per dead-letter topic. */
  replayTotals(): Record<string, number>;
}

export function deadLetterReplayer(log: Log): DeadLetterReplayer {
  const totals: Record<string, number> = {};
  return {
    async replay(request) {
      const found = await readAt(log, request.topic, request.positions);
      const missing: ReplayResult['missing'] = [];
      const out: ProducerRecord[] = [];
      for (const p of request.positions) {
        const record = found.get(`${p.partition}:${p.offset}`);
        const to = record && sourceTopic(record);
        if (!record) missing.push({ ...p, reason: `${request.topic} holds no record at partition ${p.partition}, offset ${p.offset}` });
        else if (!to) missing.push({ ...p, reason: 'the record has no tributary.source header: it was not written by a job as a dead letter' });
        else out.push(replayRecord(record, to));
      }
      const producer = log.producer();
      let to: ReplayResult['to'] = [];
      try {
        if (out.length > 0) to = (await producer.send(out)).map((r) => ({ topic: r.topic, partition: r.partition, offset: r.offset }));
      } finally {
        await producer.close();
      }
      totals[request.topic] = (totals[request.topic] ?? 0) + to.length;
      return { topic: request.topic, requested: request.positions.length, replayed: to.length, missing, to };
    },
    replayTotals: () => ({ ...totals }),
  };
}
