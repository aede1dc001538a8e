/**
 * Turning node-postgres errors into TributaryErrors. Duck-typed: `pg` is imported lazily and this
 * module must not load it. A server error carries its SQLSTATE in `code`; a socket error carries
 * the errno name (ECONNREFUSED, ...); node-postgres' own connection failures carry neither.
 */
import { TributaryError, isTributaryError } from '../../errors.ts';
import { rejection } from '../rows.ts';
import { IDENTIFIER } from '../table-spec.ts';

interface PgError {
  code?: unknown;
  message?: unknown;
  where?: unknown;
  column?: unknown;
}

const NETWORK_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN']);

/** SQLSTATEs after which the same statement may succeed later. */
function isTransient(sqlstate: string): boolean {
  return (
    sqlstate.startsWith('08') || // connection exception
    sqlstate.startsWith('53') || // insufficient resources: disk full, out of memory, too many connections
    sqlstate.startsWith('58') || // system error (I/O)
    ['40001', '40P01', '55P03', '57014', '57P01', '57P02', '57P03'].includes(sqlstate) // serialization failure, deadlock, lock timeout, statement timeout, shutdown, cannot connect now
  );
}

function isConnectionLoss(e: PgError, message: string): boolean {
  if (typeof e.code === 'string' && NETWORK_ERRNOS.has(e.code)) return true;
  return /Connection terminated|connection timeout|not queryable|Client was closed|Connection ended/i.test(message);
}

/**
 * Where a COPY error happened: PostgreSQL's context reads `COPY tributary_staging, line 3, column n: "x"`.
 * Line n holds the batch's row n-1, as the staging table is filled in batch order.
 */
function copyLocation(where: unknown): { row?: number; column?: string } {
  if (typeof where !== 'string') return {};
  const match = /COPY tributary_staging, line (\d+)(?:, column ([^:\s]+))?/.exec(where);
  if (!match) return {};
  return { row: Number(match[1]) - 1, ...(match[2] && IDENTIFIER.test(match[2]) ? { column: match[2] } : {}) };
}

/** The TributaryError for a failure of `operation` (open, write, ...) on `table`; TributaryErrors pass through. */
export function toPostgresSinkError(error: unknown, table: string, operation: string): TributaryError {
  if (isTributaryError(error)) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as PgError;
  const message = typeof e.message === 'string' ? e.message : String(error);
  const sqlstate = typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined;
  if (sqlstate === undefined) {
    if (isConnectionLoss(e, message)) {
      return new TributaryError('SINK_UNAVAILABLE', `postgres sink: ${operation} on table ${table} failed: PostgreSQL cannot be reached (${message})`, { cause: error });
    }
    return new TributaryError('INTERNAL', `postgres sink: ${operation} on table ${table} failed unexpectedly: ${message}`, { cause: error });
  }
  if (isTransient(sqlstate)) {
    return new TributaryError('SINK_UNAVAILABLE', `postgres sink: ${operation} on table ${table} failed: ${message} (SQLSTATE ${sqlstate})`, { cause: error });
  }
  if (sqlstate.startsWith('28') || sqlstate === '3D000') {
    // Bad credentials or a database that does not exist: fix the configuration first.
    return new TributaryError('SINK_UNAVAILABLE', `postgres sink: ${operation} on table ${table} failed: ${message} (SQLSTATE ${sqlstate}); check postgres.url and postgres.password`, { cause: error, retryable: false });
  }
  // Everything else is the server refusing this statement: bad data (class 22), a constraint
  // (class 23), a table that does not fit (class 42). Sending it again will not help.
  const location = copyLocation(e.where);
  const column = location.column ?? (typeof e.column === 'string' ? e.column : undefined);
  return rejection('postgres', table, `${message} (SQLSTATE ${sqlstate})`, { row: location.row, column }, error);
}
