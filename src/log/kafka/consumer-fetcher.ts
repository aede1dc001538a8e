/**
 * The consumer's read path: fetch rounds against partition leaders and the buffer `poll` drains.
 *
 * One round at a time: the driver keeps one incremental fetch session per broker, and two fetches
 * in flight on one session would break its epochs. A round starts when `poll` finds the buffer
 * below its low-water mark, so the next fetch overlaps the caller's processing of the last batch.
 * A seek or a rebalance bumps a partition's version; data fetched for an older version or offset
 * is dropped when it arrives.
 *
 * A position outside the log (below its start once retention or DeleteRecords removed records, or
 * past its end) gets OFFSET_OUT_OF_RANGE, with -1 for both of the partition's ends; the ends are
 * then asked with ListOffsets and reading resumes at the nearer one, as on the embedded log: below
 * the start at the start (every record still held is read), past the end at the end. Each move is
 * reported through `onWarning`.
 */
import type { ConnectionPool, Consumer } from '@platformatic/kafka';
import type { LogRecord } from '../log.ts';
import { insideLog, partitionBounds } from './consumer-offsets.ts';
import { findDriverError } from './kafka-errors.ts';
import { appendLogRecords } from './kafka-records.ts';

type FetchOptions = Parameters<Consumer['fetch']>[0];
type FetchRequestTopic = FetchOptions['topics'][number];
type FetchRequestPartition = FetchRequestTopic['partitions'][number];
type FetchResponse = Awaited<ReturnType<Consumer['fetch']>>;

/** A partition this member owns, and where it reads. */
export interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  /** The topic's id when this member started reading it: a topic deleted and created again gets a new one. */
  readonly topicId: string;
  /** Next offset to fetch. */
  position: number;
  /** Bumped by every move of `position` other than reading on. */
  version: number;
  /** Next offset after the last record `poll` returned: what `commit()` commits. */
  polled: number | undefined;
}

export interface FetcherSettings {
  maxBytes: number;
  partitionMaxBytes: number;
  onWarning: (message: string, details: Record<string, unknown>) => void;
}

interface Request {
  version: number;
  position: number;
}

interface Chunk {
  state: PartitionState;
  records: LogRecord[];
  next: number;
}

/** The most an empty round that came back early waits before it ends. */
const EMPTY_ROUND_PAUSE_MS = 100;

