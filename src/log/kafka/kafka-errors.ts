/**
 * Turning @platformatic/kafka errors into TributaryErrors. The driver nests errors (a MultipleErrors
 * from its retry loop holds a ResponseError that holds one ProtocolError per partition), so every
 * test walks the whole tree. Duck-typed on purpose: the driver is imported lazily, and this module
 * must not import it.
 */
import { TributaryError, isTributaryError } from '../../errors.ts';

interface DriverError {
  code?: unknown;
  apiId?: unknown;
  canRetry?: unknown;
  closed?: unknown;
  message?: unknown;
  serverErrorMessage?: unknown;
  errors?: unknown;
  cause?: unknown;
}

/** The first error in the tree (itself, `errors`, `cause`) for which `match` holds. */
export function findDriverError(error: unknown, match: (e: DriverError) => boolean, depth = 0): DriverError | undefined {
  if (depth > 8 || typeof error !== 'object' || error === null) return undefined;
  const e = error as DriverError;
  if (match(e)) return e;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const found = findDriverError(inner, match, depth + 1);
      if (found) return found;
    }
  }
  return findDriverError(e.cause, match, depth + 1);
}

/** The broker's error id (`UNKNOWN_TOPIC_OR_PARTITION`, ...) somewhere in the tree, if present. */
export function hasApiError(error: unknown, ...apiIds: string[]): boolean {
  return findDriverError(error, (e) => typeof e.apiId === 'string' && apiIds.includes(e.apiId)) !== undefined;
}

/** The driver's "Unknown topic X." from a metadata request that named a topic the cluster lacks. */
export function isUnknownTopic(error: unknown): boolean {
  return (
    hasApiError(error, 'UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_TOPIC_ID') ||
    findDriverError(error, (e) => e.code === 'PLT_KFK_USER' && typeof e.message === 'string' && e.message.startsWith('Unknown topic')) !== undefined
  );
}

function isClosedClient(error: unknown): boolean {
  return findDriverError(error, (e) => e.closed === true) !== undefined;
}

function isUnreachable(error: unknown): boolean {
  return findDriverError(error, (e) => e.code === 'PLT_KFK_NETWORK' || e.code === 'PLT_KFK_TIMEOUT') !== undefined;
}

function isRetryable(error: unknown): boolean {
  // The driver marks each error it may retry; an aggregate is retryable only if every part is.
  return findDriverError(error, (e) => e.canRetry === false) === undefined;
}

/** The broker's own words when it gave any, else the driver's outer message and its first underlying one. */
function describe(error: unknown): string {
  const server = findDriverError(error, (e) => typeof e.serverErrorMessage === 'string' && e.serverErrorMessage !== '');
  if (server) return String(server.serverErrorMessage);
  const outer = error instanceof Error ? error.message : String(error);
  const leaf = findDriverError(error, (e) => !(Array.isArray(e.errors) && e.errors.length > 0) && e !== error && typeof e.message === 'string');
  return leaf && leaf.message !== outer ? `${outer}: ${String(leaf.message)}` : outer;
}

/**
 * The TributaryError for a driver failure during `operation` (e.g. `produce to "orders"`).
 * Errors that are already TributaryErrors pass through unchanged.
 */
export function toLogError(error: unknown, operation: string): TributaryError {
  if (isTributaryError(error)) return error;
  if (isClosedClient(error)) {
    return new TributaryError('LOG_CLOSED', `Kafka ${operation} failed: the client is closed`, { cause: error });
  }
  if (hasApiError(error, 'MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE')) {
    return new TributaryError('RECORD_TOO_LARGE', `Kafka ${operation} failed: the broker refused a record batch as too large (${describe(error)}); raise the topic's max.message.bytes or send smaller records`, { cause: error });
  }
  if (isUnreachable(error)) {
    return new TributaryError('LOG_UNAVAILABLE', `Kafka ${operation} failed: the brokers cannot be reached (${describe(error)})`, { cause: error, retryable: true });
  }
  // Anything else is the cluster refusing the request (authorization, policy, a broker error): the
  // log is not usable for this call. Retryable only when the driver says the broker error is.
  return new TributaryError('LOG_UNAVAILABLE', `Kafka ${operation} failed: ${describe(error)}`, { cause: error, retryable: isRetryable(error) });
}
