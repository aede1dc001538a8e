/**
 * The embedded log: topics as directories of partitions under `<dir>/topics`, committed offsets
 * under `<dir>/groups`. One process owns a log directory at a time (a lock file with its pid; a lock
 * left by a killed process is taken over).
 */
import { mkdir, open, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TributaryError } from '../../errors.ts';
import type { ConsumerOptions, Log, LogAdmin, LogConsumer, LogProducer, PartitionLag, ProducerRecord, RecordPosition, TopicDescription } from '../log.ts';
import { partitionForKey } from '../partitioner.ts';
import { recordBytes } from './batch.ts';
import { EmbeddedConsumer } from './consumer.ts';
import { Groups } from './groups.ts';
import { Partition, type FsyncPolicy, type SyncEvent } from './partition.ts';
import { syncGate } from './sync-gate.ts';

export interface EmbeddedLogOptions {
  dir: string;
  fsync?: FsyncPolicy;
  segmentBytes?: number;
  /**
   * Memory for the latest record batches of every partition, shared equally among the open
   * partitions, so readers keeping up with the head read no files (tail-cache.ts). Default 64 MiB;
   * 0 turns it off.
   */
  readCacheBytes?: number;
  maxRecordBytes?: number;
  autoCreateTopics?: boolean;
  defaultPartitions?: number;
  retentionMs?: number;
  retentionBytes?: number;
  /** How often retention runs while the log is open. */
  retentionCheckMs?: number;
  onWarning?: (message: string, details: Record<string, unknown>) => void;
  /** After each fsync=interval sync of a partition: the batches it acknowledged and its duration (for metrics). */
  onSync?: (event: SyncEvent) => void;
}

/** Directories of the logs open in this process: the pid in the lock file cannot tell them apart. */
const openInThisProcess = new Set<string>();

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const MAX_PARTITIONS = 10_000;

export function validateTopic(name: string, partitions?: number): void {
  if (!TOPIC_NAME.test(name) || name === '.' || name === '..') {
    throw new TributaryError('TOPIC_INVALID', `invalid topic name ${JSON.stringify(name)}: use 1 to 249 letters, digits, '.', '_' or '-'`);
  }
  if (partitions !== undefined && (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS)) {
    throw new TributaryError('TOPIC_INVALID', `invalid partition count ${partitions} for topic ${name}: expected 1 to ${MAX_PARTITIONS}`);
  }
}

export async function openEmbeddedLog(options: EmbeddedLogOptions): Promise<Log> {
  const log = new EmbeddedLog(options);
  await log.open();
  return log;
}

class EmbeddedLog implements Log {
  readonly backend = 'embedded';
  private readonly topics = new Map<string, Partition[]>();
  private cacheShare: number | undefined;
  /** Two fsyncs at a time across the partitions: the other thread-pool threads stay free for writes and reads. */
  private readonly syncGate = syncGate(2);
  /** Appends of every partition not yet acknowledged: a partition syncs at once only when it holds all of them. */
  private readonly writesInFlight = { count: 0 };
  private readonly creating = new Map<string, Promise<Partition[]>>();
  readonly groups: Groups;
  private readonly options: Required<Omit<EmbeddedLogOptions, 'retentionMs' | 'retentionBytes' | 'onSync'>> & Pick<EmbeddedLogOptions, 'retentionMs' | 'retentionBytes' | 'onSync'>;
  private readonly clients = new Set<{ close(): Promise<void> }>();
  private retentionTimer: NodeJS.Timeout | undefined;
  private roundRobin = 0;
  private closed = false;

  constructor(options: EmbeddedLogOptions) {
    this.options = {
      fsync: { mode: 'interval', ms: 50 },
      segmentBytes: 128 * 1024 * 1024,
      readCacheBytes: 64 * 1024 * 1024,
      maxRecordBytes: 1024 * 1024,
      autoCreateTopics: true,
      defaultPartitions: 4,
      retentionCheckMs: 60_000,
      onWarning: () => undefined,
      ...options,
    };
    this.groups = new Groups(path.join(options.dir, 'groups'), this.options.fsync.mode !== 'never', (topic) => this.topics.get(topic)?.length ?? 0);
  }

  private get topicsDir(): string {
    return path.join(this.options.dir, 'topics');
  }

  async open(): Promise<void> {
    await mkdir(this.topicsDir, { recursive: true });
    await this.lock();
    for (const name of await readdir(this.topicsDir)) {
      const meta = await readFile(path.join(this.topicsDir, name, 'topic.json'), 'utf8').catch(() => undefined);
      if (meta === undefined) continue; // a topic whose creation or deletion was cut short
      const { partitions } = JSON.parse(meta) as { partitions: number };
      this.topics.set(name, await this.openPartitions(name, partitions));
      this.cacheShare = undefined;
    }
    await this.groups.load();
    await this.enforceRetention();
    if (this.options.retentionMs !== undefined || this.options.retentionBytes !== undefined) {
      this.retentionTimer = setInterval(() => void this.enforceRetention(), this.options.retentionCheckMs).unref();
    }
  }

