/**
 * The on-disk record batch of the embedded log. One append of N records to one partition is one
 * batch; a CRC-32 over everything after the CRC field detects a torn or corrupted batch.
 *
 *   0  u32  length of the batch after this field
 *   4  u32  CRC-32 of bytes 8..end
 *   8  u8   format version (1)
 *   9  u8   flags (0)
 *  10  u16  reserved
 *  12  u48  base offset (offset of the first record), then u16 reserved
 *  20  u32  record count
 *  24  f64  smallest timestamp (ms)
 *  32  f64  largest timestamp (ms)
 *  40  records, each:
 *        f64 timestamp · i32 key length (-1: null) · key · i32 value length (-1: null) · value
 *        u16 header count · per header: u16 name length · name (UTF-8) · i32 value length · value
 *
 * Little-endian throughout. Timestamps are whole milliseconds, exact in a float64.
 */
import { crc32 } from 'node:zlib';
import type { LogRecord, ProducerRecord } from '../log.ts';

export const BATCH_HEADER_BYTES = 40;
const VERSION = 1;
const NO_HEADERS: Readonly<Record<string, Buffer>> = Object.freeze({});

export interface BatchHeader {
  /** Total bytes of the batch, including the length field. */
  size: number;
  crc: number;
  baseOffset: number;
  count: number;
  minTimestamp: number;
  maxTimestamp: number;
}

/** Bytes one record takes inside a batch; also the size checked against the record size limit. */
export function recordBytes(record: ProducerRecord): number {
  let size = 8 + 4 + (record.key?.length ?? 0) + 4 + (record.value?.length ?? 0) + 2;
  if (record.headers) for (const name in record.headers) size += 2 + Buffer.byteLength(name) + 4 + record.headers[name]!.length;
  return size;
}

/** Encode records (already validated) as one batch starting at `baseOffset`. */
export function encodeBatch(records: readonly ProducerRecord[], sizes: readonly number[], baseOffset: number, now: number): Buffer {
  let total = BATCH_HEADER_BYTES;
  for (const size of sizes) total += size;
  const buf = Buffer.allocUnsafe(total);
  let pos = BATCH_HEADER_BYTES;
  let min = Infinity;
  let max = -Infinity;
  for (const record of records) {
    const ts = record.timestamp ?? now;
    if (ts < min) min = ts;
    if (ts > max) max = ts;
    buf.writeDoubleLE(ts, pos);
    pos = writeBytes(buf, pos + 8, record.key ?? null);
    pos = writeBytes(buf, pos, record.value);
    const headers = record.headers;
    let count = 0;
    const countAt = pos;
    pos += 2;
    if (headers) {
      for (const name in headers) {
        const nameLength = buf.write(name, pos + 2, 'utf8');
        buf.writeUInt16LE(nameLength, pos);
        pos = writeBytes(buf, pos + 2 + nameLength, headers[name]!);
        count++;
      }
    }
    buf.writeUInt16LE(count, countAt);
  }
  buf.writeUInt32LE(total - 4, 0);
  buf.writeUInt8(VERSION, 8);
  buf.writeUInt8(0, 9);
  buf.writeUInt16LE(0, 10);
  buf.writeUIntLE(baseOffset, 12, 6);
  buf.writeUInt16LE(0, 18);
  buf.writeUInt32LE(records.length, 20);
  buf.writeDoubleLE(records.length > 0 ? min : now, 24);
  buf.writeDoubleLE(records.length > 0 ? max : now, 32);
  buf.writeUInt32LE(crc32(buf.subarray(8)), 4);
  return buf;
}

function writeBytes(buf: Buffer, pos: number, bytes: Buffer | null): number {
  if (bytes === null) {
    buf.writeInt32LE(-1, pos);
    return pos + 4;
  }
  buf.writeInt32LE(bytes.length, pos);
  bytes.copy(buf, pos + 4);
  return pos + 4 + bytes.length;
}

/** The header at `pos`, or undefined when fewer than BATCH_HEADER_BYTES remain. */
export function readHeader(buf: Buffer, pos: number): BatchHeader | undefined {
  if (buf.length - pos < BATCH_HEADER_BYTES) return undefined;
  return {
    size: buf.readUInt32LE(pos) + 4,
    crc: buf.readUInt32LE(pos + 4),
    baseOffset: buf.readUIntLE(pos + 12, 6),
    count: buf.readUInt32LE(pos + 20),
    minTimestamp: buf.readDoubleLE(pos + 24),
    maxTimestamp: buf.readDoubleLE(pos + 32),
  };
}

/** Whether a header's declared size is possible at all (a zeroed or torn tail is not). */
export function plausible(header: BatchHeader): boolean {
  return header.size >= BATCH_HEADER_BYTES && header.count > 0 && header.size <= 0x7fffffff;
}

export function crcMatches(batch: Buffer): boolean {
  return crc32(batch.subarray(8)) === batch.readUInt32LE(4);
}

/**
 * Decode the records of one whole batch (already CRC-checked), skipping those before `fromOffset`,
 * into `out`. Keys, values and headers are views into `batch`, not copies.
 */
export function decodeBatch(batch: Buffer, topic: string, partition: number, fromOffset: number, out: LogRecord[]): void {
  const base = batch.readUIntLE(12, 6);
  const count = batch.readUInt32LE(20);
  let pos = BATCH_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const timestamp = batch.readDoubleLE(pos);
    pos += 8;
    const keyLength = batch.readInt32LE(pos);
    pos += 4;
    const key = keyLength < 0 ? null : batch.subarray(pos, (pos += keyLength));
    const valueLength = batch.readInt32LE(pos);
    pos += 4;
    const value = valueLength < 0 ? null : batch.subarray(pos, (pos += valueLength));
    const headerCount = batch.readUInt16LE(pos);
    pos += 2;
    let headers = NO_HEADERS;
    if (headerCount > 0) {
      const h: Record<string, Buffer> = {};
      for (let j = 0; j < headerCount; j++) {
        const nameLength = batch.readUInt16LE(pos);
        const name = batch.toString('utf8', pos + 2, pos + 2 + nameLength);
        pos += 2 + nameLength;
        const length = batch.readInt32LE(pos);
        pos += 4;
        h[name] = batch.subarray(pos, (pos += length));
      }
      headers = h;
    }
    const offset = base + i;
    if (offset >= fromOffset) out.push({ topic, partition, offset, key, value, headers, timestamp });
  }
}
