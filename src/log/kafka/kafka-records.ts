/**
 * Records between our interface and the driver's wire shapes. These run once per record on the hot
 * produce and consume paths, so they avoid per-record bigint arithmetic, closures and Map copies.
 *
 * Consumers fetch with read_committed: the broker returns data up to the last stable offset, with
 * the list of aborted transactions the returned range overlaps, and leaves the dropping of their
 * batches to the client. We drop them here (`AbortedBatches`), the way Kafka's Java consumer does;
 * the driver's own filter keeps one aborted range per producer per response, so it lets earlier
 * aborted transactions of a producer through.
 */
import type { MessageToProduce, RecordsBatch } from '@platformatic/kafka';
import type { LogRecord, ProducerRecord } from '../log.ts';

/** Kafka's batch header (61 bytes) plus room for the per-record varints; used only for estimates. */
export const BATCH_OVERHEAD_BYTES = 64;
const RECORD_OVERHEAD_BYTES = 32;
const HEADER_OVERHEAD_BYTES = 10;

/** Bit 4 of a batch's attributes: its records belong to a transaction. */
const IS_TRANSACTIONAL = 1 << 4;
/** Bit 5 of a batch's attributes marks transaction markers, which carry no user record. */
const IS_CONTROL = 1 << 5;
/** A control record's key is version (int16) then type (int16): 0 ends an aborted transaction, 1 a committed one. */
const ABORT_MARKER = 0;

/** One entry of a fetch response's aborted transactions: a producer's transaction that was aborted, and its first offset. */
export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

const noHeaders: Readonly<Record<string, Buffer>> = Object.freeze({});

/** The size `maxRecordBytes` limits: key, value and headers (names as UTF-8), as documented. */
export function recordBytes(record: ProducerRecord): number {
  let size = (record.key?.length ?? 0) + (record.value?.length ?? 0);
  if (record.headers) {
    for (const name in record.headers) size += Buffer.byteLength(name) + record.headers[name]!.length;
  }
  return size;
}

/** An upper estimate of the record's bytes inside a batch, for splitting sends into batches. */
export function wireBytes(record: ProducerRecord, payloadBytes: number): number {
  let headers = 0;
  if (record.headers) for (const _ in record.headers) headers++;
  return payloadBytes + RECORD_OVERHEAD_BYTES + headers * HEADER_OVERHEAD_BYTES;
}

export function toDriverMessage(record: ProducerRecord, partition: number): MessageToProduce {
  const message: MessageToProduce = { topic: record.topic, partition };
  // The driver writes an absent key or value as null (-1 length), which is what a null means here.
  if (record.key) message.key = record.key;
  if (record.value) message.value = record.value;
  if (record.timestamp !== undefined) message.timestamp = BigInt(record.timestamp);
  if (record.headers) {
    const headers = new Map<Buffer, Buffer>();
    for (const name in record.headers) headers.set(Buffer.from(name), record.headers[name]!);
    if (headers.size > 0) message.headers = headers;
  }
  return message;
}

/**
 * Which batches of one partition's fetch response belong to aborted transactions. Asked about every
 * batch in offset order: an aborted transaction's producer becomes "aborting" at the first batch
 * reaching the transaction's first offset, and stops at that producer's abort marker; meanwhile its
 * transactional batches are dropped. The broker lists every aborted transaction the response's range
 * overlaps, also one begun before the fetch offset, so each response is judged on its own.
 */
class AbortedBatches {
  /** By first offset; `next` is the first not yet reached. */
  readonly #aborted: { producerId: bigint; firstOffset: number }[];
  #next = 0;
  readonly #aborting = new Set<bigint>();

  constructor(aborted: readonly AbortedTransaction[]) {
    this.#aborted = aborted.map((a) => ({ producerId: a.producerId, firstOffset: Number(a.firstOffset) })).sort((a, b) => a.firstOffset - b.firstOffset);
  }

  /** True when the data batch ending at `lastOffset` is part of an aborted transaction; updates the state on markers. */
  drops(batch: RecordsBatch, lastOffset: number): boolean {
    while (this.#next < this.#aborted.length && this.#aborted[this.#next]!.firstOffset <= lastOffset) {
      this.#aborting.add(this.#aborted[this.#next]!.producerId);
      this.#next++;
    }
    if (batch.attributes & IS_CONTROL) {
      if (isAbortMarker(batch)) this.#aborting.delete(batch.producerId);
      return true;
    }
    return (batch.attributes & IS_TRANSACTIONAL) !== 0 && this.#aborting.has(batch.producerId);
  }
}

function isAbortMarker(batch: RecordsBatch): boolean {
  const key = batch.records[0]?.key;
  return key !== undefined && key !== null && key.length >= 4 && key.readInt16BE(2) === ABORT_MARKER;
}

/**
 * Appends the records of `batches` at or after `fromOffset` to `out` and returns the next offset to
 * fetch (or `fromOffset` when the batches held nothing new). A fetch may start with a batch that
 * begins before the requested offset. Control batches (transaction markers) and the batches of the
 * `aborted` transactions are left out, but still move the position.
 */
export function appendLogRecords(
  topic: string,
  partition: number,
  batches: readonly RecordsBatch[],
  aborted: readonly AbortedTransaction[] | null | undefined,
  fromOffset: number,
  out: LogRecord[],
): number {
  const filter = aborted && aborted.length > 0 ? new AbortedBatches(aborted) : undefined;
  let next = fromOffset;
  for (const batch of batches) {
    const firstOffset = Number(batch.firstOffset);
    const end = firstOffset + batch.lastOffsetDelta + 1;
    if (end > next) next = end;
    if (filter ? filter.drops(batch, end - 1) : batch.attributes & IS_CONTROL) continue;
    const firstTimestamp = Number(batch.firstTimestamp);
    for (const record of batch.records) {
      const offset = firstOffset + record.offsetDelta;
      if (offset < fromOffset) continue;
      let headers = noHeaders;
      if (record.headers.length > 0) {
        const named: Record<string, Buffer> = {};
        for (const [name, value] of record.headers) {
          if (name) named[name.toString()] = value ?? Buffer.alloc(0);
        }
        headers = named;
      }
      out.push({
        topic,
        partition,
        offset,
        key: record.key,
        value: record.value,
        headers,
        timestamp: firstTimestamp + Number(record.timestampDelta),
      });
    }
  }
  return next;
}
