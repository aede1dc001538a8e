/**
 * Topic metadata shared by the admin, producer and consumer: whether a topic exists, its partition
 * count, and creating one so that it is usable as soon as the call returns.
 */
import type { Admin, Base, ClusterTopicMetadata } from '@platformatic/kafka';
import { TributaryError } from '../../errors.ts';
import { hasApiError, isUnknownTopic, toLogError } from './kafka-errors.ts';

/** How long a created topic may take to get a leader for every partition before we give up. */
const TOPIC_READY_TIMEOUT_MS = 15_000;
const TOPIC_READY_POLL_MS = 50;
/**
 * max.message.bytes limits a whole batch, so a topic allows this much more than the largest record:
 * the batch header, the record's varints and one varint pair per header.
 */
const BATCH_SLACK_BYTES = 16 * 1024;

type MetadataClient = Pick<Base, 'metadata'>;

/**
 * The topic's metadata, or undefined when the cluster does not know it. The first request does not
 * retry, so an unknown topic is reported at once; other failures get the driver's usual retries.
 */
export async function lookupTopic(client: MetadataClient, topic: string, forceUpdate = false): Promise<ClusterTopicMetadata | undefined> {
  try {
    return (await client.metadata({ topics: [topic], retries: 0, forceUpdate })).topics.get(topic);
  } catch (error) {
    if (isUnknownTopic(error)) return undefined;
  }
  try {
    return (await client.metadata({ topics: [topic], forceUpdate: true })).topics.get(topic);
  } catch (error) {
    if (isUnknownTopic(error)) return undefined;
    throw toLogError(error, `metadata of topic "${topic}"`);
  }
}

function isReady(topic: ClusterTopicMetadata | undefined): topic is ClusterTopicMetadata {
  if (topic === undefined || topic.partitionsCount === 0) return false;
  // Indexed, not every(): the driver's partition list can have holes, which every() skips.
  for (let p = 0; p < topic.partitionsCount; p++) if ((topic.partitions[p]?.leader ?? -1) < 0) return false;
  return true;
}

/** Waits until every partition of the topic has a leader, so produce and fetch work right away. */
export async function awaitTopicReady(client: MetadataClient, topic: string): Promise<ClusterTopicMetadata> {
  const deadline = Date.now() + TOPIC_READY_TIMEOUT_MS;
  for (;;) {
    const metadata = await lookupTopic(client, topic, true);
    if (isReady(metadata)) return metadata;
    if (Date.now() > deadline) {
      throw new TributaryError('LOG_UNAVAILABLE', `Kafka topic "${topic}" has no leader for some partitions after ${TOPIC_READY_TIMEOUT_MS} ms`, { retryable: true });
    }
    await new Promise((resolve) => setTimeout(resolve, TOPIC_READY_POLL_MS));
  }
}

export interface CreateTopicOptions {
  /** -1 lets the broker choose (its num.partitions). */
  partitions: number;
  /** The log's record limit; the topic's max.message.bytes is set above it by the batch overhead. */
  maxRecordBytes: number;
  /** Treat an existing topic as success (auto-create racing another producer). */
  ifNotExists?: boolean;
}

/**
 * Creates the topic and waits until it is usable. Sets max.message.bytes so that a record of
 * `maxRecordBytes` fits even in a broker whose message.max.bytes is the 1 MB default.
 */
export async function createKafkaTopic(admin: Admin, name: string, options: CreateTopicOptions): Promise<void> {
  try {
    await admin.createTopics({
      topics: [name],
      partitions: options.partitions,
      replicas: -1,
      configs: [{ name: 'max.message.bytes', value: String(options.maxRecordBytes + BATCH_SLACK_BYTES) }],
    });
  } catch (error) {
    if (!hasApiError(error, 'TOPIC_ALREADY_EXISTS')) throw toLogError(error, `create topic "${name}"`);
    if (!options.ifNotExists) throw new TributaryError('TOPIC_EXISTS', `Kafka topic "${name}" already exists`, { cause: error });
  }
  await awaitTopicReady(admin, name);
}
