/**
 * The archiver's Parquet writer, on DuckDB: each open range of one partition is a table in a private
 * in-memory database, filled through an appender; rolling it COPYs the table to Parquet files in a
 * local staging directory, one per event-time hour (`dt=.../hr=...`), and drops the table.
 *
 * Why an appender into a table and not DuckDB reading JSON: the record's key and value go in as the
 * bytes the log handed over (no string round trip through JavaScript), offsets and timestamps as
 * doubles (exact below 2^53, no BigInt per record); DuckDB decodes the UTF-8 and builds the typed
 * columns during the COPY, on its own threads. The COPY of one range runs while the next is appended.
 */
import { isUtf8 } from 'node:buffer';
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBAppender, DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { TributaryError } from '../errors.ts';
import type { LogRecord } from '../log/log.ts';
import { archiveFileId } from './archiver-layout.ts';

/** One partition's range being filled. */
export class ArchiveBuffer {
  readonly topic: string;
  readonly partition: number;
  readonly table: string;
  readonly openedAt: number;
  /** The partition's epoch when the range opened (archiver.ts). */
  readonly epoch: number;
  /**
   * The first offset the range covers: where the previous range ended, or where reading started.
   * The log may have no record there (Kafka: transaction markers, aborted or compacted records), so
   * it can be below the first row's offset; ranges of a partition still follow each other exactly.
   */
  readonly from: number;
  /** The last row's offset; -1 while empty. */
  to = -1;
  rows = 0;
  /** Key, value and header bytes appended: what `rollBytes` is compared with. */
  bytes = 0;
  private readonly appender: DuckDBAppender;
  private sealed = false;

  constructor(topic: string, partition: number, table: string, appender: DuckDBAppender, now: number, epoch: number, from: number) {
    this.topic = topic;
    this.epoch = epoch;
    this.from = from;
    this.partition = partition;
    this.table = table;
    this.appender = appender;
    this.openedAt = now;
  }

  append(record: LogRecord): void {
    const a = this.appender;
    a.appendDouble(record.offset);
    a.appendDouble(record.timestamp);
    appendText(a, record.key);
    appendText(a, record.value);
    let headerBytes = 0;
    let headers: Record<string, string> | undefined;
    // Most records have no headers: a for-in finds that out without allocating an array of names.
    for (const name in record.headers) {
      const value = record.headers[name]!;
      (headers ??= {})[name] = value.toString('utf8');
      headerBytes += name.length + value.length;
    }
    if (headers === undefined) a.appendNull();
    else a.appendVarchar(JSON.stringify(headers));
    a.endRow();
    this.to = record.offset;
    this.rows++;
    this.bytes += (record.key?.length ?? 0) + (record.value?.length ?? 0) + headerBytes + 16;
  }

  /** Flush and close the appender; the table then holds every appended row. */
  seal(): void {
    if (this.sealed) return;
    this.sealed = true;
    this.appender.flushSync();
    this.appender.closeSync();
  }
}

/** Invalid UTF-8 cannot be a VARCHAR: such bytes are stored with U+FFFD in their place. */
function appendText(a: DuckDBAppender, bytes: Buffer | null): void {
  if (bytes === null) a.appendNull();
  else a.appendBlob(isUtf8(bytes) ? bytes : Buffer.from(bytes.toString('utf8'), 'utf8'));
}

/** A file staged for the lake. */
export interface StagedArchiveFile {
  /** `dt=YYYY-MM-DD/hr=HH` */
  partition: string;
  /** `p<partition>-<from>-<to>-<writer>[-n]`: the part id of the file's lake key. */
  id: string;
  file: string;
  rows: number;
  bytes: number;
}

export class ArchiveWriter {
  private readonly instance: DuckDBInstance;
  /** Tables and appenders. */
  private readonly fill: DuckDBConnection;
  /** COPYs, so that appending goes on meanwhile. */
  private readonly copy: DuckDBConnection;
  private readonly stagingDir: string;
  private readonly writer: string;
  private seq = 0;

  private constructor(instance: DuckDBInstance, fill: DuckDBConnection, copy: DuckDBConnection, stagingDir: string, writer: string) {
    this.instance = instance;
    this.fill = fill;
    this.copy = copy;
    this.stagingDir = stagingDir;
    this.writer = writer;
  }

