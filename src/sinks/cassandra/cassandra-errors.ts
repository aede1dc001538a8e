/**
 * Turning cassandra-driver errors into TributaryErrors. Duck-typed on the driver's error names
 * and response codes: the driver is imported lazily and this module must not load it.
 */
import { TributaryError, isTributaryError } from '../../errors.ts';
import { rejection } from '../rows.ts';

interface DriverError {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  innerErrors?: unknown;
}

/** Response codes (CQL native protocol) after which the same request may succeed later. */
const TRANSIENT_RESPONSES = new Set([
  0x0000, // server error
  0x1000, // unavailable: not enough replicas alive
  0x1001, // overloaded
  0x1002, // bootstrapping
  0x1003, // truncate error
  0x1100, // write timeout
  0x1200, // read timeout
  0x1300, // read failure
  0x1500, // write failure
]);

const BAD_CREDENTIALS = 0x0100;

function isAuthentication(e: DriverError): boolean {
  if (e.name === 'AuthenticationError' || (e.name === 'ResponseError' && e.code === BAD_CREDENTIALS)) return true;
  // NoHostAvailableError keeps one error per host it tried.
  const inner = typeof e.innerErrors === 'object' && e.innerErrors !== null ? Object.values(e.innerErrors as Record<string, unknown>) : [];
  return inner.some((i) => typeof i === 'object' && i !== null && isAuthentication(i));
}

/** The TributaryError for a failure of `operation` on `table`; `row` is the row's index when the request held one row. */
export function toCassandraSinkError(error: unknown, table: string, operation: string, row?: number): TributaryError {
  if (isTributaryError(error)) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as DriverError;
  const message = typeof e.message === 'string' ? e.message : String(error);
  const failed = `cassandra sink: ${operation} on table ${table} failed`;
  if (isAuthentication(e)) {
    return new TributaryError('SINK_UNAVAILABLE', `${failed}: authentication refused (${message}); check cassandra.username and cassandra.password`, { cause: error, retryable: false });
  }
  if (e.name === 'NoHostAvailableError' || e.name === 'OperationTimedOutError' || e.name === 'BusyConnectionError') {
    return new TributaryError('SINK_UNAVAILABLE', `${failed}: Cassandra cannot be reached or timed out (${message})`, { cause: error });
  }
  if (e.name === 'ResponseError' && typeof e.code === 'number' && TRANSIENT_RESPONSES.has(e.code)) {
    return new TributaryError('SINK_UNAVAILABLE', `${failed}: ${message}`, { cause: error });
  }
  if (e.name === 'ResponseError' || e.name === 'ArgumentError' || error instanceof TypeError) {
    // The server refused the request (invalid, unauthorized, a table that does not fit) or the
    // driver could not encode a value for its column: sending it again will not help.
    return rejection('cassandra', table, message, { row }, error);
  }
  if (typeof e.message === 'string' && /shut ?down/i.test(e.message)) {
    return new TributaryError('SINK_UNAVAILABLE', `${failed}: the client is shut down (${message})`, { cause: error, retryable: false });
  }
  return new TributaryError('INTERNAL', `${failed} unexpectedly: ${message}`, { cause: error });
}
