/**
 * `--as-of` values: a snapshot id (`42`) or a time (ISO 8601, `2026-11-21T10:00:00Z` or a date). The
 * serving layer's batch high-watermark is a snapshot id, so a query as of it answers from exactly
 * what that batch run committed.
 */
import { TributaryError } from '../../errors.ts';
import type { AsOf } from './tables.ts';

export function parseAsOf(text: string): AsOf {
  const value = text.trim();
  if (/^\d+$/.test(value)) {
    const version = Number(value);
    if (Number.isSafeInteger(version)) return { version };
  }
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) {
    const time = new Date(value.length === 10 ? `${value}T00:00:00Z` : value);
    if (!Number.isNaN(time.getTime())) return { time };
  }
  throw new TributaryError('CLI_USAGE', `--as-of expects a snapshot id (a whole number) or a time (ISO 8601, e.g. 2026-11-21T10:00:00Z); got "${text}"`);
}

/** Durations for retention settings: `90s`, `30m`, `12h`, `7d`. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) throw new TributaryError('CLI_USAGE', `expected a duration such as 90s, 30m, 12h or 7d; got "${text}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(match[1]) * unit);
}
