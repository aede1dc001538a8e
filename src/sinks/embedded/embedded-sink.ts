/**
 * The embedded sink: one SQLite file per table (`<dir>/<table>.sqlite`, with `dir` normally
 * `<dataDir>/views`), through Node's built-in node:sqlite. Exactly-once: a write deletes its deletes,
 * upserts its rows and stores its positions in one SQLite transaction.
 *
 * The file is in WAL mode, so the serving layer can read while a job writes, with
 * synchronous=NORMAL: a commit survives the process being killed; a power loss may roll back the
 * last commits, but rows and positions roll back together, so the job replays them exactly once.
 *
 * node:sqlite is synchronous: a write holds the event loop for as long as SQLite takes, which for
 * the batch sizes of a stream job is well under a millisecond per hundred rows.
 */
import { z } from 'zod';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { TributaryError } from '../../errors.ts';
import type { RecordPosition } from '../../log/log.ts';
import { SinkLifecycle } from '../lifecycle.ts';
import { checkDeletes, checkPositions, checkRows } from '../rows.ts';
import type { SinkComponent } from '../sink-component.ts';
import type { Row, Sink, SinkContext, SinkWrite, TableSpec } from '../sink.ts';
import { checkContext, checkTableSpec, columnType, orderedColumns } from '../table-spec.ts';
import { STORAGE, createPositionsSql, createTableSql, deleteSql, readPositionsSql, rowFromSqlite, rowToSqlite, savePositionSql, scanSql, tableInfoSql, upsertSql } from './embedded-sql.ts';
import { toEmbeddedSinkError } from './sqlite-errors.ts';

export interface EmbeddedSinkOptions {
  /** Directory of the table files, created if missing; `<dataDir>/views` in a deployment. */
  dir: string;
  /** How long a statement waits for another connection's lock before SINK_UNAVAILABLE; default 5000 ms. */
  busyTimeoutMs?: number;
}

interface Statements {
  upsert: StatementSync;
  delete: StatementSync;
  savePosition: StatementSync;
  positions: StatementSync;
  scan: StatementSync;
}

export const embeddedSinkConfigSchema: z.ZodType<EmbeddedSinkOptions> = z.strictObject({
  dir: z.string().min(1).describe('Directory of the table files, created if missing'),
  busyTimeoutMs: z.number().int().min(0).optional().describe("How long a statement waits for another connection's lock; default 5000 ms"),
});

export const embeddedSink: SinkComponent<EmbeddedSinkOptions> = {
  name: 'embedded',
  configSchema: embeddedSinkConfigSchema,
  create(spec, ctx, options) {
    // 63 like PostgreSQL, so that a view can move to PostgreSQL under the same name.
    checkTableSpec(spec, 63);
    checkContext('embedded', ctx);
    if (typeof options?.dir !== 'string' || options.dir === '') throw new TributaryError('CONFIG_INVALID', 'embedded sink: options.dir (the directory of the table files) is required');
    return new EmbeddedSink(spec, ctx, options);
  },
};

class EmbeddedSink implements Sink {
  readonly guarantee = 'exactly-once';
  private readonly spec: TableSpec;
  private readonly job: string;
  private readonly file: string;
  private readonly busyTimeoutMs: number;
  private readonly columns: string[];
  private readonly life: SinkLifecycle;
  private db: DatabaseSync | undefined;
  private statements: Statements | undefined;

  constructor(spec: TableSpec, ctx: SinkContext, options: EmbeddedSinkOptions) {
    this.spec = spec;
    this.job = ctx.job;
    this.file = path.join(options.dir, `${spec.name}.sqlite`);
    this.busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    this.columns = orderedColumns(spec);
    this.life = new SinkLifecycle(`embedded sink for table ${spec.name}`);
  }

