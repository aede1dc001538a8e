/**
 * How the Cassandra sink cuts a write into requests: one request per partition, as an UNLOGGED
 * batch when several rows share the partition (a single-partition batch is applied as one mutation,
 * so it costs the coordinator nothing extra), split when it passes a row or byte bound; then the
 * requests run with bounded concurrency.
 */

export interface Bounds {
  maxRows: number;
  maxBytes: number;
}

export interface Group<T> {
  /** Each item with its index in the write, so an error can name the row. */
  items: { item: T; index: number }[];
}

/**
 * Groups items by partition (in order of first appearance), then cuts each group into pieces of at
 * most `maxRows` items and about `maxBytes` bytes (a single item larger than that stays alone).
 */
export function partitionBatches<T>(items: readonly T[], partitionOf: (item: T) => string, sizeOf: (item: T) => number, bounds: Bounds): Group<T>[] {
  const byPartition = new Map<string, { item: T; index: number }[]>();
  items.forEach((item, index) => {
    const key = partitionOf(item);
    const list = byPartition.get(key);
    if (list) list.push({ item, index });
    else byPartition.set(key, [{ item, index }]);
  });
  const groups: Group<T>[] = [];
  for (const list of byPartition.values()) {
    let current: Group<T> = { items: [] };
    let bytes = 0;
    for (const entry of list) {
      const size = sizeOf(entry.item);
      if (current.items.length > 0 && (current.items.length >= bounds.maxRows || bytes + size > bounds.maxBytes)) {
        groups.push(current);
        current = { items: [] };
        bytes = 0;
      }
      current.items.push(entry);
      bytes += size;
    }
    if (current.items.length > 0) groups.push(current);
  }
  return groups;
}

/**
 * Runs `work` on every item, at most `limit` at a time. After the first failure no new item
 * starts; the ones under way finish, then the first error is thrown.
 */
export async function runBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}
