/** A lake, metadata store and lake tables in a temp dir, the real Toronto files, and reading results back. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { quarantineTable } from '../../src/batch/batch-tables.ts';
import { openFsLake } from '../../src/lake/fs/fs-lake.ts';
import type { Lake } from '../../src/lake/lake.ts';
import { batchSettings } from '../../src/batch/duckdb.ts';
import { openLakeTables } from '../../src/lake/tables/open-tables.ts';
import { query as sql } from '../../src/lake/tables/sql.ts';
import type { AsOf, Column, LakeTables, TableZone, TablesSettings } from '../../src/lake/tables/tables.ts';
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
  tables: LakeTables;
  settings: TablesSettings;
  dir: string;
}

/** The embedded layout `tablesSettings` gives a data directory: catalog file, tables beside the raw zone. */
export function embeddedSettings(dataDir: string): TablesSettings {
  return { catalog: { kind: 'duckdb', file: path.join(dataDir, 'lake-tables.ducklake') }, data: { kind: 'fs', dir: path.join(dataDir, 'lake', 'tables') } };
}

export async function fsFixture(): Promise<Fixture> {
  const dir = await tempDir('tributary-batch-');
  const lake = await openFsLake({ root: path.join(dir, 'lake') });
  const metadata = await openEmbeddedMetadataStore({ file: path.join(dir, 'metadata.sqlite') });
  const settings = embeddedSettings(dir);
  const tables = await openLakeTables(settings, { settings: batchSettings() });
  onTestFinished(async () => {
    await tables.close();
    await metadata.close();
    await lake.close();
  });
  return { lake, metadata, tables, settings, dir };
}

export async function putFile(lake: Lake, key: string, source: URL | string): Promise<void> {
  await lake.put(key, typeof source === 'string' ? Buffer.from(source, 'utf8') : await readFile(source));
}

/** The real file's text cut to its header and first `lines` physical lines (no multi-line fields before line 600). */
export async function head(source: URL, lines: number): Promise<string> {
  return `${(await readFile(source, 'utf8')).split('\n').slice(0, lines + 1).join('\n')}\n`;
}

async function withConnection<T>(tables: LakeTables, fn: (c: Awaited<ReturnType<LakeTables['instance']['connect']>>) => Promise<T>): Promise<T> {
  const c = await tables.instance.connect();
  try {
    return await fn(c);
  } finally {
    c.closeSync();
  }
}

/** Rows of a lake table, with `text` over a view `t` (default: all rows). */
export async function query(f: Pick<Fixture, 'tables'>, zone: TableZone, dataset: string, text = 'SELECT * FROM t', asOf?: AsOf): Promise<Record<string, unknown>[]> {
  return withConnection(f.tables, async (c) => {
    await c.run(`CREATE OR REPLACE TEMP VIEW t AS SELECT * FROM ${f.tables.relation(zone, dataset, asOf)}`);
    return sql(c, text);
  });
}

/** Rows of an output's quarantine table, with `text` over a view `t`. */
export async function quarantine(f: Pick<Fixture, 'tables'>, dataset: string, text = 'SELECT * FROM t', zone: TableZone = 'processed'): Promise<Record<string, unknown>[]> {
  return withConnection(f.tables, async (c) => {
    await c.run(`CREATE OR REPLACE TEMP VIEW t AS SELECT * FROM ${quarantineTable(f.tables, zone, dataset)}`);
    return sql(c, text);
  });
}

export async function schemaOf(f: Pick<Fixture, 'tables'>, zone: TableZone, dataset: string): Promise<Column[]> {
  return f.tables.columns(zone, dataset);
}
