/**
 * Turning AWS SDK errors into TributaryErrors. Duck-typed on purpose: the SDK is imported lazily,
 * and this module must not import it. By the time an error gets here the SDK has already retried
 * what it considers transient (throttling, 5xx, timeouts, resets), so "retryable" means "worth
 * retrying later", not "retry now".
 */
import { TributaryError, isTributaryError } from '../../errors.ts';
import type { BodyFailure } from '../body.ts';

interface SdkError {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  cause?: unknown;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_STREAM_PREMATURE_CLOSE']);
const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'SlowDown', 'Throttling', 'ThrottlingException', 'ServiceUnavailable', 'InternalError']);

function status(error: unknown): number | undefined {
  const code = (error as SdkError | null)?.$metadata?.httpStatusCode;
  return typeof code === 'number' ? code : undefined;
}

function name(error: unknown): string | undefined {
  const value = (error as SdkError | null)?.name;
  return typeof value === 'string' ? value : undefined;
}

/** The errno-style code of the error or of one it wraps (the SDK wraps socket errors). */
function networkCode(error: unknown, depth = 0): string | undefined {
  if (depth > 4 || typeof error !== 'object' || error === null) return undefined;
  const code = (error as SdkError).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
  return networkCode((error as SdkError).cause, depth + 1);
}

/** The object (not the bucket) does not exist. */
export function isMissingObject(error: unknown): boolean {
  const n = name(error);
  if (n === 'NoSuchBucket') return false;
  return n === 'NoSuchKey' || n === 'NotFound' || status(error) === 404;
}

export function isMissingBucket(error: unknown): boolean {
  return name(error) === 'NoSuchBucket' || (name(error) === 'NotFound' && status(error) === 404);
}

/**
 * A conditional request lost: 412 when the condition failed (the key exists), or AWS's 409
 * ConditionalRequestConflict when another conditional write to the key was in flight.
 */
export function isConditionFailed(error: unknown): boolean {
  const n = name(error);
  return n === 'PreconditionFailed' || n === 'ConditionalRequestConflict' || status(error) === 412 || (status(error) === 409 && n !== 'BucketAlreadyOwnedByYou' && n !== 'BucketAlreadyExists');
}

function isTransient(error: unknown): boolean {
  const code = status(error);
  if (code !== undefined && (code >= 500 || code === 429 || code === 408)) return true;
  const n = name(error);
  return (n !== undefined && TRANSIENT_NAMES.has(n)) || networkCode(error) !== undefined;
}

function describe(error: unknown): string {
  const n = name(error);
  const message = error instanceof Error ? error.message : String(error);
  const code = status(error);
  const parts = [n && n !== 'Error' && !message.startsWith(n) ? `${n}: ${message}` : message];
  if (code !== undefined) parts.push(`HTTP ${code}`);
  return parts.join(', ');
}

/**
 * The TributaryError for a failed S3 call. TributaryErrors pass through, and so does an error the
 * caller's own body stream threw (see body.ts).
 */
export function toS3LakeError(error: unknown, operation: string, key: string, failure?: BodyFailure): unknown {
  if (failure?.error !== undefined) return failure.error;
  if (isTributaryError(error)) return error;
  if (isMissingObject(error)) {
    return new TributaryError('LAKE_NOT_FOUND', `No object "${key}" in the lake`, { cause: error });
  }
  const where = `S3 ${operation} "${key}"`;
  if (isTransient(error)) {
    return new TributaryError('LAKE_UNAVAILABLE', `${where} failed: the store cannot be reached or is overloaded (${describe(error)})`, { cause: error, retryable: true });
  }
  // Refused for good (credentials, permissions, a missing bucket, a bad request): retrying the same
  // call cannot help until something is fixed.
  return new TributaryError('LAKE_UNAVAILABLE', `${where} failed: ${describe(error)}`, { cause: error, retryable: false });
}
