/**
 * LogProducer over the driver's idempotent Producer (acks from all in-sync replicas).
 *
 * Throughput: one `send` becomes as few produce requests as possible. Records are partitioned here
 * (our murmur2 partitioner for keys, round-robin otherwise), then grouped into rounds holding at
 * most one batch of ~BATCH_TARGET_BYTES per partition, because Kafka checks max.message.bytes per
 * batch and the driver puts all of a request's records for one partition into one batch. A send
 * that fits one round (the usual case) is one driver call with no extra await before it, so
 * callers that keep several sends in flight keep their order.
 */
import type { MessageToProduce, Producer } from '@platformatic/kafka';
import { TributaryError } from '../../errors.ts';
import type { LogProducer, ProducerRecord, RecordPosition } from '../log.ts';
import { partitionForKey } from '../partitioner.ts';
import { isUnknownTopic, toLogError } from './kafka-errors.ts';
import { recordBytes, toDriverMessage, wireBytes } from './kafka-records.ts';
import { lookupTopic } from './kafka-topics.ts';

/** Batch size we aim for per partition and request: under the broker's default message.max.bytes (1,048,588) with room for the batch header. */
const BATCH_TARGET_BYTES = 1_000_000;

export interface KafkaProducerSettings {
  maxRecordBytes: number;
  /** Creates a missing topic (auto-create on), or undefined when producing to one is an error. */
  createTopic: ((topic: string) => Promise<void>) | undefined;
  onClose: () => void;
}

interface Round {
  messages: MessageToProduce[];
  /** For each message, the index of its record in the caller's array. */
  indexes: number[];
  /** For each message, its partition's slot (see #sendRounds). */
  slots: number[];
  /** Bytes already in this round, per slot. */
  bytes: number[];
}

export class KafkaProducer implements LogProducer {
  readonly #producer: Producer;
  readonly #settings: KafkaProducerSettings;
  readonly #roundRobin = new Map<string, number>();
  /** Open while a send looks its topics up; later sends wait for it (see #sendAfterLookup). */
  #gate: Promise<void> | undefined;
  #closed = false;

  constructor(producer: Producer, settings: KafkaProducerSettings) {
    this.#producer = producer;
    this.#settings = settings;
  }

  send(records: readonly ProducerRecord[]): Promise<RecordPosition[]> {
    if (this.#closed) return Promise.reject(new TributaryError('LOG_CLOSED', 'This Kafka producer is closed'));
    if (records.length === 0) return Promise.resolve([]);
    let sizes: number[];
    try {
      sizes = this.#checkSizes(records);
      const counts = this.#gate ? undefined : this.#knownPartitionCounts(records);
      if (counts) return this.#sendRounds(records, sizes, counts);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return this.#sendAfterLookup(records, sizes);
  }

  /**
   * The slow path, for topics the driver has no metadata for yet. Sends that arrive meanwhile queue
   * behind it, so that they still reach the driver in call order.
   */
  async #sendAfterLookup(records: readonly ProducerRecord[], sizes: readonly number[]): Promise<RecordPosition[]> {
    const previous = this.#gate;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    this.#gate = gate;
    try {
      if (previous) await previous;
      const counts = this.#knownPartitionCounts(records) ?? (await this.#resolveTopics(records));
      // Returned, not awaited: the first round is handed to the driver now, then the gate opens.
      return this.#sendRounds(records, sizes, counts);
    } finally {
      release();
      if (this.#gate === gate) this.#gate = undefined;
    }
  }

  /** Each record's size; refuses the whole send, before anything is sent, if one is over the limit. */
  #checkSizes(records: readonly ProducerRecord[]): number[] {
    const limit = this.#settings.maxRecordBytes;
    const sizes = new Array<number>(records.length);
    for (let i = 0; i < records.length; i++) {
      const size = recordBytes(records[i]!);
      if (size > limit) {
        throw new TributaryError('RECORD_TOO_LARGE', `Record ${i} for topic "${records[i]!.topic}" is ${size} bytes (key, value and headers), over the limit of ${limit} bytes (maxRecordBytes)`);
      }
      sizes[i] = size;
    }
    return sizes;
  }

  /** Partition counts from the driver's metadata cache, or undefined if a topic is not in it. */
  #knownPartitionCounts(records: readonly ProducerRecord[]): Map<string, number> | undefined {
    const cached = this.#producer.currentMetadata?.topics;
    const counts = new Map<string, number>();
    for (const { topic } of records) {
      if (counts.has(topic)) continue;
      const count = cached?.get(topic)?.partitionsCount;
      if (!count) return undefined;
      counts.set(topic, count);
    }
    return counts;
  }

