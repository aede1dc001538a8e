/** A lake, metadata store and staging directory in a temp dir, the real Toronto files, and reading results back. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { onTestFinished } from 'vitest';
import { readManifest, visibleFiles } from '../../src/lake/catalog.ts';
import { openFsLake } from '../../src/lake/fs/fs-lake.ts';
import type { Lake, Zone } from '../../src/lake/lake.ts';
import { openEmbeddedMetadataStore } from '../../src/metadata/embedded/embedded-metadata.ts';
import type { MetadataStore } from '../../src/metadata/metadata.ts';
import { tempDir } from '../support/cli.ts';

export const toronto = {
  pre2023: new URL('../../../shared/data/toronto-abe/pre-2023-apartment-building-evaluations.csv', import.meta.url),
  current: new URL('../../../shared/data/toronto-abe/apartment-building-evaluations-2023-current.csv', import.meta.url),
  legacy: new URL('../../../shared/data/toronto-abe/apartment-building-evaluation.legacy-2023-snapshot.csv', import.meta.url),
  crlf: new URL('../../../shared/data/toronto-abe/apartment-building-evaluations-2023-current.2025-04-snapshot.crlf.csv', import.meta.url),
};

export const RAW = 'raw/apartment-building-evaluation';

export interface Fixture {
  lake: Lake;
  metadata: MetadataStore;
  stagingDir: string;
  dir: string;
}

export async function fsFixture(): Promise<Fixture> {
  const dir = await tempDir('tributary-batch-');
  const lake = await openFsLake({ root: path.join(dir, 'lake') });
  const metadata = await openEmbeddedMetadataStore({ file: path.join(dir, 'metadata.sqlite') });
  onTestFinished(async () => {
    await metadata.close();
    await lake.close();
  });
  return { lake, metadata, stagingDir: path.join(dir, 'staging'), dir };
}

export async function putFile(lake: Lake, key: string, source: URL | string): Promise<void> {
  await lake.put(key, typeof source === 'string' ? Buffer.from(source, 'utf8') : await readFile(source));
}

/** The real file's text cut to its header and first `lines` physical lines (no multi-line fields before line 600). */
export async function head(source: URL, lines: number): Promise<string> {
  return `${(await readFile(source, 'utf8')).split('\n').slice(0, lines + 1).join('\n')}\n`;
}

/** Rows of a dataset's visible files, with `sql` over a view `t` (default: all rows). */
export async function query(lake: Lake, zone: Zone, dataset: string, sql = 'SELECT * FROM t'): Promise<Record<string, unknown>[]> {
  const files = visibleFiles(await readManifest(lake, zone, dataset));
  const paths = await Promise.all(files.map((f) => lake.localPath(f.key)));
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await db.connect();
  try {
    await connection.run(`CREATE VIEW t AS SELECT * FROM read_parquet([${paths.map((p) => `'${p}'`).join(', ')}], hive_partitioning = true, union_by_name = true)`);
    return (await connection.runAndReadAll(sql)).getRowObjectsJS();
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}

/** The columns of the Parquet files a dataset's manifest lists, file by file. */
export async function fileColumns(lake: Lake, zone: Zone, dataset: string): Promise<string[][]> {
  const files = visibleFiles(await readManifest(lake, zone, dataset));
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await db.connect();
  try {
    const columns: string[][] = [];
    for (const file of files) {
      const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${await lake.localPath(file.key)}', hive_partitioning = false)`);
      columns.push(described.getRowObjectsJS().map((r) => r.column_name as string));
    }
    return columns;
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}
