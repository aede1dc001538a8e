/**
 * A posting emulator: sends generated records to the ingest API over HTTP at a steady rate, as a
 * real producer would (the Pinterest example's pin poster is one). It stops after `records`, after
 * `durationMs`, or when the signal aborts, always between requests (a request in flight is finished,
 * so every record is either accepted or not sent).
 *
 * Rate: a token bucket of `rate` events per second. Records go in NDJSON batches of about 50 ms
 * worth of events (at least one, at most `maxBatch`), so a high rate does not become a flood of
 * requests; the burst is bounded by a quarter of a second of events.
 *
 * Errors: 429 waits for Retry-After; 5xx and network failures are retried with backoff, then
 * INGEST_UNAVAILABLE; other 4xx are INGEST_REJECTED (with the API's message). A retried request
 * whose first answer was lost may have been written twice: records should carry an id that tells
 * them apart.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TributaryError } from '../../errors.ts';
import { TokenBucket } from './token-bucket.ts';

export interface PostingEmulatorOptions<R> {
  /** Base URL of the server, e.g. http://127.0.0.1:8080. */
  url: string;
  topic: string;
  apiKey?: string;
  /** Events per second. */
  rate: number;
  /** The i-th record to send (i counts from 0 across the run). */
  record: (i: number) => R;
  /** Stop after this many records. */
  records?: number;
  /** Stop after this long. */
  durationMs?: number;
  signal?: AbortSignal;
  /** Most records in one request; default 500. */
  maxBatch?: number;
  /** Delays before retrying a 5xx or a failed connection; default 100 ms doubling to 3.2 s. */
  retryDelaysMs?: readonly number[];
  /** After each accepted request, with the records it carried and the running totals. */
  onAccepted?: (records: readonly R[], totals: EmulatorTotals) => void;
}

export interface EmulatorTotals {
  /** Records sent, each counted once however often its request was retried. */
  sent: number;
  /** Records the API accepted (202). */
  accepted: number;
  requests: number;
  /** Requests sent again after a 429, a 5xx or a connection failure. */
  retries: number;
  elapsedMs: number;
}

interface Accepted {
  accepted: number;
  offsets: { partition: number; offset: number }[];
}

export async function runPostingEmulator<R>(options: PostingEmulatorOptions<R>): Promise<EmulatorTotals> {
  if (!(options.rate > 0)) throw new TributaryError('CLI_USAGE', `the emulator's rate must be above 0 events/s, got ${options.rate}`);
  const maxBatch = options.maxBatch ?? 500;
  const target = Math.max(1, Math.min(maxBatch, Math.floor(options.rate * 0.05)));
  const bucket = new TokenBucket(options.rate, Math.max(target, options.rate * 0.25));
  const endpoint = `${options.url.replace(/\/$/, '')}/ingest/${encodeURIComponent(options.topic)}`;
  const started = performance.now();
  const deadline = options.durationMs === undefined ? Infinity : started + options.durationMs;
  const limit = options.records ?? Infinity;
  const totals: EmulatorTotals = { sent: 0, accepted: 0, requests: 0, retries: 0, elapsedMs: 0 };
  let next = 0;
  const stopped = () => options.signal?.aborted === true || totals.accepted >= limit || performance.now() >= deadline;

  while (!stopped()) {
    const n = bucket.take(Math.min(maxBatch, limit - totals.accepted), target);
    if (n === 0) {
      const wait = Math.min(bucket.waitMs(target), deadline - performance.now());
      await sleep(Math.max(1, wait), undefined, { signal: options.signal }).catch(() => undefined);
      continue;
    }
    const batch: R[] = [];
    for (let i = 0; i < n; i++, next++) batch.push(options.record(next));
    totals.sent += batch.length;
    const answer = await post(endpoint, batch, options, totals);
    totals.accepted += answer.accepted;
    totals.elapsedMs = performance.now() - started;
    options.onAccepted?.(batch, totals);
  }
  totals.elapsedMs = performance.now() - started;
  return totals;
}

async function post<R>(endpoint: string, batch: readonly R[], options: PostingEmulatorOptions<R>, totals: EmulatorTotals): Promise<Accepted> {
  const delays = options.retryDelaysMs ?? [100, 200, 400, 800, 1600, 3200];
  const body = batch.map((record) => JSON.stringify(record)).join('\n') + '\n';
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
  if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
  for (let attempt = 0; ; attempt++) {
    totals.requests++;
    let failure: string;
    let wait: number | undefined = delays[attempt];
    try {
      const response = await fetch(endpoint, { method: 'POST', headers, body });
      const text = await response.text();
      if (response.status === 202) return JSON.parse(text) as Accepted;
      const message = messageOf(text);
      if (response.status === 429) {
        // Waiting out the limit is not a failure: it does not use up a retry.
        const after = Number(response.headers.get('retry-after'));
        wait = Number.isFinite(after) && after > 0 ? after * 1000 : 1000;
        attempt--;
      } else if (response.status < 500) {
        throw new TributaryError('INGEST_REJECTED', `POST ${endpoint} answered ${response.status}: ${message}`);
      }
      failure = `answered ${response.status}: ${message}`;
    } catch (error) {
      if (error instanceof TributaryError) throw error;
      failure = `failed: ${(error as Error).message}${(error as { cause?: Error }).cause ? ` (${(error as { cause: Error }).cause.message})` : ''}`;
    }
    if (wait === undefined || options.signal?.aborted) throw new TributaryError('INGEST_UNAVAILABLE', `POST ${endpoint} ${failure}, after ${attempt + 1} attempts`);
    totals.retries++;
    await sleep(wait);
  }
}

function messageOf(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: the text itself
  }
  return text.slice(0, 200);
}
