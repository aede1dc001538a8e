/**
 * Turning ioredis errors into TributaryErrors. Duck-typed on purpose: the driver is imported lazily,
 * and this module must not import it.
 */
import { TributaryError, isTributaryError } from '../../errors.ts';

/** Server replies that no retry gets past: bad credentials, missing ACL rights, a key of another type. */
const FATAL_REPLIES = /^(NOAUTH|WRONGPASS|NOPERM|WRONGTYPE)\b/;

/**
 * `operation` failed on the server at `where`. `lastConnectionError` is the socket error ioredis last
 * reported: its own rejections ("Connection is closed.", the retry limit) say nothing of the reason.
 */
export function toRedisStateError(error: unknown, where: string, operation: string, lastConnectionError?: Error): TributaryError {
  if (isTributaryError(error)) return error;
  const message = messageOf(error);
  if (isReply(error)) {
    return new TributaryError('STATE_UNAVAILABLE', `redis state: ${operation} on ${where} was refused: ${message}`, { cause: error, retryable: !FATAL_REPLIES.test(message) });
  }
  // Everything else is the connection: refused, reset, timed out, given up on after retries, or
  // closed by the server after refusing the credentials (the reason is then in the last error).
  const last = lastConnectionError && messageOf(lastConnectionError) !== message ? lastConnectionError : undefined;
  const reason = last ? ` (${messageOf(last)})` : '';
  const retryable = !(last && isReply(last) && FATAL_REPLIES.test(messageOf(last)));
  return new TributaryError('STATE_UNAVAILABLE', `redis state: ${operation} on ${where} failed: ${message}${reason}`, { cause: error, retryable });
}

function isReply(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'ReplyError';
}

function messageOf(error: unknown): string {
  const message = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : String(error);
}

/** host:port/db of a Redis URL, without the credentials, for messages. */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname.length > 1 ? parsed.pathname : ''}`;
  } catch {
    return 'an invalid Redis URL';
  }
}
