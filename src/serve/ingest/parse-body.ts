/**
 * An ingest request body as records: one JSON value (`application/json`) or one per line
 * (`application/x-ndjson`, blank lines ignored), each checked against the topic's schema. Either
 * every record is good, or the answer lists what is wrong with the first bad ones.
 *
 * A body is untrusted and can be built to be expensive (a megabyte of `{}` lines is 350,000 invalid
 * records), so the cost of one request is bounded three ways:
 * - records: more than `maxRecords` are refused before any is parsed;
 * - memory: at most MAX_ISSUES problems are kept, the rest only counted;
 * - the event loop: validation runs in slices of at most `sliceMs`, yielding with `setImmediate`
 *   between them, so other requests (and `/health`) are answered while a large body is checked.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { z } from 'zod';

/** One problem: the record's index in the request (from 0), its line in an NDJSON body (from 1), the field and what is wrong. */
export interface IngestIssue {
  index: number;
  line?: number;
  path: string;
  message: string;
}

export type ParsedBody =
  | { ok: true; values: unknown[] }
  /** `issues` holds at most MAX_ISSUES entries; `omittedIssues` counts the problems beyond them. */
  | { ok: false; reason: 'invalid'; issues: IngestIssue[]; omittedIssues: number; invalidRecords: number }
  | { ok: false; reason: 'too-many-records'; maxRecords: number };

/** At most this many issues go into one answer. */
export const MAX_ISSUES = 100;

export interface ParseBodyOptions {
  /** More records than this and the body is refused unread (`too-many-records`). */
  maxRecords: number;
  /** Longest stretch of validation between two yields to the event loop, in ms. Default 5. */
  sliceMs?: number;
}

export async function parseBody(text: string, ndjson: boolean, schema: z.ZodType, options: ParseBodyOptions): Promise<ParsedBody> {
  const sliceMs = options.sliceMs ?? 5;
  const values: unknown[] = [];
  const issues: IngestIssue[] = [];
  let omittedIssues = 0;
  let invalidRecords = 0;
  const report = (issue: IngestIssue) => {
    if (issues.length < MAX_ISSUES) issues.push(issue);
    else omittedIssues++;
  };
  const take = (source: string, index: number, line: number | undefined) => {
    const where = line === undefined ? {} : { line };
    let parsed: unknown;
    try {
      parsed = JSON.parse(source);
    } catch (error) {
      invalidRecords++;
      report({ index, ...where, path: '(record)', message: `not valid JSON: ${(error as Error).message}` });
      return;
    }
    const result = schema.safeParse(parsed);
    if (result.success) {
      values.push(result.data);
      return;
    }
    invalidRecords++;
    for (const issue of result.error.issues) {
      report({ index, ...where, path: issue.path.length > 0 ? issue.path.map(String).join('.') : '(record)', message: issue.message });
    }
  };
  const failed = (): ParsedBody => ({ ok: false, reason: 'invalid', issues, omittedIssues, invalidRecords });

  if (!ndjson) {
    if (text.trim() === '') return { ok: false, reason: 'invalid', issues: [{ index: 0, path: '(record)', message: 'the body is empty: send one JSON record' }], omittedIssues: 0, invalidRecords: 1 };
    take(text, 0, undefined);
    return invalidRecords === 0 ? { ok: true, values } : failed();
  }

  if (countRecords(text, options.maxRecords + 1) > options.maxRecords) return { ok: false, reason: 'too-many-records', maxRecords: options.maxRecords };
  let index = 0;
  let sliceStart = performance.now();
  for (const { line, number } of lines(text)) {
    if (line.trim() === '') continue;
    take(line, index++, number);
    // Checking the clock costs more than a small record does, so only every few records.
    if ((index & 63) === 0 && performance.now() - sliceStart >= sliceMs) {
      await nextTurn();
      sliceStart = performance.now();
    }
  }
  if (index === 0) return { ok: false, reason: 'invalid', issues: [{ index: 0, path: '(record)', message: 'the body holds no records: send one JSON record per line' }], omittedIssues: 0, invalidRecords: 1 };
  return invalidRecords === 0 ? { ok: true, values } : failed();
}

/** The lines of NDJSON text without their `\n` or `\r\n`, numbered from 1, read lazily. */
function* lines(text: string): Generator<{ line: string; number: number }> {
  let start = 0;
  for (let number = 1; start <= text.length; number++) {
    const end = text.indexOf('\n', start);
    const stop = end === -1 ? text.length : end;
    yield { line: text.charCodeAt(stop - 1) === 13 && stop > start ? text.slice(start, stop - 1) : text.slice(start, stop), number };
    if (end === -1) return;
    start = end + 1;
  }
}

/** Non-blank lines of NDJSON text, counting no further than `limit`. */
function countRecords(text: string, limit: number): number {
  let count = 0;
  for (const { line } of lines(text)) {
    if (line.trim() !== '' && ++count >= limit) return count;
  }
  return count;
}
