/**
 * Turning node:sqlite errors into TributaryErrors. node:sqlite throws an Error with `errcode`, the
 * extended result code; its low byte is the primary code (SQLITE_BUSY, SQLITE_CONSTRAINT, ...).
 */
import { TributaryError, isTributaryError } from '../../errors.ts';
import { rejection } from '../rows.ts';

const SQLITE = { ERROR: 1, PERM: 3, BUSY: 5, LOCKED: 6, NOMEM: 7, READONLY: 8, IOERR: 10, CORRUPT: 11, FULL: 13, CANTOPEN: 14, TOOBIG: 18, CONSTRAINT: 19, MISMATCH: 20, RANGE: 25, NOTADB: 26 } as const;

interface SqliteError {
  code?: unknown;
  errcode?: unknown;
  message?: unknown;
}

/** `t.c` in SQLite's "NOT NULL constraint failed: t.c" or "cannot store TEXT value in INTEGER column t.c". */
function columnIn(message: string, table: string): string | undefined {
  const match = new RegExp(`\\b${table}\\.([a-z_][a-z0-9_]*)`).exec(message);
  return match?.[1];
}

/**
 * The TributaryError for a failure of `operation` on the file of `table`. `row` is the index of the
 * row being written when the statement failed, if it was one.
 */
export function toEmbeddedSinkError(error: unknown, table: string, file: string, operation: string, row?: number): TributaryError {
  if (isTributaryError(error)) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as SqliteError;
  const message = typeof e.message === 'string' ? e.message : String(error);
  if (e.code === 'ERR_SQLITE_ERROR' && typeof e.errcode === 'number') {
    const primary = e.errcode & 0xff;
    switch (primary) {
      case SQLITE.BUSY:
      case SQLITE.LOCKED:
        return new TributaryError('SINK_UNAVAILABLE', `embedded sink: ${operation} on ${file} timed out waiting for another connection's lock (${message})`, { cause: error });
      case SQLITE.CONSTRAINT:
      case SQLITE.MISMATCH:
      case SQLITE.TOOBIG:
      case SQLITE.RANGE:
      case SQLITE.ERROR:
        return rejection('embedded', table, message, { row, column: columnIn(message, table) }, error);
      case SQLITE.FULL:
      case SQLITE.IOERR:
      case SQLITE.NOMEM:
        return new TributaryError('SINK_UNAVAILABLE', `embedded sink: ${operation} on ${file} failed: ${message}`, { cause: error });
      default:
        // A file that is not a database, is corrupt, read-only or cannot be opened: retrying will not help.
        return new TributaryError('SINK_UNAVAILABLE', `embedded sink: ${operation} on ${file} failed: ${message}`, { cause: error, retryable: false });
    }
  }
  if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) {
    // A file system error from making the directory (EACCES, ENOSPC, ...).
    return new TributaryError('SINK_UNAVAILABLE', `embedded sink: ${operation} on ${file} failed: ${message}`, { cause: error, retryable: e.code === 'ENOSPC' || e.code === 'EAGAIN' });
  }
  return new TributaryError('INTERNAL', `embedded sink: ${operation} on ${file} failed unexpectedly: ${message}`, { cause: error });
}
