/**
 * LogConsumer over the driver's Consumer, used for group membership and offsets only: we join the
 * group with `joinGroup` (the driver heartbeats and rejoins on its own timers) and read with our own
 * fetch rounds (consumer-fetcher.ts) instead of the driver's message stream, so that `poll`, `seek`
 * and manual commits map one to one and a record costs no per-message stream machinery.
 *
 * Rebalances: every completed join reports this member's assignment. Revoked partitions are dropped
 * at once, with their buffered records; new ones start at the group's commit, else at `from`. Only
 * partitions whose start is known appear in `assignment()`, so when it lists a partition, records
 * appended later are read even with `from: 'latest'`.
 *
 * Topics that do not exist yet are left out of the subscription (the driver fails every group call
 * that names an unknown topic) and looked up again every MISSING_TOPIC_CHECK_MS while polling; when
 * one appears the member rejoins with it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectionPool, Consumer, GroupAssignment } from '@platformatic/kafka';
import { TributaryError } from '../../errors.ts';
import type { ConsumerOptions, LogConsumer, LogRecord, RecordPosition, SeekPosition, TopicPartition } from '../log.ts';
import { committedOffsets, endOffsets, insideLog, partitionBounds, seekOffset } from './consumer-offsets.ts';
import { Fetcher, partitionKey, type PartitionState } from './consumer-fetcher.ts';
import { isUnknownTopic, toLogError } from './kafka-errors.ts';
import { lookupTopic } from './kafka-topics.ts';

/** How long closing waits for a join in flight before it leaves the group anyway. */
const JOIN_WAIT_ON_CLOSE_MS = 5000;

export const DEFAULT_POLL_TIMEOUT_MS = 1_000;
export const DEFAULT_MAX_RECORDS = 10_000;
/** Longest a fetch waits at the broker for data; bounds how late a seek or rebalance takes effect. */
const MAX_FETCH_WAIT_MS = 500;
/** How often a poll wakes while waiting, to look for missing topics and new assignments. */
const IDLE_TICK_MS = 250;
const MISSING_TOPIC_CHECK_MS = 1_000;
/** How long a commit waits for this member to join its group. */
const MEMBERSHIP_TIMEOUT_MS = 30_000;

export interface KafkaConsumerSettings {
  fetchPool: ConnectionPool;
  maxBytes: number;
  partitionMaxBytes: number;
  onWarning: (message: string, details: Record<string, unknown>) => void;
  onClose: () => void;
}

export class KafkaConsumer implements LogConsumer {
  readonly #client: Consumer;
  readonly #settings: KafkaConsumerSettings;
  readonly #from: 'earliest' | 'latest';
  readonly #maxRecords: number;
  readonly #fetcher: Fetcher;
  /** Subscribed topics the cluster does not have yet. */
  readonly #missing: Set<string>;
  #lastMissingCheck = 0;
  #joinNeeded = true;
  #joining: Promise<void> | undefined;
  #joinError: unknown;
  /** The partitions this member owns and has a start for. */
  readonly #partitions = new Map<string, PartitionState>();
  /** The latest assignment the group gave, by partition key. */
  #assigned = new Map<string, TopicPartition>();
  #reconciling: Promise<void> = Promise.resolve();
  #reconcileError: unknown;
  /** Set when finding the start of new partitions failed; the next poll tries again. */
  #reconcileAgain = false;
  /** Seeks on partitions not (yet) owned, applied when they are assigned. */
  readonly #pendingSeeks = new Map<string, SeekPosition>();
  #closed = false;

