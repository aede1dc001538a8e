/**
 * The API key: read from `Authorization: Bearer <key>` or `X-API-Key`, compared in constant time.
 * Both sides are hashed first, so the comparison takes the same time whatever the lengths.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The key a request presents, or undefined. Takes a fastify request or a bare Node one. */
export function presentedKey(request: { headers: IncomingHttpHeaders }): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (match) return match[1]!.trim();
  }
  const header = request.headers['x-api-key'];
  return typeof header === 'string' && header !== '' ? header : undefined;
}

export function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** A checker for one configured key; `expected` is its digest, computed once. */
export function keyMatcher(apiKey: string): (presented: string | undefined) => boolean {
  const expected = digest(apiKey);
  return (presented) => presented !== undefined && timingSafeEqual(digest(presented), expected);
}
