/**
 * The in-process ceiling of the Kafka cases: the raw @platformatic/kafka client reading a whole topic
 * with a plain fetch loop (no group, no decoding), the fastest this client reads, as
 * bench/log-kafka.ts measures it. What any job on this client could at best consume.
 */
import { Consumer } from '@platformatic/kafka';
import { stopwatch } from '../stream-measure.ts';
import { rssSampler } from '../workload.ts';
import { round, type RunMeasure } from './harness.ts';

export async function rawConsume(brokers: string[], topic: string, records: number): Promise<RunMeasure> {
  const consumer = new Consumer({ clientId: 'vs-spark-raw', groupId: `vs-spark-raw-${Date.now()}`, bootstrapBrokers: brokers, autocommit: false });
  try {
    const info = (await consumer.metadata({ topics: [topic] })).topics.get(topic);
    if (!info) throw new Error(`vs-spark: topic ${topic} not found for the raw client`);
    const offsets = info.partitions.map(() => 0n);
    const rss = rssSampler();
    const clock = stopwatch();
    let count = 0;
    while (count < records) {
      const response = await consumer.fetch({
        node: info.partitions[0]!.leader,
        maxWaitTime: 500,
        minBytes: 1,
        maxBytes: 4 * 1024 * 1024,
        topics: [{ topicId: info.id, partitions: offsets.map((fetchOffset, partition) => ({ partition, fetchOffset, partitionMaxBytes: 1024 * 1024, currentLeaderEpoch: -1, lastFetchedEpoch: -1 })) }],
      });
      for (const t of response.responses)
        for (const p of t.partitions)
          for (const batch of p.records ?? []) {
            count += batch.records.length;
            offsets[p.partitionIndex] = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
          }
    }
    const { seconds, cores } = clock.stop();
    return { recordsPerSec: Math.round(records / seconds), seconds: round(seconds, 3), rssMb: rss.stop(), cores: round(cores, 2) };
  } finally {
    await consumer.close();
  }
}
