/** What a partition of the embedded log is opened with: its fsync policy, sizes, and what it shares with the log's other partitions. */
import type { SyncGate } from './sync-gate.ts';

export type FsyncPolicy = { mode: 'always' } | { mode: 'interval'; ms: number } | { mode: 'never' };

export interface PartitionOptions {
  fsync: FsyncPolicy;
  segmentBytes: number;
  /** Bytes of the latest batches this partition keeps in memory for readers at the head (tail-cache.ts); asked on every write. Without: none. */
  tailCacheBytes?: () => number;
  /** Shared by the log's partitions: how many fsyncs run at once (sync-gate.ts). Without: no limit. */
  syncGate?: SyncGate;
  onWarning: (message: string, details: Record<string, unknown>) => void;
  /**
   * Appends not yet acknowledged, shared by every partition of a log, so that a partition syncs at
   * once only when no write anywhere in the log is waiting. Without: this partition's own.
   */
  writesInFlight?: WritesInFlight;
  /** After each fsync=interval sync (for metrics): how many batches it made durable and how long it took. */
  onSync?: (event: SyncEvent) => void;
}

export interface WritesInFlight {
  count: number;
}

export interface SyncEvent {
  topic: string;
  partition: number;
  /** Appends (one per producer send to this partition) acknowledged by this fsync. */
  batches: number;
  ms: number;
}
