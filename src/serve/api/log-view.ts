/**
 * What the log-reading commands (`topics`, `tail`, `lag`, `produce`) need of a log, as one small
 * interface with two implementations: straight on an open log (`directLogView`), and through the
 * local API of the process that holds the embedded log (`remoteLogView` in api-client.ts). So a
 * command works the same whether it opened the log itself or a running `tributary dev` holds it.
 *
 * Errors: those of the log (TOPIC_NOT_FOUND, LOG_UNAVAILABLE, …), carried over the API with their
 * codes; DEV_UNREACHABLE when the remote process does not answer.
 */
import { randomBytes } from 'node:crypto';
import type { Log, LogRecord, PartitionLag, ProducerRecord, RecordPosition, TopicDescription } from '../../log/log.ts';

/** One record as the API and `tail` show it: key and headers as text, the value as JSON when it parses. */
export interface RenderedRecord {
  partition: number;
  offset: number;
  timestamp: string;
  key: string | null;
  value: unknown;
  headers?: Record<string, string>;
}

export interface ReadRequest {
  topic: string;
  /** Per partition, the first offset to read; partitions not named start at `from`. */
  offsets?: Readonly<Record<string, number>>;
  from: 'earliest' | 'latest' | number;
  /** Only these partitions are read and answered; default all. */
  partitions?: readonly number[];
  /** At most this many records in the answer. */
  max: number;
  /** How long to wait for records when there are none yet; default 0 (answer at once). */
  waitMs?: number;
}

export interface ReadResult {
  records: RenderedRecord[];
  /** Per partition, where the next read continues. */
  next: Record<string, number>;
  /** True when every partition was read to its end offset as it was when the read began. */
  atEnd: boolean;
}

export interface LogView {
  readonly backend: string;
  /** Where the view reads through: 'direct', or the URL of the process that holds the log. */
  readonly via: string;
  /** The log itself, when the view is direct (a command may keep one consumer instead of reading range by range). */
  readonly log?: Log;
  listTopics(): Promise<string[]>;
  describeTopic(topic: string): Promise<TopicDescription>;
  createTopic(topic: string, partitions: number): Promise<void>;
  deleteTopic(topic: string): Promise<void>;
  groupLag(group: string): Promise<PartitionLag[]>;
  read(request: ReadRequest): Promise<ReadResult>;
  produce(records: readonly ProducerRecord[]): Promise<RecordPosition[]>;
  close(): Promise<void>;
}

export function renderRecord(record: LogRecord): RenderedRecord {
  return {
    partition: record.partition,
    offset: record.offset,
    timestamp: new Date(record.timestamp).toISOString(),
    key: record.key?.toString('utf8') ?? null,
    value: decodeValue(record.value),
    ...(Object.keys(record.headers).length > 0 ? { headers: Object.fromEntries(Object.entries(record.headers).map(([k, v]) => [k, v.toString('utf8')])) } : {}),
  };
}

/** JSON values as JSON; anything else as text. */
export function decodeValue(value: Buffer | null): unknown {
  if (value === null) return null;
  const text = value.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const JOIN_TIMEOUT_MS = 30_000;
/** How long a read keeps polling for records below the end offsets it was given before it answers with what it has. */
const READ_TIMEOUT_MS = 5_000;

export function directLogView(log: Log): LogView {
  const admin = log.admin();
  let producer: ReturnType<Log['producer']> | undefined;
  return {
    backend: log.backend,
    via: 'direct',
    log,
    listTopics: () => admin.listTopics(),
    describeTopic: (topic) => admin.describeTopic(topic),
    createTopic: (topic, partitions) => admin.createTopic(topic, { partitions }),
    deleteTopic: (topic) => admin.deleteTopic(topic),
    groupLag: (group) => admin.groupLag(group),
    read: (request) => readRange(log, request),
    produce: (records) => (producer ??= log.producer()).send(records),
    async close() {
      await producer?.close();
      await admin.close();
    },
  };
}

/**
 * Read up to `max` records from the given positions, with a throwaway consumer that commits nothing.
 * Stops at `max`, or once every partition reached the end offset it had when the read began.
 */
export async function readRange(log: Log, request: ReadRequest): Promise<ReadResult> {
  const admin = log.admin();
  let description: TopicDescription;
  try {
    description = await admin.describeTopic(request.topic);
  } finally {
    await admin.close();
  }
  const ends = new Map(description.partitions.map((p) => [p.partition, p.endOffset]));
  const starts = new Map<number, number>();
  const only = request.partitions ? new Set(request.partitions) : undefined;
  for (const p of description.partitions) {
    if (only && !only.has(p.partition)) continue;
    const asked = request.offsets?.[String(p.partition)];
    const from = asked ?? (request.from === 'earliest' ? p.startOffset : request.from === 'latest' ? p.endOffset : request.from);
    starts.set(p.partition, Math.min(Math.max(from, p.startOffset), p.endOffset));
  }
  const next = Object.fromEntries([...starts].map(([p, o]) => [String(p), o]));
  const done = () => [...starts.keys()].every((p) => (next[String(p)] ?? 0) >= (ends.get(p) ?? 0));
  const records: RenderedRecord[] = [];
  if (done() && !request.waitMs) return { records, next, atEnd: true };

  const consumer = log.consumer({ group: `tributary-read-${process.pid}-${randomBytes(4).toString('hex')}`, topics: [request.topic], from: 'earliest', maxRecords: Math.min(10_000, request.max) });
  const sought = new Set<number>();
  const allSought = () => [...starts.keys()].every((p) => sought.has(p));
  // Joining the throwaway group may take a rebalance on Kafka: the wait for records starts once every partition is assigned.
  let deadline = Date.now() + JOIN_TIMEOUT_MS;
  try {
    while (records.length < request.max && Date.now() < deadline) {
      const polled = await consumer.poll(100);
      const fresh = consumer.assignment().filter((tp) => !sought.has(tp.partition));
      if (fresh.length > 0) {
        for (const tp of fresh) {
          // A partition not asked for waits at its end: its new records would only take the answer's places.
          const start = starts.get(tp.partition);
          await consumer.seek(request.topic, tp.partition, start === undefined ? 'latest' : { offset: start });
          sought.add(tp.partition);
        }
        if (allSought()) deadline = Date.now() + Math.max(READ_TIMEOUT_MS, request.waitMs ?? 0);
        continue;
      }
      for (const record of polled) {
        if (records.length >= request.max) break;
        if (!starts.has(record.partition) || record.offset < (next[String(record.partition)] ?? 0)) continue;
        records.push(renderRecord(record));
        next[String(record.partition)] = record.offset + 1;
      }
      if (allSought() && done() && (records.length > 0 || !request.waitMs)) break;
    }
  } finally {
    await consumer.close();
  }
  return { records, next, atEnd: done() };
}
