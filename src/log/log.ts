/**
 * The event log: the durable, ordered, replayable record every source writes to and every job reads.
 *
 * Glossary:
 * - topic: a named stream of records, split into a fixed number of partitions.
 * - partition: an append-only sequence; records in one partition keep their order. A record's key
 *   picks its partition (Kafka's murmur2 partitioner, so a key lands in the same partition number on
 *   every backend); records without a key are spread round-robin.
 * - offset: a record's position in its partition, from 0, never reused.
 * - consumer group: consumers sharing one name split a topic's partitions between them and share
 *   committed offsets; a partition belongs to one member at a time.
 * - committed offset: the next offset a group will read in a partition after a restart.
 * - lag: end offset minus committed offset, per partition.
 *
 * Lifecycle: `open*Log(...)` → `admin()`, `producer()`, `consumer()` → `close()` on each client, then
 * on the log. Using a client after close rejects with LOG_CLOSED.
 *
 * Delivery: `send` resolves once the records are durable under the backend's policy (embedded: the
 * fsync policy; Kafka: acks from all in-sync replicas, idempotent producer), and then they are never
 * lost or reordered. Consumers see each record at least once: after a restart a group resumes at its
 * committed offsets, so records read but not committed are read again.
 *
 * Errors (TributaryError codes): TOPIC_NOT_FOUND (unknown topic and auto-create is off),
 * TOPIC_EXISTS, RECORD_TOO_LARGE, SCHEMA_VALIDATION (a codec's schema refused a record),
 * LOG_CORRUPT (a batch failed its checksum: reported with file and position, the rest stays
 * readable), LOG_CLOSED, LOG_UNAVAILABLE (the backend cannot be reached; retryable).
 */

/** A record to append. Keys and values are bytes; codecs (codec.ts) turn objects into bytes. */
export interface ProducerRecord {
  topic: string;
  key?: Buffer | null;
  value: Buffer | null;
  headers?: Readonly<Record<string, Buffer>>;
  /** Event time in ms since the epoch; defaults to the append time. */
  timestamp?: number;
  /** Overrides the key-based choice of partition. */
  partition?: number;
}

/** A record read back, with its place in the log. */
export interface LogRecord {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Readonly<Record<string, Buffer>>;
  timestamp: number;
}

export interface RecordPosition {
  topic: string;
  partition: number;
  offset: number;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface PartitionInfo {
  partition: number;
  /** The first offset still held (retention moves it forward). */
  startOffset: number;
  /** The offset the next appended record will get. */
  endOffset: number;
  /** Bytes the partition holds on disk (the embedded log; Kafka's admin API does not tell). */
  bytes?: number;
}

export interface TopicDescription {
  name: string;
  partitions: PartitionInfo[];
}

export interface PartitionLag extends TopicPartition {
  /** Next offset the group will read; undefined when the group has committed nothing there. */
  committedOffset: number | undefined;
  endOffset: number;
  lag: number;
}

/** Where a consumer starts reading a partition that has no committed offset, or where `seek` moves it. */
export type SeekPosition = 'earliest' | 'latest' | { offset: number } | { timestamp: number };

export interface LogAdmin {
  createTopic(name: string, options: { partitions: number }): Promise<void>;
  listTopics(): Promise<string[]>;
  describeTopic(name: string): Promise<TopicDescription>;
  deleteTopic(name: string): Promise<void>;
  /** Per-partition lag of a group on the topics it has committed offsets for. */
  groupLag(group: string): Promise<PartitionLag[]>;
  close(): Promise<void>;
}

export interface LogProducer {
  /** Append records; resolves with their positions once they are durable. */
  send(records: readonly ProducerRecord[]): Promise<RecordPosition[]>;
  close(): Promise<void>;
}

export interface ConsumerOptions {
  group: string;
  topics: readonly string[];
  /** For partitions without a committed offset. Default: 'earliest'. */
  from?: 'earliest' | 'latest';
  /** Upper bound on the records one `poll` returns. */
  maxRecords?: number;
}

export interface LogConsumer {
  /**
   * The next records of the assigned partitions, in offset order per partition; waits up to
   * `timeoutMs` when none are available and returns an empty array then. Reading a topic that does
   * not exist yet waits for it.
   */
  poll(timeoutMs?: number): Promise<LogRecord[]>;
  /** Commit positions (next offset to read) for the group; without an argument, everything polled so far. */
  commit(positions?: readonly RecordPosition[]): Promise<void>;
  /**
   * Move the read position of an assigned partition. An offset outside the partition (below its
   * start after retention, or past its end) reads from the nearer end instead.
   */
  seek(topic: string, partition: number, position: SeekPosition): Promise<void>;
  /** The partitions this member owns now; changes when members join or leave. */
  assignment(): TopicPartition[];
  close(): Promise<void>;
}

export interface Log {
  readonly backend: 'embedded' | 'kafka';
  admin(): LogAdmin;
  producer(): LogProducer;
  consumer(options: ConsumerOptions): LogConsumer;
  close(): Promise<void>;
}
