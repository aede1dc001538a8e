/**
 * Helpers for the examples' end-to-end tests: a free port, `tributary dev` run to its end, its last
 * status block read back, every record of a topic, a stream job's table and a lake table.
 */
import { expect } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { openLakeTables, tablesSettings } from '../../../src/lake/tables/open-tables.ts';
import { query as sql } from '../../../src/lake/tables/sql.ts';
import type { TableZone } from '../../../src/lake/tables/tables.ts';
import type { QueryResult } from '../../../src/serve/query/view.ts';
import { cli } from '../../../test/support/cli.ts';

/** The counts of each part in the last status block `dev` printed (`name: a 1, b 2`). */
export function lastCounts(stdout: string): Map<string, Record<string, number>> {
  const blocks = stdout.split(/^\[\d+ s\] /m);
  const last = blocks[blocks.length - 1] ?? '';
  const parts = new Map<string, Record<string, number>>();
  for (const line of last.split('\n')) {
    const match = /^ {2}(\S+) (\S+)[^:]*: (.*)$/.exec(line);
    if (!match) continue;
    const counts: Record<string, number> = {};
    for (const pair of (match[3] ?? '').split(', ')) {
      const [name, value] = pair.split(' ');
      if (name !== undefined && value !== undefined && /^\d+$/.test(value)) counts[name] = Number(value);
    }
    parts.set(`${match[1]} ${match[2]}`, counts);
  }
  return parts;
}

export function countsOf(parts: Map<string, Record<string, number>>, part: string): Record<string, number> {
  const counts = parts.get(part);
  if (!counts) throw new Error(`no status line for ${part}; have ${[...parts.keys()].join(', ')}`);
  return counts;
}

export interface TopicRecord<T> {
  partition: number;
  offset: number;
  key: string | null;
  /** Milliseconds since the epoch (tail prints ISO 8601). */
  timestamp: number;
  value: T;
}

/** Every record of a topic, read from the log directly (no dev running). */
export async function allRecords<T>(cwd: string, env: Record<string, string>, topicName: string): Promise<TopicRecord<T>[]> {
  const tail = await cli(['tail', topicName, '--from', 'earliest', '-n', '1000000'], { cwd, env });
  expect(tail.code, tail.stderr).toBe(0);
  return tail.stdout
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const record = JSON.parse(line) as Omit<TopicRecord<T>, 'timestamp'> & { timestamp: string };
      return { ...record, timestamp: Date.parse(record.timestamp) };
    });
}

/** All rows of a stream job's table through `tributary query`. */
export async function tableRows(cwd: string, env: Record<string, string>, pipeline: string, table: string): Promise<QueryResult> {
  const queried = await cli(['query', table, '--pipeline', pipeline, '--param', 'limit=10000', '--json'], { cwd, env });
  expect(queried.code, queried.stderr).toBe(0);
  return JSON.parse(queried.stdout) as QueryResult;
}

/** A SELECT over a lake table (exposed as `t`), with the config `dev` ran on. */
export async function lakeRows(cwd: string, env: Record<string, string>, zone: TableZone, dataset: string, text = 'SELECT * FROM t'): Promise<Record<string, unknown>[]> {
  const { config } = await loadConfig({ cwd, env: { ...process.env, ...env } });
  const tables = await openLakeTables(tablesSettings(config, cwd));
  try {
    const c = await tables.instance.connect();
    try {
      await c.run(`CREATE OR REPLACE TEMP VIEW t AS SELECT * FROM ${tables.relation(zone, dataset)}`);
      return await sql(c, text);
    } finally {
      c.closeSync();
    }
  } finally {
    await tables.close();
  }
}

/** Runs a CLI command that must succeed; returns its stdout. */
export async function ok(argv: string[], cwd: string, env: Record<string, string>): Promise<string> {
  const result = await cli(argv, { cwd, env });
  expect(result.code, `${argv.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

/**
 * A dashboard chart's SQL run in DuckDB the way its names read: `processed.<t>` and `curated.<t>` are
 * the lake's tables, and each of `tables` (a stream job's rows, from `tributary query`; numbers,
 * booleans and nulls) a table of its own name.
 */
export async function chartRows(cwd: string, env: Record<string, string>, text: string, tables: Readonly<Record<string, { columns: Record<string, string>; rows: readonly Record<string, unknown>[] }>>): Promise<Record<string, unknown>[]> {
  const { config } = await loadConfig({ cwd, env: { ...process.env, ...env } });
  const lake = await openLakeTables(tablesSettings(config, cwd));
  try {
    const c = await lake.instance.connect();
    try {
      for (const match of text.matchAll(/\b(processed|curated)\.([a-z0-9_]+)/g)) {
        const [, zone, dataset] = match as unknown as [string, TableZone, string];
        await c.run(`CREATE SCHEMA IF NOT EXISTS memory.${zone}`);
        await c.run(`CREATE OR REPLACE VIEW memory.${zone}.${dataset} AS SELECT * FROM ${lake.relation(zone, dataset)}`);
      }
      for (const [name, table] of Object.entries(tables)) {
        const columns = Object.entries(table.columns);
        await c.run(`CREATE OR REPLACE TABLE memory.main.${name} (${columns.map(([column, type]) => `${column} ${type}`).join(', ')})`);
        for (const row of table.rows) {
          const values = columns.map(([column]) => {
            const value = row[column] ?? null;
            if (value !== null && typeof value !== 'number' && typeof value !== 'boolean') throw new Error(`chartRows takes numbers and booleans; ${name}.${column} is ${typeof value}`);
            return String(value);
          });
          await c.run(`INSERT INTO memory.main.${name} VALUES (${values.join(', ')})`);
        }
      }
      return await sql(c, `USE memory.main; ${text}`);
    } finally {
      c.closeSync();
    }
  } finally {
    await lake.close();
  }
}
