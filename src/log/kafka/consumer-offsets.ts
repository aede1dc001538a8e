/** Where a consumer starts in a partition: its group's commit, the log's ends, or a timestamp. */
import type { Consumer } from '@platformatic/kafka';
import type { SeekPosition } from '../log.ts';

const EARLIEST = -2n;
const LATEST = -1n;

/** The offsets at `timestamp` (EARLIEST or LATEST) for some partitions of one topic. */
export async function endOffsets(client: Consumer, topic: string, partitions: readonly number[], end: 'earliest' | 'latest'): Promise<Map<number, number>> {
  const listed = await client.listOffsets({ topics: [topic], partitions: { [topic]: [...partitions] }, timestamp: end === 'earliest' ? EARLIEST : LATEST });
  const offsets = listed.get(topic) ?? [];
  return new Map(partitions.map((p) => [p, Number(offsets[p] ?? 0n)]));
}

/** A partition's first offset still held and the offset its next record will get. */
export interface PartitionBounds {
  start: number;
  end: number;
}

export async function partitionBounds(client: Consumer, topic: string, partition: number): Promise<PartitionBounds> {
  const [starts, ends] = await Promise.all([endOffsets(client, topic, [partition], 'earliest'), endOffsets(client, topic, [partition], 'latest')]);
  return { start: starts.get(partition)!, end: ends.get(partition)! };
}

/**
 * Where reading goes on from `requested` in a partition with `bounds`: there when it is inside,
 * else at the nearer end, as on the embedded log. Below the start every record still held is read;
 * past the end, the records appended from now on. A move is reported through `onWarning`.
 */
export function insideLog(requested: number, bounds: PartitionBounds, where: { group: string; topic: string; partition: number }, onWarning: (message: string, details: Record<string, unknown>) => void): number {
  const { start, end } = bounds;
  if (requested >= start && requested <= end) return requested;
  const below = requested < start;
  const resumedAt = below ? start : end;
  onWarning(below ? 'consumer position is below the log start (its records were deleted); reading resumes at the log start' : 'consumer position is past the log end; reading resumes at the end', {
    ...where,
    requestedOffset: requested,
    resumedAt,
    logStartOffset: start,
    logEndOffset: end,
  });
  return resumedAt;
}

/** The group's committed offsets (the next offset to read) for some partitions of one topic; absent when none. */
export async function committedOffsets(client: Consumer, topic: string, partitions: readonly number[]): Promise<Map<number, number>> {
  const listed = await client.listCommittedOffsets({ topics: [{ topic, partitions: [...partitions] }] });
  const offsets = listed.get(topic) ?? [];
  const result = new Map<number, number>();
  for (const p of partitions) {
    const offset = offsets[p];
    if (offset !== undefined && offset >= 0n) result.set(p, Number(offset));
  }
  return result;
}

/** The offset a seek to `position` means in one partition. */
export async function seekOffset(client: Consumer, topic: string, partition: number, position: SeekPosition): Promise<number> {
  if (position === 'earliest' || position === 'latest') return (await endOffsets(client, topic, [partition], position)).get(partition)!;
  if ('offset' in position) return position.offset;
  // The first record at or after the timestamp; with none, the end, as in Kafka's offsetsForTimes.
  const listed = await client.listOffsetsWithTimestamps({ topics: [topic], partitions: { [topic]: [partition] }, timestamp: BigInt(position.timestamp) });
  const found = listed.get(topic)?.get(partition)?.offset;
  if (found !== undefined && found >= 0n) return Number(found);
  return (await endOffsets(client, topic, [partition], 'latest')).get(partition)!;
}
