/**
 * The embedded state store: one SQLite file (Node's built-in node:sqlite), one table keyed by
 * (namespace, key). Every write is one transaction in WAL mode with synchronous=FULL, so a resolved
 * `commit` has been fsynced and a crash leaves either all of a commit or none of it.
 *
 * Calls are synchronous underneath and each runs start to finish inside one JavaScript call, so no
 * two calls of this process interleave. Other processes on the same file are kept apart by SQLite's
 * locks: writes take the write lock up front (BEGIN IMMEDIATE), and wait up to `busyTimeoutMs` for it.
 */
import { mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { TributaryError } from '../../errors.ts';
import { checkName, checkValue } from '../state-input.ts';
import type { Fingerprint, StateStore } from '../state.ts';
import { toEmbeddedStateError } from './sqlite-state-errors.ts';

export interface EmbeddedStateOptions {
  /** The SQLite file; its directory is made if missing. */
  file: string;
  /** How long a call waits for another process's write lock before failing with STATE_UNAVAILABLE. Default: 5000. */
  busyTimeoutMs?: number;
}

/**
 * Files open in this process. Two stores over one file here would be two owners of the same
 * checkpoints, which is a bug in the caller; other processes are SQLite's business.
 */
const openInThisProcess = new Set<string>();

/** Bumped when the table changes shape; a file from a newer version is refused rather than misread. */
const SCHEMA_VERSION = 1;

const createTable = `CREATE TABLE IF NOT EXISTS state (
  namespace TEXT NOT NULL,
  key TEXT NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY (namespace, key)
) STRICT, WITHOUT ROWID`;

interface Statements {
  get: StatementSync;
  put: StatementSync;
  remove: StatementSync;
  /** Keys from a lower bound in key order (TEXT compares as UTF-8 bytes, i.e. by code point). */
  scan: StatementSync;
  clear: StatementSync;
}

export async function openEmbeddedStateStore(options: EmbeddedStateOptions): Promise<StateStore> {
  const given = path.resolve(options.file);
  let file: string;
  try {
    await mkdir(path.dirname(given), { recursive: true });
    // The real directory, so one file reached through two paths is still one file.
    file = path.join(await realpath(path.dirname(given)), path.basename(given));
  } catch (error) {
    throw toEmbeddedStateError(error, given, 'open');
  }
  const { DatabaseSync } = await import('node:sqlite');
  // From here to the end everything is synchronous, so two opens cannot both pass this check.
  if (openInThisProcess.has(file)) {
    throw new TributaryError('STATE_UNAVAILABLE', `embedded state: ${file} is already open in this process; close the other store first`, { retryable: false });
  }
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(file, { timeout: options.busyTimeoutMs ?? 5000 });
    const statements = prepare(db, file);
    openInThisProcess.add(file);
    return new EmbeddedStateStore(db, statements, file);
  } catch (error) {
    db?.close();
    throw toEmbeddedStateError(error, file, 'open');
  }
}

function prepare(db: DatabaseSync, file: string): Statements {
  db.exec('PRAGMA journal_mode = WAL');
  const mode = db.prepare('PRAGMA journal_mode').get()?.journal_mode;
  if (mode !== 'wal') {
    // Without WAL (e.g. on a file system without shared memory) FULL sync still holds, but say so loudly.
    throw new TributaryError('STATE_UNAVAILABLE', `embedded state: ${file} could not be put in WAL mode (got ${String(mode)})`, { retryable: false });
  }
  // FULL: the WAL is fsynced at every commit, which is what makes a resolved commit durable.
  db.exec('PRAGMA synchronous = FULL');
  const version = Number(db.prepare('PRAGMA user_version').get()?.user_version ?? 0);
  if (version > SCHEMA_VERSION) {
    throw new TributaryError('STATE_UNAVAILABLE', `embedded state: ${file} was written by a newer Tributary (schema ${version}, this one reads ${SCHEMA_VERSION})`, { retryable: false });
  }
  if (version < SCHEMA_VERSION) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(createTable);
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
      db.exec('COMMIT');
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }
  return {
    get: db.prepare('SELECT value FROM state WHERE namespace = ? AND key = ?'),
    put: db.prepare('INSERT INTO state (namespace, key, value) VALUES (?, ?, ?) ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value'),
    remove: db.prepare('DELETE FROM state WHERE namespace = ? AND key = ?'),
    scan: db.prepare('SELECT key, value FROM state WHERE namespace = ? AND key >= ? ORDER BY key'),
    clear: db.prepare('DELETE FROM state WHERE namespace = ?'),
  };
}

class EmbeddedStateStore implements StateStore {
  readonly backend = 'embedded';
  private db: DatabaseSync | undefined;
  private readonly statements: Statements;
  private readonly file: string;