  /** Take the directory's lock, or fail naming the live process that holds it. */
  private async lock(): Promise<void> {
    const file = path.join(this.options.dir, 'lock');
    if (openInThisProcess.has(path.resolve(this.options.dir))) {
      throw new TributaryError('LOG_UNAVAILABLE', `the embedded log in ${this.options.dir} is already open in this process`, { retryable: false });
    }
    for (;;) {
      try {
        const handle = await open(file, 'wx');
        await handle.writeFile(String(process.pid));
        await handle.close();
        openInThisProcess.add(path.resolve(this.options.dir));
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const pid = Number(await readFile(file, 'utf8').catch(() => ''));
        if (pid && isAlive(pid)) {
          throw new TributaryError('LOG_UNAVAILABLE', `the embedded log in ${this.options.dir} is in use by process ${pid}`, { retryable: false });
        }
        await rm(file, { force: true });
      }
    }
  }

  /** Each partition's share of the read cache; recomputed when the first partition asks after a topic came or went. */
  private tailCacheBytes(): number {
    if (this.cacheShare === undefined) {
      let partitions = 0;
      for (const topic of this.topics.values()) partitions += topic.length;
      this.cacheShare = Math.floor(this.options.readCacheBytes / Math.max(1, partitions));
    }
    return this.cacheShare;
  }

  private openPartitions(topic: string, count: number): Promise<Partition[]> {
    const options = {
      fsync: this.options.fsync,
      segmentBytes: this.options.segmentBytes,
      tailCacheBytes: () => this.tailCacheBytes(),
      syncGate: this.syncGate,
      writesInFlight: this.writesInFlight,
      onWarning: this.options.onWarning,
      ...(this.options.onSync && { onSync: this.options.onSync }),
    };
    return Promise.all(Array.from({ length: count }, (_, p) => Partition.open(topic, p, path.join(this.topicsDir, topic, String(p)), options)));
  }

  async enforceRetention(): Promise<void> {
    const { retentionMs, retentionBytes } = this.options;
    if (retentionMs === undefined && retentionBytes === undefined) return;
    const now = Date.now();
    for (const partitions of this.topics.values()) for (const p of partitions) await p.enforceRetention(retentionMs, retentionBytes, now);
  }

  partition(topic: string, partition: number): Partition | undefined {
    return this.topics.get(topic)?.[partition];
  }

  async createTopic(name: string, partitions: number): Promise<Partition[]> {
    validateTopic(name, partitions);
    if (this.topics.has(name)) throw new TributaryError('TOPIC_EXISTS', `topic ${name} already exists`);
    const inFlight = this.creating.get(name);
    if (inFlight) return inFlight;
    const creation = (async () => {
      const dir = path.join(this.topicsDir, name);
      await mkdir(dir, { recursive: true });
      const opened = await this.openPartitions(name, partitions);
      // topic.json appears last: a topic without it was never fully created.
      await writeFile(path.join(dir, 'topic.json.tmp'), JSON.stringify({ partitions }));
      await rename(path.join(dir, 'topic.json.tmp'), path.join(dir, 'topic.json'));
      this.topics.set(name, opened);
      this.cacheShare = undefined;
      this.groups.topicsChanged();
      return opened;
    })();
    this.creating.set(name, creation);
    try {
      return await creation;
    } finally {
      this.creating.delete(name);
    }
  }

  private async partitionsFor(topic: string): Promise<Partition[]> {
    const existing = this.topics.get(topic);
    if (existing) return existing;
    if (!this.options.autoCreateTopics) {
      validateTopic(topic);
      throw new TributaryError('TOPIC_NOT_FOUND', `topic ${topic} does not exist and auto-create is off (log.autoCreateTopics); create it with: tributary topics create ${topic}`);
    }
    return this.creating.get(topic) ?? this.createTopic(topic, this.options.defaultPartitions);
  }

