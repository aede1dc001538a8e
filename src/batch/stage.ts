/**
 * Publishing a unit's staged files: DuckDB writes Parquet under a local staging directory laid out
 * as the lake is (`dt=.../part-*.parquet`); each file is uploaded to its key, then one catalog commit
 * makes all of them visible. Files uploaded for a commit that then fails are deleted again (they
 * would be invisible anyway: no manifest lists them).
 */
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { rows, literal } from './duckdb.ts';
import type { Lake } from '../lake/lake.ts';

export interface StagedFile {
  /** Path of the file under the staging directory, `/`-separated. */
  relative: string;
  local: string;
  rows: number;
}

async function walk(dir: string, base = dir): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await walk(full, base)));
    else if (entry.name.endsWith('.parquet')) found.push(full);
  }
  return found;
}

/** The Parquet files under `dir`, with their row counts from the Parquet footers. */
export async function stagedFiles(connection: DuckDBConnection, dir: string): Promise<StagedFile[]> {
  const files = (await walk(dir)).sort();
  if (files.length === 0) return [];
  const counts = await rows(connection, `SELECT file_name, num_rows FROM parquet_file_metadata([${files.map(literal).join(', ')}])`, 'reading the staged Parquet footers');
  const byFile = new Map(counts.map((r) => [String(r.file_name), Number(r.num_rows)]));
  return files.map((local) => ({ local, relative: path.relative(dir, local).split(path.sep).join('/'), rows: byFile.get(local) ?? 0 }));
}

/** Uploads each file to `prefix + relative`, at most `concurrency` at a time; returns the keys. */
export async function upload(lake: Lake, files: readonly StagedFile[], prefix: string, concurrency = 8): Promise<string[]> {
  const keys: string[] = [];
  const queue = [...files];
  const worker = async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const key = `${prefix}${file.relative}`;
      await lake.put(key, createReadStream(file.local), { contentType: 'application/vnd.apache.parquet' });
      keys.push(key);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  return keys;
}

/** Best effort: objects a failed commit left behind are invisible; removing them only saves space. */
export async function removeObjects(lake: Lake, keys: readonly string[]): Promise<void> {
  await Promise.all(keys.map((key) => lake.delete(key).catch(() => undefined)));
}
