/**
 * Kafka logs and topics for tests on the real broker: `kafkaLogs(prefix)` opens logs and creates
 * uniquely named topics, and its `cleanup()` (for an afterEach) deletes the topics and closes the logs.
 */
import type { Log } from '../../src/log/log.ts';
import { openKafkaLog, type KafkaLogOptions } from '../../src/log/kafka/kafka-log.ts';
import { endpoint, uniqueName } from './services.ts';

export const brokers = (): string[] => endpoint('TRIBUTARY_KAFKA_BROKERS').split(',');

/** A unique topic (or group) name; Kafka names take `-` where uniqueName puts `_`. */
export const kafkaName = (prefix: string): string => uniqueName(prefix).replace(/_/g, '-');

export function kafkaLogs(prefix: string) {
  const logs: Log[] = [];
  const topics: string[] = [];
  return {
    open: async (options: Partial<KafkaLogOptions> = {}): Promise<Log> => {
      const log = await openKafkaLog({ brokers: brokers(), ...options });
      logs.push(log);
      return log;
    },
    newTopic: async (log: Log, partitions: number): Promise<string> => {
      const topic = kafkaName(prefix);
      const admin = log.admin();
      await admin.createTopic(topic, { partitions });
      await admin.close();
      topics.push(topic);
      return topic;
    },
    cleanup: async (): Promise<void> => {
      const log = logs.at(-1);
      if (log && topics.length > 0) {
        const admin = log.admin();
        for (const topic of topics.splice(0)) await admin.deleteTopic(topic).catch(() => undefined);
        await admin.close();
      }
      for (const l of logs.splice(0).reverse()) await l.close();
    },
  };
}
