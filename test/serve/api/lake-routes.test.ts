/**
 * The Lake page's routes on a real DuckLake (catalog file and data directory in a temp dir): zones
 * and tables with their snapshot counts, a partitioned table's schema, partitions, files and sizes,
 * time travel to an earlier snapshot, a bounded preview, the live snapshot id, and bad input refused
 * with codes that name it.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.ts';
import { openLakeTables } from '../../../src/lake/tables/open-tables.ts';
import type { TablesSettings } from '../../../src/lake/tables/tables.ts';
import { createLogger } from '../../../src/logger.ts';
import { changeEntries, lakeBrowser } from '../../../src/serve/api/lake-browser.ts';
import { lakeRoutes } from '../../../src/serve/api/lake-routes.ts';
import { createServer, serverPlugin } from '../../../src/serve/server.ts';
import type { FastifyInstance } from 'fastify';

let dir: string;
let settings: TablesSettings;
let app: FastifyInstance;
/** The snapshot of the first insert, and of the second. */
let first: number;
let second: number;

async function write(sql: string): Promise<number> {
  const tables = await openLakeTables(settings);
  try {
    return (await tables.transaction((c) => c.run(sql))).snapshot;
  } finally {
    await tables.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tributary-lake-routes-'));
  await mkdir(path.join(dir, 'tables'));
  settings = { catalog: { kind: 'duckdb', file: path.join(dir, 'lake.ducklake') }, data: { kind: 'fs', dir: path.join(dir, 'tables') } };
  await write(`CREATE TABLE lake.processed.pins (id BIGINT, category VARCHAR, year INTEGER)`);
  await write(`ALTER TABLE lake.processed.pins SET PARTITIONED BY (year)`);
  first = await write(`INSERT INTO lake.processed.pins SELECT i, CASE WHEN i % 2 = 0 THEN 'diy' ELSE 'travel' END, 2020 + i % 2 FROM range(3000) t(i)`);
  second = await write(`INSERT INTO lake.processed.pins SELECT 3000 + i, 'art', 2022 FROM range(3000) t(i)`);
  await write(`CREATE TABLE lake.curated."odd ""name""" AS SELECT 1 AS n`);
  app = createServer({ server: configSchema.parse({}).server, logger: await createLogger({ level: 'silent' }), plugins: [serverPlugin(lakeRoutes, { lake: lakeBrowser(settings) })] });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('lake routes', () => {
  it('should list the zones and their tables with rows, files, bytes and the snapshots that touched them', async () => {
    const overview = (await app.inject({ url: '/api/ui/lake' })).json<{ current: number; zones: Array<{ zone: string; tables: Array<Record<string, unknown>> }> }>();
    expect(overview.current).toBeGreaterThanOrEqual(second);
    expect(overview.zones.map((z) => z.zone)).toEqual(['processed', 'curated']);
    const pins = overview.zones[0]!.tables[0]!;
    // Created, partitioned, inserted into twice.
    expect(pins).toMatchObject({ zone: 'processed', name: 'pins', rows: 6000, files: 3, snapshots: 4, lastChanged: { id: second } });
    expect(pins.bytes).toBeGreaterThan(1000);
    expect(overview.zones[1]!.tables.map((t) => t.name)).toEqual(['odd "name"']);
  });

  it('should describe a table: schema, partitions, files with sizes, its snapshots newest first', async () => {
    const detail = (await app.inject({ url: '/api/ui/lake/processed/pins' })).json<Record<string, unknown> & { files: Array<{ path: string; rows: number; bytes: number; partition: Record<string, string> }>; snapshots: Array<{ id: number; changes: string[] }> }>();
    // The newest snapshot (the curated table's), where the table is as the second insert left it.
    expect(detail.snapshot).toBe(detail.current);
    expect(detail).toMatchObject({ zone: 'processed', name: 'pins', rows: 6000, partitionBy: [{ column: 'year', transform: 'identity' }], filesTotal: 3 });
    expect(detail.columns).toEqual([{ name: 'id', type: 'BIGINT' }, { name: 'category', type: 'VARCHAR' }, { name: 'year', type: 'INTEGER' }]);
    expect(detail.partitions).toEqual([
      { values: { year: '2020' }, files: 1, rows: 1500, bytes: expect.any(Number) as unknown },
      { values: { year: '2021' }, files: 1, rows: 1500, bytes: expect.any(Number) as unknown },
      { values: { year: '2022' }, files: 1, rows: 3000, bytes: expect.any(Number) as unknown },
    ]);
    expect(detail.files.map((f) => f.path)).toEqual([expect.stringMatching(/^year=2020\/.*\.parquet$/), expect.stringMatching(/^year=2021\//), expect.stringMatching(/^year=2022\//)]);
    expect(detail.files.every((f) => f.bytes > 0)).toBe(true);
    expect(detail.bytesTotal).toBe(detail.files.reduce((n, f) => n + f.bytes, 0));
    expect(detail.snapshots.map((s) => s.id)).toEqual([second, first, first - 1, first - 2]);
    expect(detail.snapshots[0]!.changes).toEqual([expect.stringMatching(/^inserted_into_table:\d+$/)]);
  });

  it('should travel back to an earlier snapshot: its files, its row count, its rows', async () => {
    const then = (await app.inject({ url: `/api/ui/lake/processed/pins?snapshot=${first}` })).json<{ rows: number; filesTotal: number; snapshot: number }>();
    expect(then).toMatchObject({ snapshot: first, rows: 3000, filesTotal: 2 });
    const rows = (await app.inject({ url: `/api/ui/lake/processed/pins/rows?snapshot=${first}&limit=100` })).json<{ columns: Array<{ name: string }>; rows: unknown[][]; truncated: boolean }>();
    expect(rows.columns.map((c) => c.name)).toEqual(['id', 'category', 'year']);
    expect(rows.rows).toHaveLength(100);
    expect(rows.truncated).toBe(true);
    expect(rows.rows.every((r) => r[1] !== 'art')).toBe(true);
    const now = (await app.inject({ url: '/api/ui/lake/processed/pins/rows?limit=5000' })).json<{ rows: unknown[] }>();
    expect(now.rows).toHaveLength(100);
    const odd = (await app.inject({ url: `/api/ui/lake/curated/${encodeURIComponent('odd "name"')}/rows` })).json<{ rows: unknown[][]; truncated: boolean }>();
    expect(odd).toMatchObject({ rows: [[1]], truncated: false });
  });

  it('should answer an unknown table, a table not yet made at a snapshot, and a future snapshot with 404 LAKE_NOT_FOUND naming it', async () => {
    for (const [url, message] of [
      ['/api/ui/lake/processed/nope', /no table processed\.nope in the lake/],
      ['/api/ui/lake/processed/nope/rows', /no table processed\.nope/],
      [`/api/ui/lake/processed/pins?snapshot=1`, /no table processed\.pins in the lake at snapshot 1/],
      [`/api/ui/lake/processed/pins/rows?snapshot=999999`, /no snapshot 999999 in the lake: the newest is \d+/],
      // A name that is SQL stays a name.
      [`/api/ui/lake/processed/${encodeURIComponent('pins" ; DROP TABLE lake.processed.pins; --')}`, /no table processed\.pins" ; DROP/],
    ] as const) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json(), url).toMatchObject({ code: 'LAKE_NOT_FOUND', message: expect.stringMatching(message) as unknown });
    }
    expect((await app.inject({ url: '/api/ui/lake/processed/pins' })).json()).toMatchObject({ rows: 6000 });
  });

  it('should refuse a bad zone, snapshot or limit with 400 naming the parameter', async () => {
    for (const [url, message] of [
      ['/api/ui/lake/raw/pins', /^zone: expected one of processed, curated, got "raw"/],
      ['/api/ui/lake/processed/pins?snapshot=-1', /^snapshot: expected a snapshot id/],
      ['/api/ui/lake/processed/pins/rows?snapshot=1e3', /^snapshot: expected a snapshot id/],
      ['/api/ui/lake/processed/pins/rows?limit=ten', /^limit: expected a whole number/],
    ] as const) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(400);
      expect(response.json(), url).toMatchObject({ code: 'CLI_USAGE', message: expect.stringMatching(message) as unknown });
    }
  });

  it('should see a new snapshot in the live snapshot id, and report none while there is no catalog', async () => {
    const lake = lakeBrowser(settings);
    const before = await lake.currentSnapshot();
    expect(before).toBeGreaterThanOrEqual(second);
    const made = await write(`INSERT INTO lake.curated."odd ""name""" VALUES (2)`);
    // Read once the catalog has stayed as it is for one call.
    expect(await lake.currentSnapshot()).toBe(before);
    expect(await lake.currentSnapshot()).toBe(made);
    const empty = lakeBrowser({ ...settings, catalog: { kind: 'duckdb', file: path.join(dir, 'none.ducklake') } });
    expect(await empty.currentSnapshot()).toBeUndefined();
    expect(await empty.overview()).toEqual({ zones: [{ zone: 'processed', tables: [] }, { zone: 'curated', tables: [] }] });
  });

  it('should split a change list whose quoted names hold commas', () => {
    expect(changeEntries('created_table:"processed"."a,b",inserted_into_table:3')).toEqual(['created_table:"processed"."a,b"', 'inserted_into_table:3']);
  });
});
