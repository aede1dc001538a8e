/** Object bodies as the backends consume them, with the caller's own stream errors kept apart. */
import type { Body } from './lake.ts';

/**
 * Remembers an error thrown by the caller's body, so that a failed put can give the caller back
 * its own error rather than dress it up as the store's (a retry cannot re-read a consumed stream,
 * so LAKE_UNAVAILABLE, which says "retry", would be wrong).
 */
export interface BodyFailure {
  error?: unknown;
}

/** The body's bytes as Uint8Array chunks; an error from the body is recorded in `failure`, then thrown. */
export async function* bodyChunks(body: Body, failure: BodyFailure): AsyncGenerator<Uint8Array> {
  if (Buffer.isBuffer(body)) {
    yield body;
    return;
  }
  try {
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
      // A Readable in object or string mode may yield strings; bytes are what is stored.
      yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    }
  } catch (error) {
    failure.error = error;
    throw error;
  }
}
