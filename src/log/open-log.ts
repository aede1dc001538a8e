/** Open the log the config names. The Kafka client is loaded only when the Kafka backend is chosen. */
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import type { SyncEvent } from './embedded/partition-options.ts';
import type { Log } from './log.ts';

export interface OpenLogOptions {
  /** Resolves a relative `dataDir`; default: the working directory. */
  cwd?: string;
  onWarning?: (message: string, details: Record<string, unknown>) => void;
  /** The embedded log with fsync=interval: after each sync of a partition, the batches it made durable and its duration. */
  onSync?: (event: SyncEvent) => void;
}

export async function openLog(config: Readonly<Config>, options: OpenLogOptions = {}): Promise<Log> {
  const { log } = config;
  if (log.backend === 'kafka') {
    const { openKafkaLog } = await import('./kafka/kafka-log.ts');
    const { kafka } = config;
    return openKafkaLog({
      brokers: kafka.brokers ?? [],
      clientId: kafka.clientId,
      sessionTimeoutMs: kafka.sessionTimeoutMs,
      autoCreateTopics: log.autoCreateTopics,
      defaultPartitions: log.defaultPartitions,
      maxRecordBytes: log.maxRecordBytes,
      onWarning: options.onWarning,
      ...(kafka.saslMechanism && kafka.saslUsername && kafka.saslPassword
        ? { sasl: { mechanism: kafka.saslMechanism, username: kafka.saslUsername, password: kafka.saslPassword } }
        : {}),
    });
  }
  const { openEmbeddedLog } = await import('./embedded/embedded-log.ts');
  return openEmbeddedLog({
    dir: path.resolve(options.cwd ?? process.cwd(), config.dataDir, 'log'),
    fsync: log.fsync === 'interval' ? { mode: 'interval', ms: log.fsyncIntervalMs } : { mode: log.fsync },
    segmentBytes: log.segmentBytes,
    readCacheBytes: log.readCacheBytes,
    maxRecordBytes: log.maxRecordBytes,
    autoCreateTopics: log.autoCreateTopics,
    defaultPartitions: log.defaultPartitions,
    retentionMs: log.retentionMs,
    retentionBytes: log.retentionBytes,
    onWarning: options.onWarning,
    ...(options.onSync ? { onSync: options.onSync } : {}),
  });
}
