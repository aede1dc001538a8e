/**
 * A limit on how many fsyncs the log's partitions run at once. Each fsync holds one of libuv's
 * thread-pool threads (4 by default) for as long as the disk takes, tens to hundreds of milliseconds
 * when it is busy, and the partitions' writes and file reads queue behind them in the same pool. With
 * every partition syncing on the same interval, the syncs alone could take the whole pool and stall
 * every append: the records a stream job has written would not become readable until the disk was
 * done. Through the gate, syncs queue among themselves instead, and writes keep flowing.
 */
export type SyncGate = <T>(sync: () => Promise<T>) => Promise<T>;

export function syncGate(limit: number): SyncGate {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (sync) => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await sync();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