  async open(): Promise<void> {
    if (!this.life.beginOpen()) return;
    let db: DatabaseSync | undefined;
    try {
      await mkdir(path.dirname(this.file), { recursive: true });
      const { DatabaseSync } = await import('node:sqlite');
      db = new DatabaseSync(this.file, { timeout: this.busyTimeoutMs });
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = NORMAL');
      db.exec(createTableSql(this.spec));
      db.exec(createPositionsSql);
      this.checkTable(db);
      const positions = db.prepare(readPositionsSql);
      positions.setReadBigInts(true);
      const scan = db.prepare(scanSql(this.spec));
      scan.setReadBigInts(true);
      this.statements = { upsert: db.prepare(upsertSql(this.spec)), delete: db.prepare(deleteSql(this.spec)), savePosition: db.prepare(savePositionSql), positions, scan };
      this.db = db;
      this.life.endOpen(true);
    } catch (error) {
      db?.close();
      this.life.endOpen(false);
      throw toEmbeddedSinkError(error, this.spec.name, this.file, 'open');
    }
  }

  /** A table made earlier under the same name must have the spec's key and storage classes. */
  private checkTable(db: DatabaseSync): void {
    const info = db.prepare(tableInfoSql).all(this.spec.name) as { name: string; type: string; pk: number }[];
    const found = new Map(info.map((c) => [c.name, c]));
    for (const column of this.columns) {
      const expected = STORAGE[columnType(this.spec, column)];
      const actual = found.get(column);
      if (!actual || actual.type.toUpperCase() !== expected) {
        throw new TributaryError('SINK_REJECTED', `embedded sink: table ${this.spec.name} in ${this.file} exists with other columns: expected column ${column} ${expected}, found ${actual ? actual.type : 'none'}`);
      }
    }
    const key = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
    if (key.join(',') !== this.spec.key.join(',')) {
      throw new TributaryError('SINK_REJECTED', `embedded sink: table ${this.spec.name} in ${this.file} exists with key (${key.join(', ')}), not (${this.spec.key.join(', ')})`);
    }
  }

  /** Runs synchronous SQLite work as the promise the Sink interface returns, with errors converted. */
  private run<T>(operation: string, work: (db: DatabaseSync, statements: Statements) => T): Promise<T> {
    try {
      this.life.check(operation);
      return Promise.resolve(work(this.db!, this.statements!));
    } catch (error) {
      return Promise.reject(toEmbeddedSinkError(error, this.spec.name, this.file, operation));
    }
  }

  positions(): Promise<RecordPosition[]> {
    return this.run('positions', (_db, statements) => {
      const rows = statements.positions.all(this.job, this.spec.name) as { topic: string; partition: bigint; next_offset: bigint }[];
      return rows.map((r) => ({ topic: r.topic, partition: Number(r.partition), offset: Number(r.next_offset) }));
    });
  }

  write(batch: SinkWrite): Promise<void> {
    return this.run('write', (db, statements) => {
      const deletes = batch.deletes ?? [];
      checkDeletes('embedded', this.spec, deletes);
      checkRows('embedded', this.spec, batch.rows);
      const positions = checkPositions('embedded', this.spec.name, batch.positions);
      if (batch.rows.length === 0 && deletes.length === 0 && positions.length === 0) return;
      let index: number | undefined;
      try {
        // IMMEDIATE takes the write lock up front, so a busy file fails here and not halfway through.
        db.exec('BEGIN IMMEDIATE');
        // Deletes first, so a row of this write for a deleted key stays.
        for (const key of deletes) statements.delete.run(...rowToSqlite(this.spec, this.spec.key, key));
        // Upserts in order: the last row for a key wins.
        for (index = 0; index < batch.rows.length; index++) statements.upsert.run(...rowToSqlite(this.spec, this.columns, batch.rows[index]!));
        index = undefined;
        for (const p of positions) statements.savePosition.run(this.job, this.spec.name, p.topic, p.partition, p.offset);
        db.exec('COMMIT');
      } catch (error) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw toEmbeddedSinkError(error, this.spec.name, this.file, 'write', index);
      }
    });
  }

  scan(): Promise<Row[]> {
    return this.run('scan', (_db, statements) => statements.scan.all().map((stored) => rowFromSqlite(this.spec, this.columns, stored)));
  }

  close(): Promise<void> {
    if (this.life.close()) {
      this.statements = undefined;
      this.db?.close();
      this.db = undefined;
    }
    return Promise.resolve();
  }
}
