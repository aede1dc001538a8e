/**
 * The message browser's "from a time": the offset of the first record of one partition whose
 * timestamp is at or after a moment, found by the log itself (`seek` to `{ timestamp }`: the embedded
 * log's time index, Kafka's ListOffsets) with a throwaway consumer that commits nothing. A moment
 * after the partition's last record answers its end offset without waiting for one.
 */
import { randomBytes } from 'node:crypto';
import { TributaryError } from '../../errors.ts';
import type { Log, PartitionInfo } from '../../log/log.ts';
import { readRange } from './log-view.ts';

const JOIN_TIMEOUT_MS = 30_000;

/** `bounds`: the partition as the topic's description has it now. */
export async function offsetForTime(log: Log, topic: string, bounds: PartitionInfo, timestamp: number): Promise<number> {
  const { partition } = bounds;
  if (bounds.endOffset <= bounds.startOffset) return bounds.endOffset;
  // The last record first: a moment past it needs no search.
  const last = await readRange(log, { topic, from: 'latest', partitions: [partition], offsets: { [partition]: bounds.endOffset - 1 }, max: 1 });
  const lastRecord = last.records.find((r) => r.partition === partition);
  if (!lastRecord || Date.parse(lastRecord.timestamp) < timestamp) return bounds.endOffset;

  const consumer = log.consumer({ group: `tributary-time-${process.pid}-${randomBytes(4).toString('hex')}`, topics: [topic], from: 'latest', maxRecords: 1 });
  try {
    const deadline = Date.now() + JOIN_TIMEOUT_MS;
    let sought = false;
    while (Date.now() < deadline) {
      const polled = await consumer.poll(100);
      if (!sought) {
        if (!consumer.assignment().some((tp) => tp.partition === partition)) continue;
        await consumer.seek(topic, partition, { timestamp });
        sought = true;
        continue;
      }
      // The answer is below the end offset (the last record there is at or after the moment). A record
      // at or past it was fetched from 'latest' before the seek took effect (records keep arriving).
      const hit = polled.find((r) => r.partition === partition && r.offset < bounds.endOffset);
      if (hit) return hit.offset;
    }
    throw new TributaryError('LOG_UNAVAILABLE', `finding the offset of ${topic}/${partition} at ${new Date(timestamp).toISOString()} took more than ${JOIN_TIMEOUT_MS} ms`);
  } finally {
    await consumer.close();
  }
}