  async #resolveTopics(records: readonly ProducerRecord[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const { topic } of records) {
      if (counts.has(topic)) continue;
      let metadata = await lookupTopic(this.#producer, topic);
      if (!metadata) {
        const create = this.#settings.createTopic;
        if (!create) {
          throw new TributaryError('TOPIC_NOT_FOUND', `Kafka topic "${topic}" does not exist and auto-create is off (log.autoCreateTopics); create it first`);
        }
        await create(topic);
        metadata = await lookupTopic(this.#producer, topic, true);
        if (!metadata) throw new TributaryError('TOPIC_NOT_FOUND', `Kafka topic "${topic}" was created but the cluster does not list it`);
      }
      counts.set(topic, metadata.partitionsCount);
    }
    return counts;
  }

  #partitionOf(record: ProducerRecord, count: number): number {
    if (record.partition !== undefined) {
      if (!Number.isInteger(record.partition) || record.partition < 0 || record.partition >= count) {
        throw new TributaryError('TOPIC_NOT_FOUND', `Kafka topic "${record.topic}" has ${count} partitions; partition ${record.partition} does not exist`);
      }
      return record.partition;
    }
    if (record.key) return partitionForKey(record.key, count);
    const next = this.#roundRobin.get(record.topic) ?? 0;
    this.#roundRobin.set(record.topic, next + 1);
    return next % count;
  }

  #sendRounds(records: readonly ProducerRecord[], sizes: readonly number[], counts: ReadonlyMap<string, number>): Promise<RecordPosition[]> {
    // Partitions are numbered across the send's topics ("slots"), so the per-record bookkeeping
    // below is array indexing rather than string keys.
    const bases = new Map<string, number>();
    let slotCount = 0;
    for (const [topic, count] of counts) {
      bases.set(topic, slotCount);
      slotCount += count;
    }
    const rounds: Round[] = [];
    // Per slot, the first round that may still have room for it.
    const firstOpen = new Array<number>(slotCount).fill(0);
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      const partition = this.#partitionOf(record, counts.get(record.topic)!);
      const slot = bases.get(record.topic)! + partition;
      const size = wireBytes(record, sizes[i]!);
      for (let r = firstOpen[slot]!; ; r++) {
        let round = rounds[r];
        if (!round) rounds.push((round = { messages: [], indexes: [], slots: [], bytes: new Array<number>(slotCount).fill(0) }));
        const used = round.bytes[slot]!;
        if (used === 0 || used + size <= BATCH_TARGET_BYTES) {
          round.messages.push(toDriverMessage(record, partition));
          round.indexes.push(i);
          round.slots.push(slot);
          round.bytes[slot] = used + size;
          firstOpen[slot] = r;
          break;
        }
      }
    }
    const positions: RecordPosition[] = new Array<RecordPosition>(records.length);
    const send = (round: Round) => this.#sendRound(round, bases, slotCount, positions);
    // The first round goes to the driver now, in call order; the others one after the other, as a
    // partition's second batch must not overtake its first.
    let sent = send(rounds[0]!);
    for (const round of rounds.slice(1)) sent = sent.then(() => send(round));
    return sent.then(() => positions);
  }

  async #sendRound(round: Round, bases: ReadonlyMap<string, number>, slotCount: number, positions: RecordPosition[]): Promise<void> {
    let result;
    try {
      result = await this.#producer.send({ messages: round.messages });
    } catch (error) {
      if (isUnknownTopic(error)) {
        const topics = [...new Set(round.messages.map((m) => m.topic))].join('", "');
        throw new TributaryError('TOPIC_NOT_FOUND', `Kafka topic "${topics}" does not exist (deleted while producing?)`, { cause: error });
      }
      throw toLogError(error, 'produce');
    }
    // The broker answers with the base offset of each partition's batch; the driver keeps the
    // records of a partition in request order, so each record's offset is base + its rank.
    const next = new Array<number>(slotCount).fill(-1);
    for (const { topic, partition, offset } of result.offsets ?? []) next[bases.get(topic)! + partition] = Number(offset);
    for (let j = 0; j < round.messages.length; j++) {
      const { topic, partition } = round.messages[j]!;
      const slot = round.slots[j]!;
      const offset = next[slot]!;
      if (offset < 0) throw new TributaryError('INTERNAL', `Kafka acknowledged no offset for ${topic}[${partition}]`);
      next[slot] = offset + 1;
      positions[round.indexes[j]!] = { topic, partition: partition!, offset };
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#settings.onClose();
    await this.#producer.close();
  }
}
