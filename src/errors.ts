/**
 * Typed errors. Every error Tributary raises on purpose is a TributaryError with one of the codes
 * below; docs/errors.md documents each code (a test keeps the two in step).
 *
 * - `code`: stable, machine-readable; callers branch on it, never on the message.
 * - `retryable`: true when the same call may succeed later without a change (a service that is
 *   still starting, a timeout); false when something must be fixed first (bad config, bad input).
 * - `cause`: the underlying error, always kept when wrapping.
 */

export const errorCodes = {
  CONFIG_INVALID: { retryable: false, exitCode: 2 },
  CONFIG_FILE_NOT_FOUND: { retryable: false, exitCode: 2 },
  CONFIG_FILE_UNREADABLE: { retryable: false, exitCode: 2 },
  CLI_USAGE: { retryable: false, exitCode: 2 },
  TOPIC_NOT_FOUND: { retryable: false, exitCode: 1 },
  TOPIC_EXISTS: { retryable: false, exitCode: 1 },
  TOPIC_INVALID: { retryable: false, exitCode: 2 },
  RECORD_TOO_LARGE: { retryable: false, exitCode: 1 },
  SCHEMA_VALIDATION: { retryable: false, exitCode: 1 },
  LOG_CORRUPT: { retryable: false, exitCode: 1 },
  LOG_CLOSED: { retryable: false, exitCode: 1 },
  LOG_UNAVAILABLE: { retryable: true, exitCode: 1 },
  LOG_DISK_FULL: { retryable: true, exitCode: 1 },
  SINK_UNAVAILABLE: { retryable: true, exitCode: 1 },
  SINK_REJECTED: { retryable: false, exitCode: 1 },
  SINK_CLOSED: { retryable: false, exitCode: 1 },
  CHECKPOINT_INVALID: { retryable: false, exitCode: 1 },
  STATE_UNAVAILABLE: { retryable: true, exitCode: 1 },
  STATE_CLOSED: { retryable: false, exitCode: 1 },
  LAKE_NOT_FOUND: { retryable: false, exitCode: 1 },
  LAKE_UNAVAILABLE: { retryable: true, exitCode: 1 },
  LAKE_INVALID_KEY: { retryable: false, exitCode: 2 },
  LAKE_EXTENSION_MISSING: { retryable: false, exitCode: 1 },
  LAKE_TABLE_CONFLICT: { retryable: true, exitCode: 1 },
  SERVER_LISTEN_FAILED: { retryable: false, exitCode: 1 },
  INGEST_REJECTED: { retryable: false, exitCode: 1 },
  INGEST_UNAVAILABLE: { retryable: true, exitCode: 1 },
  SOURCE_UNAVAILABLE: { retryable: true, exitCode: 1 },
  SOURCE_INVALID_RESPONSE: { retryable: false, exitCode: 1 },
  SOURCE_NOT_FOUND: { retryable: false, exitCode: 1 },
  SOURCE_CHECKSUM_MISMATCH: { retryable: false, exitCode: 1 },
  SOURCE_DISALLOWED: { retryable: false, exitCode: 1 },
  METADATA_UNAVAILABLE: { retryable: true, exitCode: 1 },
  METADATA_CLOSED: { retryable: false, exitCode: 1 },
  BATCH_JOB_NOT_FOUND: { retryable: false, exitCode: 2 },
  BATCH_INPUT_INVALID: { retryable: false, exitCode: 1 },
  BATCH_QUERY_FAILED: { retryable: false, exitCode: 1 },
  BATCH_ERROR_BUDGET: { retryable: false, exitCode: 1 },
  SCHEMA_DRIFT: { retryable: false, exitCode: 1 },
  VIEW_NOT_FOUND: { retryable: false, exitCode: 2 },
  QUERY_INVALID: { retryable: false, exitCode: 2 },
  SQL_REFUSED: { retryable: false, exitCode: 2 },
  SQL_FAILED: { retryable: false, exitCode: 1 },
  SQL_TIMEOUT: { retryable: false, exitCode: 1 },
  PIPELINE_NOT_FOUND: { retryable: false, exitCode: 2 },
  PIPELINE_INVALID: { retryable: false, exitCode: 2 },
  DEV_UNREACHABLE: { retryable: true, exitCode: 1 },
  ORCHESTRATOR_GRAPH_INVALID: { retryable: false, exitCode: 2 },
  ORCHESTRATOR_GRAPH_NOT_FOUND: { retryable: false, exitCode: 2 },
  ORCHESTRATOR_RUN_NOT_FOUND: { retryable: false, exitCode: 1 },
  DASHBOARD_INVALID: { retryable: false, exitCode: 2 },
  DASHBOARD_NOT_FOUND: { retryable: false, exitCode: 1 },
  ORCHESTRATOR_TASK_FAILED: { retryable: true, exitCode: 1 },
  ORCHESTRATOR_TASK_TIMEOUT: { retryable: true, exitCode: 1 },
  ORCHESTRATOR_LEASE_EXPIRED: { retryable: true, exitCode: 1 },
  ORCHESTRATOR_CANCELLED: { retryable: false, exitCode: 1 },
  INTERNAL: { retryable: false, exitCode: 1 },
} as const satisfies Record<string, { retryable: boolean; exitCode: number }>;

export type ErrorCode = keyof typeof errorCodes;

export interface TributaryErrorOptions {
  cause?: unknown;
  /** Overrides the code's default when one occurrence differs (e.g. a timeout on a usually fatal call). */
  retryable?: boolean;
}

export class TributaryError extends Error {
  override readonly name = 'TributaryError';
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: TributaryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? errorCodes[code].retryable;
  }

  /** The process exit code a CLI command ends with when this error reaches the top. */
  get exitCode(): number {
    return errorCodes[this.code].exitCode;
  }
}

export function isTributaryError(error: unknown, code?: ErrorCode): error is TributaryError {
  return error instanceof TributaryError && (code === undefined || error.code === code);
}
