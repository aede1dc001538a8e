/** A member of a consumer group on the embedded log. */
import { TributaryError } from '../../errors.ts';
import type { ConsumerOptions, LogConsumer, LogRecord, RecordPosition, SeekPosition, TopicPartition } from '../log.ts';
import type { GroupMember, Groups } from './groups.ts';
import type { Partition } from './partition.ts';

/** What the consumer needs from the log it belongs to. */
export interface ConsumerHost {
  groups: Groups;
  partition(topic: string, partition: number): Partition | undefined;
  warn(message: string, details: Record<string, unknown>): void;
}

const READ_BYTES = 1024 * 1024;

/**
 * Reads at the head come from memory (tail-cache.ts) and resolve without a trip through the event
 * loop; a caller polling in a loop would then starve timers and I/O. Every poll lets them run first.
 */
const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve));

export class EmbeddedConsumer implements LogConsumer, GroupMember {
  readonly topics: readonly string[];
  private readonly host: ConsumerHost;
  private readonly group: string;
  private readonly from: 'earliest' | 'latest';
  private readonly maxRecords: number;
  /** Next offset to read, per assigned partition ("topic/partition"). */
  private readonly positions = new Map<string, number>();
  private assigned: TopicPartition[] = [];
  private unsubscribe: (() => void)[] = [];
  private wakeUp: (() => void) | undefined;
  private pendingError: TributaryError | undefined;
  private cursor = 0;
  private closed = false;

  constructor(host: ConsumerHost, options: ConsumerOptions) {
    this.host = host;
    this.group = options.group;
    this.topics = [...options.topics];
    this.from = options.from ?? 'earliest';
    this.maxRecords = options.maxRecords ?? 10_000;
    host.groups.join(this.group, this);
  }

  assign(partitions: TopicPartition[]): void {
    const keep = new Set(partitions.map(key));
    for (const k of [...this.positions.keys()]) if (!keep.has(k)) this.positions.delete(k);
    for (const tp of partitions) {
      if (this.positions.has(key(tp))) continue;
      const partition = this.host.partition(tp.topic, tp.partition);
      const committed = this.host.groups.committedOffset(this.group, tp.topic, tp.partition);
      this.positions.set(key(tp), committed ?? (this.from === 'latest' ? (partition?.endOffset ?? 0) : (partition?.startOffset ?? 0)));
    }
    this.assigned = partitions;
    for (const off of this.unsubscribe) off();
    this.unsubscribe = partitions.flatMap((tp) => {
      const partition = this.host.partition(tp.topic, tp.partition);
      return partition ? [partition.onAppend(() => this.wakeUp?.())] : [];
    });
    this.wakeUp?.();
  }

  assignment(): TopicPartition[] {
    return this.assigned.map((tp) => ({ ...tp }));
  }

  async poll(timeoutMs = 1000): Promise<LogRecord[]> {
    this.ensureOpen();
    if (this.pendingError) {
      const error = this.pendingError;
      this.pendingError = undefined;
      throw error;
    }
    const deadline = Date.now() + timeoutMs;
    await yieldToLoop();
    for (;;) {
      const records = await this.readAvailable();
      if (records.length > 0 || this.pendingError) {
        if (records.length === 0) return this.poll(0);
        return records;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0 || this.closed) return [];
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, remaining);
        this.wakeUp = done;
        function done() {
          clearTimeout(timer);
          resolve();
        }
      });
      this.wakeUp = undefined;
      this.ensureOpen();
    }
  }

  /** One pass over the assigned partitions, starting after the one read first last time. */
  private async readAvailable(): Promise<LogRecord[]> {
    const out: LogRecord[] = [];
    const partitions = this.assigned;
    const n = partitions.length;
    for (let i = 0; i < n && out.length < this.maxRecords; i++) {
      const tp = partitions[(this.cursor + i) % n]!;
      const partition = this.host.partition(tp.topic, tp.partition);
      const position = this.positions.get(key(tp));
      if (!partition || position === undefined || position >= partition.endOffset) continue;
      const result = await partition.read(position, READ_BYTES);
      if (this.positions.get(key(tp)) !== position) continue; // reassigned or sought meanwhile
      let records = result.records;
      let next = result.nextOffset;
      if (records.length > this.maxRecords - out.length) {
        records = records.slice(0, this.maxRecords - out.length);
        next = records[records.length - 1]!.offset + 1;
      }
      if (result.corrupt && next === result.nextOffset) {
        const c = result.corrupt;
        this.host.warn('skipped a record batch that failed its checksum', { ...c });
        this.pendingError = new TributaryError(
          'LOG_CORRUPT',
          `corrupt record batch in ${c.file} at byte ${c.position} (offsets ${c.firstOffset}-${c.lastOffset} of ${tp.topic}/${tp.partition}) skipped; reading continues after it`,
        );
      }
      this.positions.set(key(tp), next);
      for (const record of records) out.push(record);
    }
    this.cursor = n > 0 ? (this.cursor + 1) % n : 0;
    return out;
  }

  async commit(positions?: readonly RecordPosition[]): Promise<void> {
    this.ensureOpen();
    const toCommit =
      positions ??
      this.assigned.flatMap((tp) => {
        const offset = this.positions.get(key(tp));
        return offset === undefined ? [] : [{ ...tp, offset }];
      });
    await this.host.groups.commit(this.group, toCommit);
  }

  async seek(topic: string, partition: number, position: SeekPosition): Promise<void> {
    this.ensureOpen();
    const target = this.host.partition(topic, partition);
    if (!target || !this.positions.has(`${topic}/${partition}`)) {
      throw new TributaryError('TOPIC_NOT_FOUND', `cannot seek ${topic}/${partition}: it is not assigned to this consumer`);
    }
    let offset: number;
    if (position === 'earliest') offset = target.startOffset;
    else if (position === 'latest') offset = target.endOffset;
    else if ('offset' in position) offset = Math.min(Math.max(position.offset, target.startOffset), target.endOffset);
    else offset = await target.offsetForTimestamp(position.timestamp);
    this.positions.set(`${topic}/${partition}`, offset);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.unsubscribe) off();
    this.wakeUp?.();
    this.host.groups.leave(this.group, this);
    return Promise.resolve();
  }

  private ensureOpen(): void {
    if (this.closed) throw new TributaryError('LOG_CLOSED', `consumer of group ${this.group} is closed`);
  }
}

function key(tp: TopicPartition): string {
  return `${tp.topic}/${tp.partition}`;
}
