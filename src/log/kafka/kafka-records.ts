/**
 * Records between our interface and the driver's wire shapes. These run once per record on the hot
 * produce and consume paths, so they avoid per-record bigint arithmetic, closures and Map copies.
 */
import type { MessageToProduce, RecordsBatch } from '@platformatic/kafka';
import type { LogRecord, ProducerRecord } from '../log.ts';

/** Kafka's batch header (61 bytes) plus room for the per-record varints; used only for estimates. */
export const BATCH_OVERHEAD_BYTES = 64;
const RECORD_OVERHEAD_BYTES = 32;
const HEADER_OVERHEAD_BYTES = 10;

/** Bit 5 of a batch's attributes marks transaction markers, which carry no user record. */
const IS_CONTROL = 1 << 5;

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
 * Appends the records of `batches` at or after `fromOffset` to `out` and returns the next offset to
 * fetch (or `fromOffset` when the batches held nothing new). A fetch may start with a batch that
 * begins before the requested offset, and control batches still move the position.
 */
export function appendLogRecords(topic: string, partition: number, batches: readonly RecordsBatch[], fromOffset: number, out: LogRecord[]): number {
  let next = fromOffset;
  for (const batch of batches) {
    const firstOffset = Number(batch.firstOffset);
    const end = firstOffset + batch.lastOffsetDelta + 1;
    if (end > next) next = end;
    if (batch.attributes & IS_CONTROL) continue;
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
