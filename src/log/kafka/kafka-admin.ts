/** LogAdmin over the driver's Admin client. */
import type { Admin, ListedOffsetsTopic } from '@platformatic/kafka';
import { TributaryError } from '../../errors.ts';
import type { LogAdmin, PartitionInfo, PartitionLag, TopicDescription } from '../log.ts';
import { hasApiError, isUnknownTopic, toLogError } from './kafka-errors.ts';
import { createKafkaTopic, lookupTopic } from './kafka-topics.ts';

const EARLIEST = -2n;
const LATEST = -1n;
/** How long deleteTopic waits for the topic to vanish from metadata, so a describe after it fails. */
const DELETE_SETTLE_TIMEOUT_MS = 10_000;

export interface KafkaAdminSettings {
  maxRecordBytes: number;
  onClose: () => void;
}

/** Per partition, the offset for `timestamp` (EARLIEST, LATEST), for the given topics. */
export async function listPartitionOffsets(admin: Admin, topics: ReadonlyMap<string, number>, timestamp: bigint): Promise<Map<string, number[]>> {
  const request = [...topics].map(([name, count]) => ({
    name,
    partitions: Array.from({ length: count }, (_, partitionIndex) => ({ partitionIndex, timestamp })),
  }));
  const listed: ListedOffsetsTopic[] = request.length === 0 ? [] : await admin.listOffsets({ topics: request });
  const result = new Map<string, number[]>();
  for (const topic of listed) {
    const offsets = result.get(topic.name) ?? [];
    for (const p of topic.partitions) offsets[p.partitionIndex] = Number(p.offset);
    result.set(topic.name, offsets);
  }
  return result;
}

export class KafkaAdmin implements LogAdmin {
  readonly #admin: Admin;
  readonly #settings: KafkaAdminSettings;
  #closed = false;

  constructor(admin: Admin, settings: KafkaAdminSettings) {
    this.#admin = admin;
    this.#settings = settings;
  }

  #assertOpen(): void {
    if (this.#closed) throw new TributaryError('LOG_CLOSED', 'This Kafka admin client is closed');
  }

  async createTopic(name: string, options: { partitions: number }): Promise<void> {
    this.#assertOpen();
    await createKafkaTopic(this.#admin, name, { partitions: options.partitions, maxRecordBytes: this.#settings.maxRecordBytes });
  }

  async listTopics(): Promise<string[]> {
    this.#assertOpen();
    try {
      const topics = await this.#admin.listTopics({ includeInternals: false });
      // Kafka's own topics (__consumer_offsets, __transaction_state, ...) are not the user's.
      return topics.filter((name) => !name.startsWith('__')).sort();
    } catch (error) {
      throw toLogError(error, 'list topics');
    }
  }

  async describeTopic(name: string): Promise<TopicDescription> {
    this.#assertOpen();
    const metadata = await lookupTopic(this.#admin, name, true);
    if (!metadata) throw new TributaryError('TOPIC_NOT_FOUND', `Kafka topic "${name}" does not exist`);
    const topics = new Map([[name, metadata.partitionsCount]]);
    try {
      const [starts, ends] = await Promise.all([listPartitionOffsets(this.#admin, topics, EARLIEST), listPartitionOffsets(this.#admin, topics, LATEST)]);
      const partitions: PartitionInfo[] = [];
      for (let partition = 0; partition < metadata.partitionsCount; partition++) {
        partitions.push({ partition, startOffset: starts.get(name)?.[partition] ?? 0, endOffset: ends.get(name)?.[partition] ?? 0 });
      }
      return { name, partitions };
    } catch (error) {
      if (isUnknownTopic(error)) throw new TributaryError('TOPIC_NOT_FOUND', `Kafka topic "${name}" does not exist`, { cause: error });
      throw toLogError(error, `describe topic "${name}"`);
    }
  }

  async deleteTopic(name: string): Promise<void> {
    this.#assertOpen();
    // Asked first because the driver retries a delete of an unknown topic for seconds.
    if (!(await lookupTopic(this.#admin, name, true))) throw new TributaryError('TOPIC_NOT_FOUND', `Kafka topic "${name}" does not exist`);
    try {
      await this.#admin.deleteTopics({ topics: [name] });
    } catch (error) {
      if (hasApiError(error, 'UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_TOPIC_ID')) {
        throw new TributaryError('TOPIC_NOT_FOUND', `Kafka topic "${name}" does not exist`, { cause: error });
      }
      throw toLogError(error, `delete topic "${name}"`);
    }
    // Deletion is asynchronous in the controller; wait until the metadata agrees, so that a list or
    // describe right after this call does not still see the topic.
    const deadline = Date.now() + DELETE_SETTLE_TIMEOUT_MS;
    while (Date.now() < deadline && (await lookupTopic(this.#admin, name, true)) !== undefined) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async groupLag(group: string): Promise<PartitionLag[]> {
    this.#assertOpen();
    try {
      const [listed] = await this.#admin.listConsumerGroupOffsets({ groups: [group] });
      const committed = new Map<string, Map<number, number>>();
      for (const topic of listed?.topics ?? []) {
        const partitions = new Map<number, number>();
        for (const p of topic.partitions) if (p.committedOffset >= 0n) partitions.set(p.partitionIndex, Number(p.committedOffset));
        if (partitions.size > 0) committed.set(topic.name, partitions);
      }
      const counts = new Map<string, number>();
      for (const topic of committed.keys()) {
        // A topic deleted since the group committed on it has no lag to report.
        const metadata = await lookupTopic(this.#admin, topic);
        if (metadata) counts.set(topic, metadata.partitionsCount);
      }
      const [starts, ends] = await Promise.all([listPartitionOffsets(this.#admin, counts, EARLIEST), listPartitionOffsets(this.#admin, counts, LATEST)]);
      const lags: PartitionLag[] = [];
      for (const [topic, count] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
        for (let partition = 0; partition < count; partition++) {
          const committedOffset = committed.get(topic)?.get(partition);
          const endOffset = ends.get(topic)?.[partition] ?? 0;
          // Without a commit the group would start at the earliest record still held.
          const from = committedOffset ?? starts.get(topic)?.[partition] ?? 0;
          lags.push({ topic, partition, committedOffset, endOffset, lag: Math.max(0, endOffset - from) });
        }
      }
      return lags;
    } catch (error) {
      throw toLogError(error, `lag of group "${group}"`);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#settings.onClose();
    await this.#admin.close();
  }
}
