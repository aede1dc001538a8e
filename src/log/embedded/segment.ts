/**
 * One segment of a partition: `<base offset>.log` holding whole batches back to back, and
 * `<base offset>.index`, a sparse index (an entry every INDEX_INTERVAL bytes at a batch boundary:
 * first offset of the batch, its file position, the largest timestamp so far; three float64s).
 */
import { open, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { BATCH_HEADER_BYTES, plausible, readHeader, crcMatches } from './batch.ts';

export const INDEX_INTERVAL = 64 * 1024;
const ENTRY_BYTES = 24;

export interface IndexEntry {
  offset: number;
  position: number;
  maxTimestamp: number;
}

export function segmentName(base: number): string {
  return String(base).padStart(20, '0');
}

export class Segment {
  readonly base: number;
  readonly logPath: string;
  readonly indexPath: string;
  /** Bytes of whole batches in the file. */
  size = 0;
  /** The offset after the last record in this segment. */
  endOffset: number;
  maxTimestamp = -Infinity;
  readonly index: IndexEntry[] = [];
  private lastIndexedPosition = -Infinity;
  private readonly log: FileHandle;
  private readonly indexFile: FileHandle;

  private constructor(dir: string, base: number, log: FileHandle, indexFile: FileHandle) {
    this.log = log;
    this.indexFile = indexFile;
    this.base = base;
    this.endOffset = base;
    this.logPath = path.join(dir, `${segmentName(base)}.log`);
    this.indexPath = path.join(dir, `${segmentName(base)}.index`);
  }

  static async create(dir: string, base: number): Promise<Segment> {
    const name = segmentName(base);
    const log = await open(path.join(dir, `${name}.log`), 'w+');
    const index = await open(path.join(dir, `${name}.index`), 'w+');
    return new Segment(dir, base, log, index);
  }

  /**
   * Open an existing segment and find where its last whole batch ends. A batch cut short by a crash
   * (incomplete, or a zeroed tail) is truncated away; `onTruncate` says where and how much.
   */
  static async load(dir: string, base: number, onTruncate: (file: string, position: number, bytes: number) => void): Promise<Segment> {
    const name = segmentName(base);
    const log = await open(path.join(dir, `${name}.log`), 'r+');
    const indexFile = await open(path.join(dir, `${name}.index`), 'r+').catch(() => open(path.join(dir, `${name}.index`), 'w+'));
    const segment = new Segment(dir, base, log, indexFile);
    await segment.recover(onTruncate);
    return segment;
  }

  private async recover(onTruncate: (file: string, position: number, bytes: number) => void): Promise<void> {
    const fileSize = (await this.log.stat()).size;
    const raw = await readAll(this.indexFile);
    for (let p = 0; p + ENTRY_BYTES <= raw.length; p += ENTRY_BYTES) {
      const entry = { offset: raw.readDoubleLE(p), position: raw.readDoubleLE(p + 8), maxTimestamp: raw.readDoubleLE(p + 16) };
      if (entry.position >= fileSize) break;
      this.index.push(entry);
    }
    const last = this.index.at(-1);
    let pos = last?.position ?? 0;
    this.endOffset = last?.offset ?? this.base;
    this.maxTimestamp = last?.maxTimestamp ?? -Infinity;
    this.lastIndexedPosition = last?.position ?? -Infinity;
    // Walk the batches after the last index entry; everything before it was whole when indexed.
    while (pos < fileSize) {
      const head = await this.read(pos, Math.min(BATCH_HEADER_BYTES, fileSize - pos));
      const header = readHeader(head, 0);
      if (!header || !plausible(header) || pos + header.size > fileSize) break;
      const batch = await this.read(pos, header.size);
      if (pos + header.size === fileSize && !crcMatches(batch)) break;
      this.endOffset = header.baseOffset + header.count;
      this.maxTimestamp = Math.max(this.maxTimestamp, header.maxTimestamp);
      pos += header.size;
    }
    if (pos < fileSize) {
      onTruncate(this.logPath, pos, fileSize - pos);
      await this.log.truncate(pos);
    }
    if (raw.length !== this.index.length * ENTRY_BYTES) await this.rewriteIndex();
    this.size = pos;
  }

  private async rewriteIndex(): Promise<void> {
    const buf = Buffer.alloc(this.index.length * ENTRY_BYTES);
    this.index.forEach((e, i) => {
      buf.writeDoubleLE(e.offset, i * ENTRY_BYTES);
      buf.writeDoubleLE(e.position, i * ENTRY_BYTES + 8);
      buf.writeDoubleLE(e.maxTimestamp, i * ENTRY_BYTES + 16);
    });
    await this.indexFile.truncate(0);
    await this.indexFile.write(buf, 0, buf.length, 0);
  }

  /**
   * Append whole batches (already encoded) at the end. `batches` describes each for the index. When a
   * write fails (a full disk), the segment is put back as it was: the files are cut back to their
   * length before the call, so nothing of a failed append is left for a reader or a restart to find.
   */
  async append(buffers: Buffer[], batches: readonly { offset: number; count: number; maxTimestamp: number; size: number }[]): Promise<void> {
    const before = { size: this.size, endOffset: this.endOffset, maxTimestamp: this.maxTimestamp, lastIndexedPosition: this.lastIndexedPosition };
    try {
      await this.appendBatches(buffers, batches);
    } catch (error) {
      ({ size: this.size, endOffset: this.endOffset, maxTimestamp: this.maxTimestamp, lastIndexedPosition: this.lastIndexedPosition } = before);
      // Shrinking a file needs no space; if even this fails, recovery on open truncates the tail.
      await this.log.truncate(before.size).catch(() => undefined);
      await this.indexFile.truncate(this.index.length * ENTRY_BYTES).catch(() => undefined);
      throw error;
    }
  }

  private async appendBatches(buffers: Buffer[], batches: readonly { offset: number; count: number; maxTimestamp: number; size: number }[]): Promise<void> {
    await writeAll(this.log, buffers, this.size);
    const entries: IndexEntry[] = [];
    let pos = this.size;
    for (const b of batches) {
      this.maxTimestamp = Math.max(this.maxTimestamp, b.maxTimestamp);
      if (pos - this.lastIndexedPosition >= INDEX_INTERVAL) {
        const entry = { offset: b.offset, position: pos, maxTimestamp: this.maxTimestamp };
        entries.push(entry);
        this.lastIndexedPosition = pos;
      }
      pos += b.size;
      this.endOffset = b.offset + b.count;
    }
    this.size = pos;
    if (entries.length > 0) {
      const buf = Buffer.allocUnsafe(entries.length * ENTRY_BYTES);
      entries.forEach((e, i) => {
        buf.writeDoubleLE(e.offset, i * ENTRY_BYTES);
        buf.writeDoubleLE(e.position, i * ENTRY_BYTES + 8);
        buf.writeDoubleLE(e.maxTimestamp, i * ENTRY_BYTES + 16);
      });
      await writeAll(this.indexFile, [buf], this.index.length * ENTRY_BYTES);
      this.index.push(...entries);
    }
  }

  async sync(): Promise<void> {
    await this.log.datasync();
  }

  /** Read `length` bytes at `position` (fewer at the end of the file). */
  async read(position: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    const { bytesRead } = await this.log.read(buf, 0, length, position);
    return bytesRead === length ? buf : buf.subarray(0, bytesRead);
  }

  /** The file position of the index entry at or before `offset` (0 without one). */
  positionFor(offset: number): number {
    return this.search((e) => e.offset <= offset)?.position ?? 0;
  }

  /** The file position of the last index entry whose running maximum timestamp is below `timestamp`. */
  positionForTimestamp(timestamp: number): number {
    return this.search((e) => e.maxTimestamp < timestamp)?.position ?? 0;
  }

  /** The next index entry strictly after `position`: where reading can resume past a damaged batch. */
  nextIndexedPosition(position: number): IndexEntry | undefined {
    return this.index.find((e) => e.position > position);
  }

  private search(before: (e: IndexEntry) => boolean): IndexEntry | undefined {
    let lo = 0;
    let hi = this.index.length - 1;
    let found: IndexEntry | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const entry = this.index[mid]!;
      if (before(entry)) {
        found = entry;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  async close(): Promise<void> {
    await Promise.all([this.log.close(), this.indexFile.close()]);
  }

  async delete(): Promise<void> {
    await this.close();
    await Promise.all([rm(this.logPath, { force: true }), rm(this.indexPath, { force: true })]);
  }
}

async function readAll(file: FileHandle): Promise<Buffer> {
  const { size } = await file.stat();
  const buf = Buffer.alloc(size);
  if (size > 0) await file.read(buf, 0, size, 0);
  return buf;
}

/**
 * Write every byte of `buffers` at `position`. A write may be short without an error (the file system
 * filled up mid-way, a signal): the rest is written by further calls, the one that cannot write at
 * all throws (ENOSPC), and the caller puts the file back (Segment.append).
 */
async function writeAll(file: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  let left = buffers;
  let at = position;
  for (;;) {
    const total = left.reduce((n, b) => n + b.length, 0);
    if (total === 0) return;
    const { bytesWritten } = await file.writev(left, at);
    if (bytesWritten === total) return;
    at += bytesWritten;
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const b of left) {
      if (skip >= b.length) skip -= b.length;
      else {
        rest.push(skip > 0 ? b.subarray(skip) : b);
        skip = 0;
      }
    }
    left = rest;
  }
}