  constructor(db: DatabaseSync, statements: Statements, file: string) {
    this.db = db;
    this.statements = statements;
    this.file = file;
  }

  get(namespace: string, key: string): Promise<Buffer | undefined> {
    return this.run('get', () => {
      checkName('namespace', namespace);
      checkName('key', key);
      return toBuffer(this.statements.get.get(namespace, key)?.value);
    });
  }

  getMany(namespace: string, keys: readonly string[]): Promise<(Buffer | undefined)[]> {
    return this.run('getMany', (db) => {
      checkName('namespace', namespace);
      for (const key of keys) checkName('key', key);
      if (keys.length === 0) return [];
      // One read transaction: every value from the same snapshot, even with writers in other processes.
      return this.transaction(db, 'BEGIN', () => keys.map((key) => toBuffer(this.statements.get.get(namespace, key)?.value)));
    });
  }

  commit(namespace: string, changes: ReadonlyMap<string, Buffer | undefined>): Promise<void> {
    return this.run('commit', (db) => {
      checkName('namespace', namespace);
      if (changes.size === 0) return;
      this.transaction(db, 'BEGIN IMMEDIATE', () => {
        // Checked as they are written: a bad change anywhere rolls back the ones before it.
        for (const [key, value] of changes) {
          checkName('key', key);
          if (value === undefined) {
            this.statements.remove.run(namespace, key);
          } else {
            checkValue(key, value);
            this.statements.put.run(namespace, key, value);
          }
        }
      });
    });
  }

  entries(namespace: string, prefix = ''): Promise<[string, Buffer][]> {
    return this.run('entries', () => {
      checkName('namespace', namespace);
      checkName('prefix', prefix);
      const found: [string, Buffer][] = [];
      // Keys under a prefix are one contiguous run starting at the prefix itself, so the scan can
      // use the primary key and stop at the first key past the run.
      for (const row of this.statements.scan.iterate(namespace, prefix)) {
        const key = row.key as string;
        if (!key.startsWith(prefix)) break;
        found.push([key, toBuffer(row.value)!]);
      }
      return found;
    });
  }

  checkAndSet(namespace: string, key: string, fingerprint: string): Promise<Fingerprint> {
    return this.run('checkAndSet', (db) => {
      checkName('namespace', namespace);
      checkName('key', key);
      checkName('fingerprint', fingerprint);
      const next = Buffer.from(fingerprint, 'utf8');
      // IMMEDIATE: the read and the write happen under one write lock, so a writer in another
      // process cannot slip between them and both of us see 'new'.
      return this.transaction(db, 'BEGIN IMMEDIATE', (): Fingerprint => {
        const previous = toBuffer(this.statements.get.get(namespace, key)?.value);
        if (previous?.equals(next)) return 'unchanged';
        this.statements.put.run(namespace, key, next);
        return previous === undefined ? 'new' : 'changed';
      });
    });
  }

  clear(namespace: string): Promise<void> {
    return this.run('clear', () => {
      checkName('namespace', namespace);
      this.statements.clear.run(namespace);
    });
  }

  close(): Promise<void> {
    const db = this.db;
    if (!db) return Promise.resolve();
    this.db = undefined;
    openInThisProcess.delete(this.file);
    try {
      db.close();
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(toEmbeddedStateError(error, this.file, 'close'));
    }
  }

  /** Runs synchronous SQLite work as the promise the interface returns, with errors converted. */
  private run<T>(operation: string, work: (db: DatabaseSync) => T): Promise<T> {
    try {
      if (!this.db) throw new TributaryError('STATE_CLOSED', `embedded state: ${operation} on ${this.file} after close()`);
      return Promise.resolve(work(this.db));
    } catch (error) {
      return Promise.reject(toEmbeddedStateError(error, this.file, operation));
    }
  }

  private transaction<T>(db: DatabaseSync, begin: 'BEGIN' | 'BEGIN IMMEDIATE', work: () => T): T {
    db.exec(begin);
    try {
      const result = work();
      db.exec('COMMIT');
      return result;
    } catch (error) {
      // A failed statement undoes only itself; the rollback undoes the rest of the transaction.
      // SQLite may have rolled back already (e.g. after an I/O error), hence the check.
      if (db.isTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }
}

/** node:sqlite returns BLOBs as Uint8Array; callers get a Buffer over the same memory. */
function toBuffer(value: unknown): Buffer | undefined {
  if (value === undefined || value === null) return undefined;
  if (!(value instanceof Uint8Array)) throw new TributaryError('INTERNAL', `embedded state: expected a BLOB, found ${typeof value}`);
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}