/** Kafka's OFFSET_OUT_OF_RANGE: the position is before the log start (retention) or past its end. */
const OFFSET_OUT_OF_RANGE = 1;

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class Fetcher {
  readonly #client: Consumer;
  readonly #pool: ConnectionPool;
  readonly #settings: FetcherSettings;
  #chunks: Chunk[] = [];
  #buffered = 0;
  #round: Promise<void> | undefined;
  #error: unknown;

  constructor(client: Consumer, pool: ConnectionPool, settings: FetcherSettings) {
    this.#client = client;
    this.#pool = pool;
    this.#settings = settings;
  }

  get buffered(): number {
    return this.#buffered;
  }

  /** The round in flight, if any; it never rejects (errors wait in `takeError`). */
  get round(): Promise<void> | undefined {
    return this.#round;
  }

  /** The error of the last failed round, once. */
  takeError(): unknown {
    const error = this.#error;
    this.#error = undefined;
    return error;
  }

  /**
   * Starts a round over `states` unless one is in flight. `owns` tells whether a state is still
   * current; `replaced` hears of partitions whose topic was deleted and created again.
   */
  start(states: readonly PartitionState[], owns: (state: PartitionState) => boolean, replaced: (state: PartitionState) => void, maxWaitMs: number): void {
    if (this.#round || states.length === 0) return;
    this.#round = this.#fetchRound(states, owns, replaced, maxWaitMs).then(
      () => {
        this.#round = undefined;
      },
      (error: unknown) => {
        this.#error = error;
        this.#round = undefined;
      },
    );
  }

  /** Up to `max` buffered records, oldest first; notes in each partition what was returned. */
  take(max: number): LogRecord[] {
    let out: LogRecord[] | undefined;
    while (this.#chunks.length > 0 && (out?.length ?? 0) < max) {
      const chunk = this.#chunks[0]!;
      const available = chunk.records.length - chunk.next;
      const n = Math.min(max - (out?.length ?? 0), available);
      if (out === undefined && chunk.next === 0 && n === available) {
        out = chunk.records;
      } else {
        out ??= [];
        for (let i = chunk.next; i < chunk.next + n; i++) out.push(chunk.records[i]!);
      }
      chunk.next += n;
      chunk.state.polled = chunk.records[chunk.next - 1]!.offset + 1;
      this.#buffered -= n;
      if (chunk.next === chunk.records.length) this.#chunks.shift();
    }
    return out ?? [];
  }

  /** Forgets the buffered records of a partition that moved or was revoked. */
  purge(state: PartitionState): void {
    const kept: Chunk[] = [];
    for (const chunk of this.#chunks) {
      if (chunk.state === state) this.#buffered -= chunk.records.length - chunk.next;
      else kept.push(chunk);
    }
    this.#chunks = kept;
  }

  clear(): void {
    this.#chunks = [];
    this.#buffered = 0;
  }

  async #fetchRound(states: readonly PartitionState[], owns: (state: PartitionState) => boolean, replaced: (state: PartitionState) => void, maxWaitMs: number): Promise<void> {
    const started = Date.now();
    let added = 0;
    const topics = [...new Set(states.map((s) => s.topic))];
    const metadata = await this.#client.metadata({ topics });
    const topicNames = new Map<string, string>();
    // Per leader, per topic id, the partitions to read, and what each request asked for.
    const requests = new Map<number, Map<string, FetchRequestPartition[]>>();
    const asked = new Map<PartitionState, Request>();
    const outOfRange: [PartitionState, Request][] = [];
    for (const state of states) {
      const topic = metadata.topics.get(state.topic);
      const leader = topic?.partitions[state.partition]?.leader ?? -1;
      if (!topic || leader < 0) continue;
      if (topic.id !== state.topicId) {
        replaced(state);
        continue;
      }
      topicNames.set(topic.id, state.topic);
      let byTopic = requests.get(leader);
      if (!byTopic) {
        byTopic = new Map<string, FetchRequestPartition[]>();
        requests.set(leader, byTopic);
      }
      let partitions = byTopic.get(topic.id);
      if (!partitions) {
        partitions = [];
        byTopic.set(topic.id, partitions);
      }
      partitions.push({
        partition: state.partition,
        fetchOffset: BigInt(state.position),
        partitionMaxBytes: this.#settings.partitionMaxBytes,
        currentLeaderEpoch: -1,
        lastFetchedEpoch: -1,
      });
      asked.set(state, { version: state.version, position: state.position });
    }
    const byKey = new Map(states.map((s) => [s.key, s]));
    await Promise.all(
      [...requests].map(async ([node, byTopic]) => {
        const response = await this.#fetch(node, [...byTopic].map(([topicId, partitions]) => ({ topicId, partitions })), maxWaitMs);
        for (const topicResponse of response.responses) {
          const topic = topicNames.get(topicResponse.topicId);
          if (topic === undefined) continue;
          for (const p of topicResponse.partitions) {
            const state = byKey.get(partitionKey(topic, p.partitionIndex));
            const request = state && asked.get(state);
            // Stale: the partition was revoked, sought or read on since this request left.
            if (!state || !request || !isCurrent(state, request, owns)) continue;
            if (p.errorCode === OFFSET_OUT_OF_RANGE) {
              outOfRange.push([state, request]);
              continue;
            }
            // Other partition errors (leadership moving, a topic being deleted) are retried by the
            // next round once the driver's metadata is refreshed.
            if (p.errorCode !== 0 || !p.records || p.records.length === 0) continue;
            const records: LogRecord[] = [];
            state.position = appendLogRecords(topic, p.partitionIndex, p.records, p.abortedTransactions, request.position, records);
            if (records.length > 0) {
              this.#chunks.push({ state, records, next: 0 });
              this.#buffered += records.length;
              added += records.length;
            }
          }
        }
      }),
    );
    await Promise.all(outOfRange.map(([state, request]) => this.#resumeInRange(state, request, owns)));
    // A broker answering at once with nothing (a partition in error, a fetch session being reset)
    // would otherwise have poll send fetch after fetch; wait as a fetch at the broker would have.
    const early = Math.min(maxWaitMs - (Date.now() - started), EMPTY_ROUND_PAUSE_MS);
    if (added === 0 && early > 0) await new Promise((resolve) => setTimeout(resolve, early));
  }

  /** Moves a position the broker called out of range to the nearer end of the partition. */
  async #resumeInRange(state: PartitionState, request: Request, owns: (state: PartitionState) => boolean): Promise<void> {
    const { topic, partition } = state;
    const bounds = await partitionBounds(this.#client, topic, partition);
    if (!isCurrent(state, request, owns)) return;
    const resumed = insideLog(request.position, bounds, { group: this.#client.groupId, topic, partition }, this.#settings.onWarning);
    // Inside by now (records were appended up to it): the next round reads there.
    if (resumed === request.position) return;
    state.position = resumed;
    state.version++;
  }

  /** One fetch; a response whose only errors are per partition is still returned, for its good partitions. */
  async #fetch(node: number, topics: FetchRequestTopic[], maxWaitMs: number): Promise<FetchResponse> {
    try {
      return await this.#client.fetch({
        node,
        topics,
        maxWaitTime: maxWaitMs,
        minBytes: 1,
        maxBytes: this.#settings.maxBytes,
        connectionPool: this.#pool,
      });
    } catch (error) {
      const carrier = findDriverError(error, (e) => isFetchResponse((e as { response?: unknown }).response));
      const response = (carrier as { response?: FetchResponse } | undefined)?.response;
      if (response && response.errorCode === 0) {
        if (response.responses.some((t) => t.partitions.some((p) => p.errorCode !== 0 && p.errorCode !== OFFSET_OUT_OF_RANGE))) {
          this.#client.clearMetadata();
        }
        return response;
      }
      throw error;
    }
  }
}

/** The partition is still this member's, and neither sought nor read on since `request`. */
function isCurrent(state: PartitionState, request: Request, owns: (state: PartitionState) => boolean): boolean {
  return owns(state) && state.version === request.version && state.position === request.position;
}

function isFetchResponse(value: unknown): value is FetchResponse {
  return typeof value === 'object' && value !== null && Array.isArray((value as { responses?: unknown }).responses);
}