  static async open(stagingDir: string, writer: string): Promise<ArchiveWriter> {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:');
    return new ArchiveWriter(instance, await instance.connect(), await instance.connect(), stagingDir, writer);
  }

  async buffer(topic: string, partition: number, now: number, epoch: number, from: number): Promise<ArchiveBuffer> {
    const table = `range_${++this.seq}`;
    await this.fill.run(`CREATE TABLE ${table} ("offset" DOUBLE, ts DOUBLE, key BLOB, value BLOB, headers VARCHAR)`);
    return new ArchiveBuffer(topic, partition, table, await this.fill.createAppender(table), now, epoch, from);
  }

  /** Write a sealed buffer's rows to Parquet files under the staging directory; drops its table. */
  async stage(buffer: ArchiveBuffer): Promise<StagedArchiveFile[]> {
    const dir = path.join(this.stagingDir, buffer.table);
    const hour = `make_timestamp_ms(ts::BIGINT)`;
    const meta = { 'tributary.topic': buffer.topic, 'tributary.partition': String(buffer.partition), 'tributary.from': String(buffer.from), 'tributary.to': String(buffer.to) };
    const kv = Object.entries(meta).map(([k, v]) => `${sqlString(k)}: ${sqlString(v)}`).join(', ');
    try {
      const counts = await this.copy.runAndReadAll(`SELECT strftime(${hour}, 'dt=%Y-%m-%d/hr=%H') AS p, count(*)::DOUBLE AS n FROM ${buffer.table} GROUP BY ALL`);
      await this.copy.run(
        `COPY (SELECT ${sqlString(buffer.topic)} AS topic, ${buffer.partition}::INTEGER AS "partition", "offset"::BIGINT AS "offset", ${hour} AS "timestamp", ` +
          `decode(key) AS key, decode(value) AS value, headers, strftime(${hour}, '%Y-%m-%d') AS dt, strftime(${hour}, '%H') AS hr ` +
          `FROM ${buffer.table}) ` +
          `TO ${sqlString(dir)} (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (dt, hr), FILENAME_PATTERN 'data_{i}', KV_METADATA {${kv}})`,
      );
      const rows = new Map(counts.getRows().map(([p, n]) => [String(p), Number(n)]));
      const staged: StagedArchiveFile[] = [];
      for (const [partition, n] of rows) {
        const files = (await readdir(path.join(dir, partition))).filter((f) => f.endsWith('.parquet')).sort();
        if (files.length !== 1) throw new TributaryError('INTERNAL', `Archiver: DuckDB wrote ${files.length} files for ${partition} of ${buffer.topic}/${buffer.partition} offsets ${buffer.from}-${buffer.to}; expected one`);
        const file = path.join(dir, partition, files[0]!);
        staged.push({ partition, id: archiveFileId(buffer.partition, buffer.from, buffer.to, this.writer, 0), file, rows: n, bytes: (await stat(file)).size });
      }
      return staged;
    } catch (error) {
      if (error instanceof TributaryError) throw error;
      throw new TributaryError('INTERNAL', `Archiver: writing Parquet for ${buffer.topic}/${buffer.partition} offsets ${buffer.from}-${buffer.to} under ${dir} failed: ${(error as Error).message}`, { cause: error });
    } finally {
      // On this connection: the other one may be creating the next table (one statement at a time each).
      await this.copy.run(`DROP TABLE IF EXISTS ${buffer.table}`);
    }
  }

  /** Forget an open buffer without writing it (its partition was taken away), from the reading side. */
  async discard(buffer: ArchiveBuffer): Promise<void> {
    buffer.seal();
    await this.fill.run(`DROP TABLE IF EXISTS ${buffer.table}`);
  }

  /** Forget a sealed buffer without writing it, from the publishing side. */
  async drop(buffer: ArchiveBuffer): Promise<void> {
    await this.copy.run(`DROP TABLE IF EXISTS ${buffer.table}`);
  }

  async removeStaged(buffer: ArchiveBuffer): Promise<void> {
    await rm(path.join(this.stagingDir, buffer.table), { recursive: true, force: true });
  }

  close(): void {
    this.fill.closeSync();
    this.copy.closeSync();
    this.instance.closeSync();
  }
}

function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
