/**
 * The Kafka backend of the event log (log.ts), on @platformatic/kafka. The driver is imported inside
 * `openKafkaLog`, so importing this module loads nothing and connects nowhere.
 *
 * Each `admin()`, `producer()` and `consumer()` gets its own driver client (and connections), so
 * closing one never disturbs another; `close()` on the log closes whatever is still open.
 */
import type { Admin, ConnectionOptions } from '@platformatic/kafka';
import { TributaryError } from '../../errors.ts';
import type { ConsumerOptions, Log, LogAdmin, LogConsumer, LogProducer } from '../log.ts';
import { KafkaAdmin } from './kafka-admin.ts';
import { KafkaConsumer } from './kafka-consumer.ts';
import { toLogError } from './kafka-errors.ts';
import { KafkaProducer } from './kafka-producer.ts';
import { createKafkaTopic } from './kafka-topics.ts';

export interface KafkaLogOptions {
  /** Bootstrap brokers, host:port. */
  brokers: readonly string[];
  /** Prefix of the client ids the brokers see. Default: 'tributary'. */
  clientId?: string;
  /** Create a topic on its first produce. Default: true. */
  autoCreateTopics?: boolean;
  /** A dead group member frees its partitions after this; a closed one leaves at once. Default: 15 s. */
  sessionTimeoutMs?: number;
  /** Partitions of an auto-created topic. Default: the broker's num.partitions. */
  defaultPartitions?: number;
  /** Largest record (key, value and headers) accepted, in bytes. Default: 1 MiB. */
  maxRecordBytes?: number;
  sasl?: { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string };
  /** Per fetch request, and per partition in it: how much a consumer reads at once. Default: 4 MiB and 1 MiB. */
  fetchMaxBytes?: number;
  fetchPartitionMaxBytes?: number;
  /** Hears of what the log handled on its own but a reader should know, e.g. a consumer moved back inside the log. */
  onWarning?: (message: string, details: Record<string, unknown>) => void;
}

const DEFAULT_MAX_RECORD_BYTES = 1_048_576;
/**
 * Fetch sizes: the driver parses a response in place over the socket's chunks (about 64 KiB each)
 * and finds each read's chunk by walking them from the first, so a record costs more the larger the
 * response. At 1 MiB per partition (Kafka's own default) and 4 MiB per response a record costs
 * about a third of the CPU time it did at 8 and 32 MiB; the round trips this adds are cheaper than
 * that on one broker on loopback or a LAN.
 */
export const DEFAULT_FETCH_MAX_BYTES = 4 * 1024 * 1024;
export const DEFAULT_FETCH_PARTITION_MAX_BYTES = 1024 * 1024;
const DEFAULT_SESSION_TIMEOUT_MS = 15_000;
/** Below the driver's 30 s request timeout, which a held JoinGroup must not outlive. */
const REBALANCE_TIMEOUT_MS = 20_000;
/** Members learn of a rebalance on their next heartbeat, so this is also how fast groups rebalance. */
const HEARTBEAT_INTERVAL_MS = 500;

export async function openKafkaLog(options: KafkaLogOptions): Promise<Log> {
  const driver = await import('@platformatic/kafka');
  const clientId = options.clientId ?? 'tributary';
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const sessionTimeoutMs = options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
  const connectionOptions: ConnectionOptions = options.sasl ? { sasl: { ...options.sasl } } : {};
  const connection = { ...connectionOptions, bootstrapBrokers: [...options.brokers] };

  /** The clients not closed yet, which `close()` on the log closes. */
  const open = new Set<{ close(): Promise<void> }>();

  // One admin client of our own, for auto-creating topics; opened now so an unreachable cluster
  // fails here, not on the first send.
  const internalAdmin: Admin = new driver.Admin({ ...connection, clientId: `${clientId}-log` });
  try {
    await internalAdmin.metadata({ topics: [] });
  } catch (error) {
    await internalAdmin.close().catch(() => undefined);
    throw toLogError(error, `connect to ${options.brokers.join(',')}`);
  }
  const autoCreate = options.autoCreateTopics ?? true;
  const createTopic = autoCreate
    ? (topic: string) => createKafkaTopic(internalAdmin, topic, { partitions: options.defaultPartitions ?? -1, maxRecordBytes, ifNotExists: true })
    : undefined;

  let closed = false;
  const assertOpen = (): void => {
    if (closed) throw new TributaryError('LOG_CLOSED', 'This Kafka log is closed');
  };

  return {
    backend: 'kafka',

    admin(): LogAdmin {
      assertOpen();
      const admin: KafkaAdmin = new KafkaAdmin(new driver.Admin({ ...connection, clientId: `${clientId}-admin` }), { maxRecordBytes, onClose: () => open.delete(admin) });
      open.add(admin);
      return admin;
    },

    producer(): LogProducer {
      assertOpen();
      const producer = new driver.Producer({
        ...connection,
        clientId: `${clientId}-producer`,
        idempotent: true,
        acks: driver.ProduceAcks.ALL,
        // Topics are created by us (createTopic) with the record limit in mind, never by a metadata request.
        autocreateTopics: false,
      });
      const logProducer: KafkaProducer = new KafkaProducer(producer, { maxRecordBytes, createTopic, onClose: () => open.delete(logProducer) });
      open.add(logProducer);
      return logProducer;
    },

    consumer(consumerOptions: ConsumerOptions): LogConsumer {
      assertOpen();
      const id = `${clientId}-consumer`;
      const client = new driver.Consumer({
        ...connection,
        clientId: id,
        groupId: consumerOptions.group,
        autocommit: false,
        sessionTimeout: sessionTimeoutMs,
        heartbeatInterval: HEARTBEAT_INTERVAL_MS,
        rebalanceTimeout: REBALANCE_TIMEOUT_MS,
      });
      // Fetches get their own connections: a fetch waiting at the broker would otherwise hold
      // heartbeats and commits behind it on the shared connection.
      const fetchPool = new driver.ConnectionPool(id, connectionOptions);
      const consumer: KafkaConsumer = new KafkaConsumer(client, consumerOptions, {
        fetchPool,
        maxBytes: options.fetchMaxBytes ?? DEFAULT_FETCH_MAX_BYTES,
        partitionMaxBytes: options.fetchPartitionMaxBytes ?? DEFAULT_FETCH_PARTITION_MAX_BYTES,
        onWarning: options.onWarning ?? (() => undefined),
        onClose: () => open.delete(consumer),
      });
      open.add(consumer);
      return consumer;
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      const results = await Promise.allSettled([...open].map((client) => client.close()));
      await internalAdmin.close().catch(() => undefined);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw toLogError(failed.reason, 'close');
    },
  };
}