  async send(records: readonly ProducerRecord[]): Promise<RecordPosition[]> {
    const positions = new Array<RecordPosition>(records.length);
    // Group by partition, keeping each partition's records in call order.
    const groups = new Map<Partition, { indexes: number[]; records: ProducerRecord[]; sizes: number[] }>();
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      const size = recordBytes(record);
      if (size > this.options.maxRecordBytes) {
        throw new TributaryError('RECORD_TOO_LARGE', `record ${i} for topic ${record.topic} is ${size.toLocaleString('en-US')} bytes, over the limit of ${this.options.maxRecordBytes.toLocaleString('en-US')} (log.maxRecordBytes)`);
      }
      const partitions = this.topics.get(record.topic) ?? (await this.partitionsFor(record.topic));
      let p = record.partition;
      if (p === undefined) p = record.key ? partitionForKey(record.key, partitions.length) : this.roundRobin++ % partitions.length;
      const partition = partitions[p];
      if (!partition) throw new TributaryError('TOPIC_INVALID', `topic ${record.topic} has no partition ${p} (it has ${partitions.length})`);
      let group = groups.get(partition);
      if (!group) groups.set(partition, (group = { indexes: [], records: [], sizes: [] }));
      group.indexes.push(i);
      group.records.push(record);
      group.sizes.push(size);
    }
    const writes: Promise<void>[] = [];
    try {
      for (const [partition, group] of groups) {
        const { baseOffset, done } = partition.append(group.records, group.sizes);
        group.indexes.forEach((index, j) => (positions[index] = { topic: partition.topic, partition: partition.id, offset: baseOffset + j }));
        writes.push(done);
      }
    } catch (error) {
      // A partition that refuses at once must not leave the others' outcomes unobserved.
      void Promise.allSettled(writes);
      throw error;
    }
    await Promise.all(writes);
    return positions;
  }

  describe(name: string): TopicDescription {
    const partitions = this.topics.get(name);
    if (!partitions) throw new TributaryError('TOPIC_NOT_FOUND', `topic ${name} does not exist`);
    return { name, partitions: partitions.map((p) => ({ partition: p.id, startOffset: p.startOffset, endOffset: p.endOffset, bytes: p.bytes })) };
  }

  async deleteTopic(name: string): Promise<void> {
    const partitions = this.topics.get(name);
    if (!partitions) throw new TributaryError('TOPIC_NOT_FOUND', `topic ${name} does not exist`);
    this.topics.delete(name);
    this.cacheShare = undefined;
    this.groups.dropTopic(name);
    this.groups.topicsChanged();
    // Rename first so a crash mid-delete never leaves a half topic that looks whole.
    const dir = path.join(this.topicsDir, name);
    const trash = path.join(this.options.dir, `deleted-${name}-${Date.now()}`);
    for (const p of partitions) await p.close();
    await rename(dir, trash);
    await rm(trash, { recursive: true, force: true });
  }

  groupLag(group: string): PartitionLag[] {
    const lag: PartitionLag[] = [];
    for (const [topic, parts] of this.groups.committedOf(group)) {
      const partitions = this.topics.get(topic);
      if (!partitions) continue;
      for (const p of partitions) {
        const committedOffset = parts.get(p.id);
        lag.push({ topic, partition: p.id, committedOffset, endOffset: p.endOffset, lag: p.endOffset - (committedOffset ?? p.startOffset) });
      }
    }
    return lag;
  }

  warn(message: string, details: Record<string, unknown>): void {
    this.options.onWarning(message, details);
  }

  admin(): LogAdmin {
    const client = this.client({
      createTopic: async (name: string, { partitions }: { partitions: number }): Promise<void> => {
        await this.createTopic(name, partitions);
      },
      listTopics: () => Promise.resolve([...this.topics.keys()].sort()),
      describeTopic: (name: string): Promise<TopicDescription> => Promise.resolve().then(() => this.describe(name)),
      deleteTopic: (name: string) => this.deleteTopic(name),
      groupLag: (group: string) => Promise.resolve(this.groupLag(group)),
    });
    return client;
  }

  producer(): LogProducer {
    return this.client({ send: (records: readonly ProducerRecord[]) => this.send(records) });
  }

  consumer(options: ConsumerOptions): LogConsumer {
    this.ensureOpen();
    for (const topic of options.topics) validateTopic(topic);
    const consumer = new EmbeddedConsumer(this, options);
    this.clients.add(consumer);
    return consumer;
  }

  /** Wrap methods so they reject with LOG_CLOSED once the client (or the log) is closed. */
  private client<T extends Record<string, (...args: never[]) => Promise<unknown>>>(methods: T): T & { close(): Promise<void> } {
    let closed = false;
    const guarded = {} as Record<string, unknown>;
    for (const [name, fn] of Object.entries(methods)) {
      guarded[name] = (...args: never[]) => {
        if (closed || this.closed) return Promise.reject(new TributaryError('LOG_CLOSED', `log ${name} called after close`));
        return fn(...args);
      };
    }
    const client = guarded as T & { close(): Promise<void> };
    client.close = () => {
      closed = true;
      this.clients.delete(client);
      return Promise.resolve();
    };
    this.clients.add(client);
    return client;
  }

  private ensureOpen(): void {
    if (this.closed) throw new TributaryError('LOG_CLOSED', 'the embedded log is closed');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const client of [...this.clients]) await client.close();
    this.closed = true;
    clearInterval(this.retentionTimer);
    for (const partitions of this.topics.values()) for (const p of partitions) await p.close();
    await rm(path.join(this.options.dir, 'lock'), { force: true });
    openInThisProcess.delete(path.resolve(this.options.dir));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
