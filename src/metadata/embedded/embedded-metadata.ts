/**
 * The embedded metadata store: one SQLite file (node:sqlite) under the data directory, WAL mode
 * with synchronous=FULL, every write one transaction. Calls are synchronous underneath, so no two
 * calls of this process interleave; other processes wait for SQLite's write lock (BEGIN IMMEDIATE).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { TributaryError, isTributaryError } from '../../errors.ts';
import type { MetadataStore, RunFinish, RunRecord, RunStart } from '../metadata.ts';
import { checkFinish, checkStart, notRunning, toRunRecord, type StoredRun } from '../rows.ts';

export interface EmbeddedMetadataOptions {
  file: string;
  busyTimeoutMs?: number;
}

const schema = [
  `CREATE TABLE IF NOT EXISTS batch_runs (
    run_id TEXT PRIMARY KEY, job TEXT NOT NULL, unit TEXT NOT NULL, status TEXT NOT NULL,
    started_ms INTEGER NOT NULL, finished_ms INTEGER,
    rows_read INTEGER NOT NULL DEFAULT 0, rows_written INTEGER NOT NULL DEFAULT 0,
    rows_quarantined INTEGER NOT NULL DEFAULT 0, rows_filtered INTEGER NOT NULL DEFAULT 0,
    files INTEGER NOT NULL DEFAULT 0, error TEXT
  ) STRICT`,
  'CREATE INDEX IF NOT EXISTS batch_runs_job ON batch_runs (job, started_ms)',
];

function toMetadataError(error: unknown, file: string, operation: string): Error {
  if (isTributaryError(error)) return error;
  const e = error as { code?: unknown; errcode?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(error);
  // SQLITE_BUSY (5) and LOCKED (6): another process held the lock too long; worth another try.
  const primary = typeof e.errcode === 'number' ? e.errcode & 0xff : undefined;
  return new TributaryError('METADATA_UNAVAILABLE', `embedded metadata: ${operation} on ${file} failed: ${message}`, { cause: error, retryable: primary === 5 || primary === 6 || e.code === 'ENOSPC' });
}

export async function openEmbeddedMetadataStore(options: EmbeddedMetadataOptions): Promise<MetadataStore> {
  const file = path.resolve(options.file);
  try {
    await mkdir(path.dirname(file), { recursive: true });
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(file, { timeout: options.busyTimeoutMs ?? 5000 });
    try {
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = FULL');
      for (const statement of schema) db.exec(statement);
    } catch (error) {
      db.close();
      throw error;
    }
    return new EmbeddedMetadataStore(db, file);
  } catch (error) {
    throw toMetadataError(error, file, 'open');
  }
}

class EmbeddedMetadataStore implements MetadataStore {
  readonly backend = 'embedded';
  private db: DatabaseSync | undefined;
  private readonly file: string;

  constructor(db: DatabaseSync, file: string) {
    this.db = db;
    this.file = file;
  }

  private run<T>(operation: string, fn: (db: DatabaseSync) => T): Promise<T> {
    const db = this.db;
    if (!db) return Promise.reject(new TributaryError('METADATA_CLOSED', `embedded metadata: ${operation} after close (${this.file})`));
    try {
      return Promise.resolve(fn(db));
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      return Promise.reject(toMetadataError(error, this.file, operation));
    }
  }

  startRun(run: RunStart): Promise<void> {
    return this.run('startRun', (db) => {
      checkStart(run);
      const existing = db.prepare('SELECT 1 FROM batch_runs WHERE run_id = ?').get(run.runId);
      if (existing) throw new TributaryError('INTERNAL', `metadata: run ${run.runId} has already started`);
      db.prepare(`INSERT INTO batch_runs (run_id, job, unit, status, started_ms) VALUES (?, ?, ?, 'running', ?)`).run(run.runId, run.job, run.unit, run.started.getTime());
    });
  }

  finishRun(runId: string, finish: RunFinish): Promise<void> {
    return this.run('finishRun', (db) => {
      checkFinish(runId, finish);
      db.exec('BEGIN IMMEDIATE');
      const row = db.prepare(`SELECT job FROM batch_runs WHERE run_id = ? AND status = 'running'`).get(runId);
      if (!row) throw notRunning(runId);
      const { read, written, quarantined, filtered, files } = finish.counts;
      db.prepare(
        `UPDATE batch_runs SET status = ?, finished_ms = ?, rows_read = ?, rows_written = ?, rows_quarantined = ?, rows_filtered = ?, files = ?, error = ? WHERE run_id = ?`,
      ).run(finish.status, finish.finished.getTime(), read, written, quarantined, filtered, files, finish.error ?? null, runId);
      db.exec('COMMIT');
    });
  }

  failRunning(job: string, finished: Date, error: string): Promise<string[]> {
    return this.run('failRunning', (db) => {
      const rows = db.prepare(`UPDATE batch_runs SET status = 'failed', finished_ms = ?, error = ? WHERE job = ? AND status = 'running' RETURNING run_id`).all(finished.getTime(), error, job);
      return rows.map((row) => row.run_id as string).sort();
    });
  }

  runs(job: string, options: { limit?: number } = {}): Promise<RunRecord[]> {
    return this.run('runs', (db) => {
      const rows = db.prepare('SELECT * FROM batch_runs WHERE job = ? ORDER BY started_ms DESC, run_id DESC LIMIT ?').all(job, options.limit ?? 100);
      return rows.map((row) => toRunRecord(row as unknown as StoredRun));
    });
  }

  close(): Promise<void> {
    this.db?.close();
    this.db = undefined;
    return Promise.resolve();
  }
}
