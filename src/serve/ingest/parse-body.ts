/**
 * An ingest request body as records: one JSON value (`application/json`) or one per line
 * (`application/x-ndjson`, blank lines ignored), each checked against the topic's schema. Either
 * every record is good, or the answer lists what is wrong with each bad one.
 */
import type { z } from 'zod';

/** One problem: the record's index in the request (from 0), its line in an NDJSON body (from 1), the field and what is wrong. */
export interface IngestIssue {
  index: number;
  line?: number;
  path: string;
  message: string;
}

export type ParsedBody = { ok: true; values: unknown[] } | { ok: false; issues: IngestIssue[]; invalidRecords: number };

/** At most this many issues go into one answer. */
export const MAX_ISSUES = 100;

export function parseBody(text: string, ndjson: boolean, schema: z.ZodType): ParsedBody {
  const values: unknown[] = [];
  const issues: IngestIssue[] = [];
  let invalidRecords = 0;
  const take = (source: string, index: number, line: number | undefined) => {
    const where = line === undefined ? {} : { line };
    let parsed: unknown;
    try {
      parsed = JSON.parse(source);
    } catch (error) {
      invalidRecords++;
      issues.push({ index, ...where, path: '(record)', message: `not valid JSON: ${(error as Error).message}` });
      return;
    }
    const result = schema.safeParse(parsed);
    if (result.success) {
      values.push(result.data);
      return;
    }
    invalidRecords++;
    for (const issue of result.error.issues) {
      issues.push({ index, ...where, path: issue.path.length > 0 ? issue.path.map(String).join('.') : '(record)', message: issue.message });
    }
  };

  if (!ndjson) {
    if (text.trim() === '') return { ok: false, issues: [{ index: 0, path: '(record)', message: 'the body is empty: send one JSON record' }], invalidRecords: 1 };
    take(text, 0, undefined);
  } else {
    const lines = text.split('\n');
    let index = 0;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.replace(/\r$/, '');
      if (line.trim() === '') continue;
      take(line, index++, i + 1);
    }
    if (index === 0) return { ok: false, issues: [{ index: 0, path: '(record)', message: 'the body holds no records: send one JSON record per line' }], invalidRecords: 1 };
  }
  return invalidRecords === 0 ? { ok: true, values } : { ok: false, issues: issues.slice(0, MAX_ISSUES), invalidRecords };
}
