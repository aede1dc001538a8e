/**
 * A stream job's table as a view: its rows as the sink holds them (the speed layer alone, no batch
 * half), so `tributary query <table>` and `GET /query/<table>` answer every real-time table of a
 * loaded pipeline. Parameters: `limit` (default 100, at most 10,000) and, for each key column, an
 * exact match (`--param unique_id=…`). Rows come sorted by key, so the answer is stable.
 */
import { z } from 'zod';
import { TributaryError } from '../../errors.ts';
import type { Row, Sink, TableSpec } from '../../sinks/sink.ts';
import type { Cell, MergedView, QueryResult } from './view.ts';

export interface TableViewOptions {
  table: TableSpec;
  /** Not yet open; the view opens it on the first query and closes it with itself. */
  sink: Sink;
  /** The topic the job reads, for the answer's coverage. */
  topic: string;
  description?: string;
}

export function tableView(options: TableViewOptions): MergedView {
  const { table, sink } = options;
  const keyFilters = Object.fromEntries(table.key.map((column) => [column, z.string().min(1).optional()]));
  const params = z.strictObject({ limit: z.coerce.number().int().min(1).max(10_000).default(100), ...keyFilters });
  const columns = Object.keys(table.columns);
  let opened: Promise<void> | undefined;
  return {
    name: table.name,
    description: options.description ?? `the rows of the real-time table ${table.name} (written by a stream job from ${options.topic})`,
    params,
    async run(input, runOptions = {}): Promise<QueryResult> {
      if (runOptions.asOf) throw new TributaryError('QUERY_INVALID', `View "${table.name}" is a stream job's real-time table: it has no batch half to answer as of a snapshot`);
      const parsed = params.parse(input) as { limit: number } & Record<string, string | undefined>;
      await (opened ??= sink.open());
      const positions = await sink.positions();
      const all = await sink.scan();
      const matching = all.filter((row) => table.key.every((column) => parsed[column] === undefined || String(row[column]) === parsed[column]));
      matching.sort((a, b) => compareKeys(a, b, table.key));
      const realtime: Record<string, number> = {};
      for (const p of positions) if (p.topic === options.topic) realtime[String(p.partition)] = p.offset;
      return {
        view: table.name,
        columns,
        rows: matching.slice(0, parsed.limit).map((row) => Object.fromEntries(columns.map((c) => [c, cell(row[c])]))),
        asOf: { topic: options.topic, covered: { ...realtime }, batch: { offsets: {}, computed: null }, realtime },
      };
    },
    async close() {
      if (opened) await opened.catch(() => undefined);
      await sink.close();
    },
  };
}

function compareKeys(a: Row, b: Row, key: readonly string[]): number {
  for (const column of key) {
    const x = keyText(a[column]);
    const y = keyText(b[column]);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function keyText(value: unknown): string {
  const c = cell(value);
  return c === null ? '' : String(c);
}

function cell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}
