/**
 * Event-time windows: what a window spec is, and which windows a timestamp falls in.
 *
 * Glossary:
 * - event time: the time a record says it happened (integer milliseconds), as opposed to
 *   processing time, the wall clock of the machine handling it.
 * - window: a half-open interval `[start, end)` of event time; a record at `end` is not in it.
 * - tumbling: fixed windows of `sizeMs` that tile the time line, aligned to the epoch.
 * - sliding (hopping): windows of `sizeMs` starting every `slideMs`, so a timestamp is in about
 *   `sizeMs / slideMs` of them.
 * - session: a window per burst of activity of one key; records at most `gapMs` apart share one.
 *   A timestamp is first given the proto-window `[t, t + gapMs)`, and the window operator merges
 *   proto-windows that overlap or touch into sessions.
 */
import { TributaryError } from '../../errors.ts';

export interface Window {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
}

export interface TumblingSpec {
  readonly kind: 'tumbling';
  readonly sizeMs: number;
}

export interface SlidingSpec {
  readonly kind: 'sliding';
  readonly sizeMs: number;
  readonly slideMs: number;
}

export interface SessionSpec {
  readonly kind: 'session';
  readonly gapMs: number;
}

/** Plain data, so a spec can sit in a job's config and in a checkpoint. */
export type WindowSpec = TumblingSpec | SlidingSpec | SessionSpec;

export function tumbling(sizeMs: number): TumblingSpec {
  requirePositiveInteger('tumbling window sizeMs', sizeMs);
  return Object.freeze({ kind: 'tumbling', sizeMs });
}

export function sliding(sizeMs: number, slideMs: number): SlidingSpec {
  requirePositiveInteger('sliding window sizeMs', sizeMs);
  requirePositiveInteger('sliding window slideMs', slideMs);
  // A slide longer than the size leaves gaps that belong to no window; a record there would have
  // nowhere to go and would be neither aggregated nor late, so such a spec is refused.
  if (slideMs > sizeMs) {
    throw new TributaryError('CONFIG_INVALID', `sliding window slideMs must not exceed sizeMs: got slideMs ${slideMs}, sizeMs ${sizeMs}`);
  }
  return Object.freeze({ kind: 'sliding', sizeMs, slideMs });
}

export function session(gapMs: number): SessionSpec {
  requirePositiveInteger('session window gapMs', gapMs);
  return Object.freeze({ kind: 'session', gapMs });
}

/**
 * The windows `timestamp` belongs to, by ascending start: one for tumbling, `ceil(size / slide)`
 * or one fewer for sliding, and the proto-window `[t, t + gap)` for session.
 */
export function assignWindows(spec: WindowSpec, timestamp: number): Window[] {
  switch (spec.kind) {
    case 'tumbling': {
      const start = alignDown(timestamp, spec.sizeMs);
      return [{ start, end: start + spec.sizeMs }];
    }
    case 'sliding': {
      const windows: Window[] = [];
      const last = alignDown(timestamp, spec.slideMs);
      for (let start = last; start > timestamp - spec.sizeMs; start -= spec.slideMs) {
        windows.push({ start, end: start + spec.sizeMs });
      }
      return windows.reverse();
    }
    case 'session':
      return [{ start: timestamp, end: timestamp + spec.gapMs }];
  }
}

/** `sliding(10, 5)` and `tumbling(60000)`: for messages and checkpoint mismatches. */
export function describeSpec(spec: WindowSpec): string {
  switch (spec.kind) {
    case 'tumbling':
      return `tumbling(${spec.sizeMs})`;
    case 'sliding':
      return `sliding(${spec.sizeMs}, ${spec.slideMs})`;
    case 'session':
      return `session(${spec.gapMs})`;
  }
}

/** Validates a spec built by hand (or read from config) exactly as the constructors do. */
export function checkSpec(spec: WindowSpec): WindowSpec {
  switch (spec.kind) {
    case 'tumbling':
      return tumbling(spec.sizeMs);
    case 'sliding':
      return sliding(spec.sizeMs, spec.slideMs);
    case 'session':
      return session(spec.gapMs);
  }
}

/**
 * Event times are integer milliseconds. A record whose time is not one (NaN from a missing field, a
 * string) is refused with SCHEMA_VALIDATION, which the runner sends to the dead-letter topic.
 */
export function checkEventTime(timestamp: number): void {
  if (!Number.isSafeInteger(timestamp)) {
    throw new TributaryError('SCHEMA_VALIDATION', `event time must be an integer number of milliseconds: got ${String(timestamp)}`);
  }
}

/** Floor modulo, so negative timestamps (before 1970) land in the window below them, not above. */
function alignDown(timestamp: number, step: number): number {
  return timestamp - (((timestamp % step) + step) % step);
}

function requirePositiveInteger(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TributaryError('CONFIG_INVALID', `${what} must be a positive integer of milliseconds: got ${String(value)}`);
  }
}
