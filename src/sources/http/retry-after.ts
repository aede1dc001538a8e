/**
 * `Retry-After` (RFC 9110 §10.2.3): either a number of seconds or an HTTP-date. Returns how long to
 * wait in milliseconds, or undefined when the header is absent or unreadable (the caller then falls
 * back to its own backoff).
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Only the date forms HTTP allows: IMF-fixdate and the two obsolete ones all name a weekday.
  if (!/^[A-Za-z]{3,9},? /.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
