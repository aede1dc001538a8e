/**
 * Turning node:sqlite errors into TributaryErrors. node:sqlite throws an Error with `errcode`, the
 * extended result code; its low byte is the primary code (SQLITE_BUSY, SQLITE_IOERR, ...).
 */
import { TributaryError, isTributaryError } from '../../errors.ts';

const SQLITE = { BUSY: 5, LOCKED: 6, NOMEM: 7, IOERR: 10, FULL: 13, PROTOCOL: 15 } as const;

/** Codes a later attempt may get past without anyone changing anything: a lock, a full disk freed. */
const TRANSIENT = new Set<number>([SQLITE.BUSY, SQLITE.LOCKED, SQLITE.NOMEM, SQLITE.IOERR, SQLITE.FULL, SQLITE.PROTOCOL]);

export function toEmbeddedStateError(error: unknown, file: string, operation: string): TributaryError {
  if (isTributaryError(error)) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; errcode?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(error);
  if (e.code === 'ERR_SQLITE_ERROR' && typeof e.errcode === 'number') {
    const primary = e.errcode & 0xff;
    const why = primary === SQLITE.BUSY || primary === SQLITE.LOCKED ? `timed out waiting for another process's lock (${message})` : `failed: ${message}`;
    // Anything else (not a database, corrupt, read-only, a constraint) needs a person, not a retry.
    return new TributaryError('STATE_UNAVAILABLE', `embedded state: ${operation} on ${file} ${why}`, { cause: error, retryable: TRANSIENT.has(primary) });
  }
  if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) {
    // A file system error from making the directory (EACCES, ENOSPC, ...).
    return new TributaryError('STATE_UNAVAILABLE', `embedded state: ${operation} on ${file} failed: ${message}`, { cause: error, retryable: e.code === 'ENOSPC' || e.code === 'EAGAIN' });
  }
  return new TributaryError('INTERNAL', `embedded state: ${operation} on ${file} failed unexpectedly: ${message}`, { cause: error });
}