  constructor(client: Consumer, options: ConsumerOptions, settings: KafkaConsumerSettings) {
    this.#client = client;
    this.#settings = settings;
    this.#from = options.from ?? 'earliest';
    this.#maxRecords = Math.max(1, options.maxRecords ?? DEFAULT_MAX_RECORDS);
    this.#missing = new Set(options.topics);
    this.#fetcher = new Fetcher(client, settings.fetchPool, { maxBytes: settings.maxBytes, partitionMaxBytes: settings.partitionMaxBytes, onWarning: settings.onWarning });
    client.on('consumer:group:join', (payload) => this.#onAssignment(payload.assignments ?? []));
    // A background rejoin that failed for good: no more heartbeats; the next poll joins again.
    client.on('error', (error: unknown) => {
      this.#joinNeeded = true;
      this.#joinError = error;
    });
    // Join right away rather than on the first poll: members created together then rebalance once.
    this.#maintain(Date.now()).catch((error: unknown) => {
      this.#joinError ??= error;
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw new TributaryError('LOG_CLOSED', 'This Kafka consumer is closed');
  }

  async poll(timeoutMs = DEFAULT_POLL_TIMEOUT_MS): Promise<LogRecord[]> {
    this.#assertOpen();
    const deadline = Date.now() + Math.max(0, timeoutMs);
    for (;;) {
      await this.#maintain(deadline);
      if (this.#closed) return [];
      await this.#raiseBackgroundError();
      if (this.#fetcher.buffered > 0) {
        const records = this.#fetcher.take(this.#maxRecords);
        if (this.#fetcher.buffered < this.#maxRecords) this.#startRound(MAX_FETCH_WAIT_MS);
        return records;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) return [];
      this.#startRound(Math.min(remaining, MAX_FETCH_WAIT_MS));
      // Wake when the fetch or join settles, or after a tick to look for topics and assignments again.
      await untilDeadline(this.#fetcher.round ?? this.#joining, Math.min(deadline, Date.now() + IDLE_TICK_MS));
    }
  }

  async commit(positions?: readonly RecordPosition[]): Promise<void> {
    this.#assertOpen();
    const offsets = positions
      ? positions.map(({ topic, partition, offset }) => ({ topic, partition, offset: BigInt(offset), leaderEpoch: -1 }))
      : [...this.#partitions.values()].filter((s) => s.polled !== undefined).map((s) => ({ topic: s.topic, partition: s.partition, offset: BigInt(s.polled!), leaderEpoch: -1 }));
    if (offsets.length === 0) return;
    await this.#awaitMembership();
    try {
      await this.#client.commit({ offsets });
    } catch (error) {
      throw toLogError(error, `commit for group "${this.#client.groupId}"`);
    }
  }

  async seek(topic: string, partition: number, position: SeekPosition): Promise<void> {
    this.#assertOpen();
    const key = partitionKey(topic, partition);
    const state = this.#partitions.get(key);
    if (!state) {
      this.#pendingSeeks.set(key, position);
      return;
    }
    let offset: number;
    try {
      offset = await this.#seekTarget(topic, partition, position);
    } catch (error) {
      throw toLogError(error, `seek in ${topic}[${partition}]`);
    }
    if (this.#partitions.get(key) === state) this.#moveTo(state, offset);
  }

  /**
   * The offset a seek moves to. An offset outside the log is brought inside now, as the embedded
   * log does: left to the fetch, a seek past the end would land at an end that records appended in
   * the meantime had already moved, and skip them.
   */
  async #seekTarget(topic: string, partition: number, position: SeekPosition): Promise<number> {
    const offset = await seekOffset(this.#client, topic, partition, position);
    if (typeof position !== 'object' || !('offset' in position)) return offset;
    const bounds = await partitionBounds(this.#client, topic, partition);
    return insideLog(offset, bounds, { group: this.#client.groupId, topic, partition }, this.#settings.onWarning);
  }

  assignment(): TopicPartition[] {
    this.#assertOpen();
    return [...this.#partitions.values()]
      .map(({ topic, partition }) => ({ topic, partition }))
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#settings.onClose();
    // The fetch connections first: a fetch cut off while the client is open schedules a retry that
    // closing the client then cancels; the other way round the retry timer would outlive us.
    await this.#settings.fetchPool.close().catch(() => undefined);
    // A join in flight is let finish first (for a bounded time): the driver's leave does nothing
    // before the join has given it a member id, and a join that completes after the leave starts
    // heartbeats that nothing stops.
    if (this.#joining) await Promise.race([this.#joining, sleep(JOIN_WAIT_ON_CLOSE_MS, undefined, { ref: false })]);
    try {
      // Leaves the group, so the other members take over its partitions without waiting for the session timeout.
      await this.#client.close();
    } catch {
      // Leaving failed (the coordinator is gone): the group expires this member after its session timeout.
      await this.#client.connections.close().catch(() => undefined);
    }
    await Promise.allSettled([this.#joining, this.#reconciling, this.#fetcher.round]);
    this.#fetcher.clear();
    this.#partitions.clear();
  }

  /**
   * Waits until this member has joined its group: the broker takes commits only from members of the
   * current generation (the driver cannot make the member-less commit Kafka allows for empty groups).
   */
  async #awaitMembership(): Promise<void> {
    const deadline = Date.now() + MEMBERSHIP_TIMEOUT_MS;
    while (this.#client.memberId === null || this.#joining || this.#joinNeeded) {
      if (this.#closed) throw new TributaryError('LOG_CLOSED', 'This Kafka consumer is closed');
      if (Date.now() > deadline) {
        const missing = this.#missing.size > 0 ? ` (topics not found: ${[...this.#missing].join(', ')})` : '';
        throw new TributaryError('LOG_UNAVAILABLE', `Kafka consumer could not join group "${this.#client.groupId}" within ${MEMBERSHIP_TIMEOUT_MS} ms${missing}`, { cause: this.#joinError });
      }
      await this.#maintain(Math.min(deadline, Date.now() + IDLE_TICK_MS));
      // Nothing in flight (no topic exists yet, or a join failed): look again after a tick.
      if (!this.#joining && (this.#client.memberId === null || this.#joinNeeded)) await untilDeadline(undefined, Math.min(deadline, Date.now() + IDLE_TICK_MS));
    }
  }

  /** Looks for missing topics, (re)joins the group when needed, and waits (until `deadline`) for both and for assignment work. */
  async #maintain(deadline: number): Promise<void> {
    // Not while a join is in flight: the driver's sync computes assignments for the topics tracked
    // then, and a topic tracked between its join and its sync has no metadata there (it throws).
    if (this.#missing.size > 0 && !this.#joining && Date.now() - this.#lastMissingCheck >= MISSING_TOPIC_CHECK_MS) await this.#checkMissingTopics();
    if (this.#joinNeeded && !this.#joining && !this.#closed && this.#client.topics.current.length > 0) this.#join();
    if (this.#reconcileAgain && !this.#closed) {
      this.#reconcileAgain = false;
      this.#scheduleStarts();
    }
    if (this.#joining) await untilDeadline(this.#joining, deadline);
    await untilDeadline(this.#reconciling, deadline);
  }

  async #checkMissingTopics(): Promise<void> {
    this.#lastMissingCheck = Date.now();
    for (const topic of [...this.#missing]) {
      const metadata = await lookupTopic(this.#client, topic, true).catch(() => undefined);
      if (!metadata || this.#closed || this.#joining) continue;
      this.#missing.delete(topic);
      this.#client.topics.track(topic);
      this.#joinNeeded = true;
    }
  }

  #join(): void {
    this.#joinNeeded = false;
    this.#joining = this.#client.joinGroup({}).then(
      () => {
        this.#joining = undefined;
      },
      (error: unknown) => {
        this.#joining = undefined;
        this.#joinNeeded = true;
        if (!this.#closed) this.#joinError = error;
      },
    );
  }

  /** Throws what failed in the background since the last poll, except a topic that went away. */
  async #raiseBackgroundError(): Promise<void> {
    const error = this.#joinError ?? this.#reconcileError ?? this.#fetcher.takeError();
    this.#joinError = undefined;
    this.#reconcileError = undefined;
    if (error === undefined) return;
    if (isUnknownTopic(error) && (await this.#forgetDeletedTopics())) return;
    throw toLogError(error, `consume for group "${this.#client.groupId}"`);
  }

  /**
   * Moves subscribed topics that no longer exist back to the missing ones: the driver fails every
   * group call while it tracks an unknown topic. The member rejoins without them, and with them
   * again if they are created anew. True when some topic was gone.
   */
  async #forgetDeletedTopics(): Promise<boolean> {
    let gone = false;
    for (const topic of [...this.#client.topics.current]) {
      if (await lookupTopic(this.#client, topic, true).catch(() => true)) continue;
      gone = true;
      this.#client.topics.untrack(topic);
      this.#missing.add(topic);
      for (const [key, state] of this.#partitions) {
        if (state.topic !== topic) continue;
        this.#partitions.delete(key);
        this.#fetcher.purge(state);
      }
    }
    if (gone) this.#joinNeeded = true;
    return gone;
  }

  #startRound(maxWaitMs: number): void {
    this.#fetcher.start(
      [...this.#partitions.values()],
      (state) => this.#partitions.get(state.key) === state,
      (state) => {
        // The topic was deleted and created again: start over in the new one as if newly assigned.
        if (this.#partitions.get(state.key) !== state) return;
        this.#partitions.delete(state.key);
        this.#fetcher.purge(state);
        this.#scheduleStarts();
      },
      maxWaitMs,
    );
  }

  #moveTo(state: PartitionState, offset: number): void {
    state.position = offset;
    state.version++;
    this.#fetcher.purge(state);
  }

  #onAssignment(assignments: readonly GroupAssignment[]): void {
    const assigned = new Map<string, TopicPartition>();
    for (const { topic, partitions } of assignments) {
      for (const partition of partitions) assigned.set(partitionKey(topic, partition), { topic, partition });
    }
    this.#assigned = assigned;
    // Revocation is immediate: no record of a lost partition is returned once the group moved on.
    for (const [key, state] of this.#partitions) {
      if (assigned.has(key)) continue;
      this.#partitions.delete(key);
      this.#fetcher.purge(state);
    }
    this.#scheduleStarts();
  }

  #scheduleStarts(): void {
    this.#reconciling = this.#reconciling.then(() => this.#startNewPartitions()).catch((error: unknown) => {
      if (this.#closed) return;
      this.#reconcileError = error;
      this.#reconcileAgain = true;
    });
  }

  /** Finds where each newly assigned partition starts: a pending seek, the group's commit, or `from`. */
  async #startNewPartitions(): Promise<void> {
    const fresh = new Map<string, number[]>();
    for (const [key, { topic, partition }] of this.#assigned) {
      if (this.#partitions.has(key)) continue;
      const partitions = fresh.get(topic) ?? [];
      partitions.push(partition);
      fresh.set(topic, partitions);
    }
    for (const [topic, partitions] of fresh) {
      const metadata = await lookupTopic(this.#client, topic, true);
      if (!metadata) continue;
      const starts = await committedOffsets(this.#client, topic, partitions);
      const uncommitted = partitions.filter((p) => !starts.has(p));
      if (uncommitted.length > 0) for (const [p, offset] of await endOffsets(this.#client, topic, uncommitted, this.#from)) starts.set(p, offset);
      for (const partition of partitions) {
        const key = partitionKey(topic, partition);
        // The group may have moved on while we looked the offsets up.
        if (!this.#assigned.has(key) || this.#partitions.has(key)) continue;
        const pending = this.#pendingSeeks.get(key);
        this.#pendingSeeks.delete(key);
        const position = pending === undefined ? starts.get(partition)! : await this.#seekTarget(topic, partition, pending);
        if (!this.#assigned.has(key) || this.#partitions.has(key)) continue;
        this.#partitions.set(key, { topic, partition, key, topicId: metadata.id, position, version: 0, polled: undefined });
      }
    }
  }
}

/** Resolves when `promise` settles (or, without one, just) at `deadline` at the latest; never rejects. */
async function untilDeadline(promise: Promise<unknown> | undefined, deadline: number): Promise<void> {
  const wait = deadline - Date.now();
  if (wait <= 0) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, wait)));
  await (promise ? Promise.race([promise.then(() => undefined, () => undefined), timeout]) : timeout);
  clearTimeout(timer);
}
