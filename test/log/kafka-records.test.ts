/**
 * The read_committed filter of the Kafka consumer on hand-made fetch responses: cases a broker
 * produces only under particular timing (a fetch starting inside an aborted transaction, a marker in
 * a later response). The real broker's responses are tested in kafka-transactions.kafka.test.ts.
 */
import type { KafkaRecord, RecordsBatch } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../../src/log/log.ts';
import { appendLogRecords, type AbortedTransaction } from '../../src/log/kafka/kafka-records.ts';

const TRANSACTIONAL = 1 << 4;
const CONTROL = 1 << 5;

function record(offsetDelta: number, value: string): KafkaRecord {
  return { length: 0, attributes: 0, timestampDelta: 0n, offsetDelta, key: null, value: Buffer.from(value), headers: [] };
}

function batch(firstOffset: number, producerId: number, attributes: number, records: KafkaRecord[]): RecordsBatch {
  return {
    firstOffset: BigInt(firstOffset),
    length: 0,
    partitionLeaderEpoch: 0,
    magic: 2,
    crc: 0,
    attributes,
    lastOffsetDelta: Math.max(0, records.length - 1),
    firstTimestamp: 1_000n,
    maxTimestamp: 1_000n,
    producerId: BigInt(producerId),
    producerEpoch: 0,
    firstSequence: 0,
    records,
  };
}

/** A transactional data batch of `values` at `offset`. */
const data = (offset: number, producer: number, ...values: string[]) => batch(offset, producer, TRANSACTIONAL, values.map((v, i) => record(i, v)));
/** A transaction marker: type 0 aborts, 1 commits. */
function marker(offset: number, producer: number, type: 'abort' | 'commit'): RecordsBatch {
  const key = Buffer.alloc(4);
  key.writeInt16BE(type === 'abort' ? 0 : 1, 2);
  return batch(offset, producer, TRANSACTIONAL | CONTROL, [{ ...record(0, ''), key, value: Buffer.from([0, 0, 0, 0, 0, 0]) }]);
}
const aborted = (producerId: number, firstOffset: number): AbortedTransaction => ({ producerId: BigInt(producerId), firstOffset: BigInt(firstOffset) });

function read(batches: RecordsBatch[], abortedList: AbortedTransaction[] | null, from = 0): { values: string[]; next: number } {
  const out: LogRecord[] = [];
  const next = appendLogRecords('t', 0, batches, abortedList, from, out);
  return { values: out.map((r) => r.value!.toString()), next };
}

describe('appendLogRecords', () => {
  it('should drop every aborted transaction of one producer, not only its last', () => {
    const batches = [data(0, 7, 'c1'), marker(1, 7, 'commit'), data(2, 7, 'x1'), marker(3, 7, 'abort'), data(4, 7, 'x2'), marker(5, 7, 'abort'), data(6, 7, 'c2'), marker(7, 7, 'commit')];
    expect(read(batches, [aborted(7, 2), aborted(7, 4)])).toEqual({ values: ['c1', 'c2'], next: 8 });
  });

  it('should drop an aborted transaction that began before the fetched offset, and one whose marker is not in the response', () => {
    // Fetched from 3: the batch at 2 belongs to a transaction begun at 0; the one at 6 has its marker later.
    const batches = [data(2, 7, 'x', 'x'), marker(4, 7, 'abort'), data(5, 8, 'c'), data(6, 7, 'y')];
    expect(read(batches, [aborted(7, 0), aborted(7, 6)], 3)).toEqual({ values: ['c'], next: 7 });
  });

  it('should keep what other producers and non-transactional batches wrote inside an aborted transaction', () => {
    const plain = batch(2, 7, 0, [record(0, 'idempotent-same-producer-id')]);
    const batches = [data(0, 7, 'x'), data(1, 9, 'other'), plain, marker(3, 7, 'abort'), marker(4, 9, 'commit')];
    expect(read(batches, [aborted(7, 0)]).values).toEqual(['other', 'idempotent-same-producer-id']);
  });

  it('should never return a transaction marker, with or without aborted transactions', () => {
    const batches = [data(0, 7, 'a'), marker(1, 7, 'commit'), data(2, 7, 'b'), marker(3, 7, 'abort')];
    expect(read(batches, null)).toEqual({ values: ['a', 'b'], next: 4 });
    expect(read(batches, [])).toEqual({ values: ['a', 'b'], next: 4 });
    // A response of markers only still moves the position past them.
    expect(read([marker(5, 7, 'commit'), marker(6, 8, 'abort')], [aborted(8, 4)], 5)).toEqual({ values: [], next: 7 });
  });
});
