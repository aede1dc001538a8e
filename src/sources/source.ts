/**
 * Sources: what brings data into the platform (an HTTP API polled on an interval, scraped listing
 * pages, open-data downloads, the ingest API, incremental database extracts, emulators).
 *
 * Glossary:
 * - component: a source kind as a value, `{ name, configSchema, create(config, ctx) }`. Nothing
 *   connects and no driver loads until `poll` is first called.
 * - poll: one unit of work (one request, one page crawl, one download pass, one extract batch). A
 *   poll either commits its progress together with what it emitted, or leaves progress unchanged.
 * - progress: what the source must remember to resume without duplicates (a cursor, ETags, offsets,
 *   fingerprints). It lives in the state store under the namespace `source.<name>`.
 *
 * Lifecycle: `component.create(config, ctx)` → `poll(signal)` any number of times (the runner in
 * run-source.ts calls it on an interval, N times, or for a duration) → `close()`.
 *
 * Delivery: at-least-once into the log or the lake; a source writes its records first and its
 * progress second, and dedups what it can (fingerprints, ETags, cursor tie-breaks) so that a restart
 * after a crash between the two re-emits nothing that a reader would see as new.
 *
 * Errors: a poll throws a TributaryError. Retryable errors (a 5xx, a timeout, a service that is
 * down) are retried by the source itself with backoff where it talks to the network; what reaches
 * the runner is logged and the next poll runs on schedule. Non-retryable errors stop the runner.
 */
import type { z } from 'zod';
import type { Lake } from '../lake/lake.ts';
import type { Log } from '../log/log.ts';
import type { Logger } from '../logger.ts';
import type { StateStore } from '../state/state.ts';

/** What one poll did; the runner sums these and prints them. */
export interface PollResult {
  /** Records (or rows, or files) written to the log or the lake. */
  emitted: number;
  /** Items seen but not emitted because nothing changed since last time (fingerprint, ETag, cursor). */
  skipped: number;
  /** Items that could not be read and went to a dead-letter topic or a quarantine file. */
  rejected: number;
  /** True when the source has nothing more to do for now (e.g. an extract caught up). */
  done?: boolean;
}

export interface SourceContext {
  log: Log;
  /** Present for sources that write files into the lake. */
  lake?: Lake;
  state: StateStore;
  logger: Logger;
  /** The wall clock; default `new Date()`. Tests inject one to run a source day after day. */
  now?: () => Date;
}

export interface Source {
  readonly name: string;
  poll(signal: AbortSignal): Promise<PollResult>;
  close(): Promise<void>;
}

export interface SourceComponent<S extends z.ZodType> {
  readonly name: string;
  readonly configSchema: S;
  /** Validates nothing itself: the caller parses the config with `configSchema` first. */
  create(config: z.output<S>, ctx: SourceContext): Source;
}

/** The state namespace a source keeps its progress under. */
export function progressNamespace(sourceName: string): string {
  return `source.${sourceName}`;
}
