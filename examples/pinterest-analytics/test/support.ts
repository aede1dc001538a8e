/** Helpers of the example's end-to-end tests: polling, the running process's status, the log and the lake as the CLI shows them. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { cli } from '../../../test/support/cli.ts';

export const EXAMPLE = fileURLToPath(new URL('..', import.meta.url));

export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export interface Part {
  name: string;
  kind: string;
  counts: Record<string, number>;
}

/** The running dev's parts, from its local API. */
export async function parts(cwd: string): Promise<Part[] | undefined> {
  const file = path.join(cwd, '.tributary', 'dev.json');
  if (!existsSync(file)) return undefined;
  const { url } = JSON.parse(readFileSync(file, 'utf8')) as { url: string };
  const response = await fetch(`${url}/api/status`).catch(() => undefined);
  return response?.ok ? ((await response.json()) as { parts: Part[] }).parts : undefined;
}

export interface TailRecord<V = unknown> {
  partition: number;
  offset: number;
  timestamp: number | string;
  value: V;
}

/** Every record of a topic, from the earliest. */
export async function readTopic<V = unknown>(cwd: string, topic: string, env: Record<string, string> = {}): Promise<TailRecord<V>[]> {
  const result = await cli(['tail', topic, '--from', 'earliest', '-n', '1000000', '--no-follow'], { cwd, env });
  if (result.code !== 0) throw new Error(`tail ${topic} failed: ${result.stderr}`);
  return result.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as TailRecord<V>);
}

/** Records per topic, summed over partitions, as `topics describe` prints them. */
export async function topicRecords(cwd: string, topic: string, env: Record<string, string> = {}): Promise<number> {
  const described = await cli(['topics', 'describe', topic], { cwd, env });
  if (described.code !== 0) throw new Error(`topics describe ${topic} failed: ${described.stderr}`);
  return [...described.stdout.matchAll(/^\d+\s+\d+\s+(\d+)\s+\d+$/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

/** The numbers after each name in a status line, e.g. `in 10, out 9` → { in: 10, out: 9 }. */
export function statusCounts(stdout: string, part: string): Record<string, number> {
  const lines = stdout.split('\n').filter((l) => [' ', '/'].some((before) => l.includes(`${before}${part} [stopped]:`) || l.includes(`${before}${part}:`)));
  const line = lines.at(-1);
  if (line === undefined) throw new Error(`no status line for ${part} in:\n${stdout}`);
  const counts: Record<string, number> = {};
  for (const m of line.slice(line.indexOf(':') + 1).matchAll(/(\w+) ([\d,]+)/g)) counts[m[1]!] = Number(m[2]!.replaceAll(',', ''));
  return counts;
}

/** Runs a batch job of the example now; returns its row counts (`rows: A in, B out, C quarantined, D filtered`). */
export async function runBatch(cwd: string, job: string, env: Record<string, string> = {}): Promise<{ in: number; out: number; quarantined: number; filtered: number }> {
  const result = await cli(['batch', 'run', job, '--pipeline', EXAMPLE], { cwd, env });
  if (result.code !== 0) throw new Error(`batch run ${job} failed: ${result.stderr}${result.stdout}`);
  const m = /rows: (\d+) in, (\d+) out, (\d+) quarantined, (\d+) filtered/.exec(result.stdout);
  if (!m) throw new Error(`batch run ${job} printed no row counts: ${result.stdout}`);
  return { in: Number(m[1]), out: Number(m[2]), quarantined: Number(m[3]), filtered: Number(m[4]) };
}

/** A lake table's rows, through `lake export` to Parquet and DuckDB, bigints as numbers. */
export async function lakeTable(cwd: string, table: string, env: Record<string, string> = {}): Promise<Record<string, unknown>[]> {
  const file = path.join(cwd, `${table}.parquet`);
  const exported = await cli(['lake', 'export', table, '--format', 'parquet', '-o', file], { cwd, env });
  if (exported.code !== 0) throw new Error(`lake export ${table} failed: ${exported.stderr}`);
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    const rows = (await connection.runAndReadAll(`SELECT * FROM read_parquet('${file.replaceAll("'", "''")}')`)).getRowObjectsJS();
    // BIGINT columns come back as bigint; the values here are all far below 2^53.
    return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}
