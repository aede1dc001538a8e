/** One suite that the lake's tables pass on every catalog and data path: embedded + directory, PostgreSQL + MinIO. */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { exportTable } from '../../src/lake/tables/export-table.ts';
import { deleteOrphans, maintainTables, tableFiles } from '../../src/lake/tables/maintenance.ts';
import { openLakeTables } from '../../src/lake/tables/open-tables.ts';
import { query } from '../../src/lake/tables/sql.ts';
import type { LakeTables, TablesSettings } from '../../src/lake/tables/tables.ts';
import { prepareTable, replacePartitions } from '../../src/lake/tables/write.ts';
import { tempDir } from '../support/cli.ts';
import { rejection } from '../support/errors.ts';
import { uniqueName } from '../support/services.ts';

const columns = [
  { name: 'id', type: 'INTEGER' },
  { name: 'year', type: 'VARCHAR' },
  { name: 'v', type: 'VARCHAR' },
];

/** `settings()` gives a catalog and data path of the test's own. */
export function describeTablesContract(name: string, settings: () => Promise<TablesSettings>): void {
  describe(`lake tables (${name})`, () => {
    let current: TablesSettings | undefined;
    async function open(again = false): Promise<LakeTables> {
      if (!again || !current) current = await settings();
      const tables = await openLakeTables(current);
      onTestFinished(() => tables.close());
      return tables;
    }

    async function rows(tables: LakeTables, sql: string): Promise<Record<string, unknown>[]> {
      const c = await tables.instance.connect();
      try {
        return await query(c, sql);
      } finally {
        c.closeSync();
      }
    }

    async function write(tables: LakeTables, dataset: string, values: readonly string[] | 'all', select: string) {
      return tables.transaction(async (c) => {
        await prepareTable(c, tables, { zone: 'processed', dataset, columns, partitionBy: 'year', evolve: false });
        await replacePartitions(c, tables, { zone: 'processed', dataset, partitionBy: 'year' }, values, select);
      }, `test ${dataset}`);
    }

    const gen = (from: number, to: number, v: string) => `SELECT range::INTEGER AS id, (2020 + range % 3)::VARCHAR AS year, '${v}' AS v FROM range(${from}, ${to})`;

    it('a write should commit one snapshot, and time travel should read the rows of an older one', async () => {
      const tables = await open();
      const dataset = uniqueName('t');
      const first = await write(tables, dataset, 'all', gen(0, 3000, 'a'));
      const second = await write(tables, dataset, ['2020'], `SELECT * FROM (${gen(0, 3000, 'b')}) WHERE year = '2020'`);
      expect(second.snapshot).toBe(first.snapshot + 1);
      const now = await rows(tables, `SELECT v, count(*) AS n FROM ${tables.relation('processed', dataset)} GROUP BY v ORDER BY v`);
      expect(now).toEqual([{ v: 'a', n: 2000n }, { v: 'b', n: 1000n }]);
      const then = await rows(tables, `SELECT v, count(*) AS n FROM ${tables.relation('processed', dataset, { version: first.snapshot })} GROUP BY v`);
      expect(then).toEqual([{ v: 'a', n: 3000n }]);
      const snapshots = await tables.snapshots();
      expect(snapshots.find((s) => s.id === second.snapshot)?.message).toBe(`test ${dataset}`);
      expect(await tables.currentSnapshot()).toBe(second.snapshot);
      // Snapshot times have microseconds; a Date has milliseconds: 1 ms later is still before the second write.
      const byTime = await rows(tables, `SELECT count(*) AS n FROM ${tables.relation('processed', dataset, { time: new Date(snapshots.find((s) => s.id === first.snapshot)!.time.getTime() + 1) })} WHERE v = 'b'`);
      expect(byTime).toEqual([{ n: 0n }]);
    });

    it('a transaction that throws should change nothing and make no snapshot', async () => {
      const tables = await open();
      const dataset = uniqueName('t');
      await write(tables, dataset, 'all', gen(0, 100, 'a'));
      const before = await tables.currentSnapshot();
      const error = await tables
        .transaction(async (c) => {
          await replacePartitions(c, tables, { zone: 'processed', dataset, partitionBy: 'year' }, 'all', gen(0, 10, 'x'));
          throw new Error('stop here');
        })
        .then(() => undefined, (e: unknown) => e as Error);
      expect(error?.message).toBe('stop here');
      expect(await tables.currentSnapshot()).toBe(before);
      expect(await rows(tables, `SELECT count(*) AS n, count(*) FILTER (v = 'x') AS x FROM ${tables.relation('processed', dataset)}`)).toEqual([{ n: 100n, x: 0n }]);
    });

    it('should keep the whole schema, add columns only when evolving, and refuse a changed type', async () => {
      const tables = await open();
      const dataset = uniqueName('t');
      await write(tables, dataset, 'all', 'SELECT 1::INTEGER AS id, \'2020\' AS year');
      expect((await tables.columns('processed', dataset)).map((c) => c.name)).toEqual(['id', 'year', 'v']);
      const wider = [...columns, { name: 'extra', type: 'DOUBLE' }];
      await rejection(tables.transaction((c) => prepareTable(c, tables, { zone: 'processed', dataset, columns: wider, evolve: false })), 'SCHEMA_VALIDATION');
      await tables.transaction((c) => prepareTable(c, tables, { zone: 'processed', dataset, columns: wider, evolve: true }));
      expect(await tables.columns('processed', dataset)).toEqual([...wider]);
      const retyped = [{ name: 'id', type: 'VARCHAR' }];
      await rejection(tables.transaction((c) => prepareTable(c, tables, { zone: 'processed', dataset, columns: retyped, evolve: true })), 'SCHEMA_VALIDATION');
      // Old snapshots keep their own schema.
      expect((await tables.columns('processed', dataset, { version: (await tables.currentSnapshot()) - 1 })).map((c) => c.name)).toEqual(['id', 'year', 'v']);
    });

    it('maintenance should expire old snapshots, delete the files they alone held, and merge small files', async () => {
      const tables = await open();
      const dataset = uniqueName('t');
      for (let i = 0; i < 3; i++) await write(tables, dataset, 'all', gen(0, 3000, `r${i}`));
      for (let i = 0; i < 3; i++) await tables.transaction((c) => c.run(`INSERT INTO ${tables.qualified('processed', dataset)} ${gen(10_000 + i * 2000, 12_000 + i * 2000, 'add')}`).then(() => undefined));
      const before = await tableFiles(tables, 'processed', dataset);
      const report = await maintainTables(tables, { retentionMs: 0 });
      expect(report.expiredSnapshots).toBeGreaterThan(0);
      expect(report.deletedFiles).toBeGreaterThan(0);
      expect(report.mergedFiles).toBeGreaterThan(0);
      const after = await tableFiles(tables, 'processed', dataset);
      expect(after.length).toBeLessThan(before.length);
      expect(after.length).toBeGreaterThanOrEqual(3);
      expect(await rows(tables, `SELECT v, count(*) AS n FROM ${tables.relation('processed', dataset)} GROUP BY v ORDER BY v`)).toEqual([{ v: 'add', n: 6000n }, { v: 'r2', n: 3000n }]);
      expect((await tables.snapshots()).length).toBe(1);
    });

    it('an export should be a plain copy of one snapshot, in Parquet or CSV', async () => {
      const tables = await open();
      const dataset = uniqueName('t');
      const first = await write(tables, dataset, 'all', gen(0, 500, 'a'));
      await write(tables, dataset, 'all', gen(0, 200, 'b'));
      const dir = await tempDir('tributary-export-');
      const parquet = await exportTable(tables, 'processed', dataset, { format: 'parquet', target: path.join(dir, 'now.parquet') });
      const csv = await exportTable(tables, 'processed', dataset, { format: 'csv', target: path.join(dir, 'then.csv'), asOf: { version: first.snapshot } });
      expect([parquet.rows, csv.rows]).toEqual([200, 500]);
      expect(await rows(tables, `SELECT count(*) AS n, min(v) AS v FROM read_parquet('${path.join(dir, 'now.parquet')}')`)).toEqual([{ n: 200n, v: 'b' }]);
      expect(await rows(tables, `SELECT count(*) AS n, min(v) AS v FROM read_csv('${path.join(dir, 'then.csv')}')`)).toEqual([{ n: 500n, v: 'a' }]);
      expect((await readdir(dir)).sort()).toEqual(['now.parquet', 'then.csv']);
      await rejection(exportTable(tables, 'processed', uniqueName('none'), { format: 'csv', target: path.join(dir, 'x.csv') }), 'LAKE_NOT_FOUND');
    });

    it('orphan cleanup should delete files no snapshot references and keep the table whole', async () => {
      const tables = await open();
      const dataset = uniqueName('t');
      await write(tables, dataset, 'all', gen(0, 3000, 'a'));
      // A file in the table's directory that no commit made: what a writer killed mid-insert leaves.
      const [kept] = await tableFiles(tables, 'processed', dataset);
      const orphan = kept!.replace(/ducklake-[^/]+\.parquet$/, 'ducklake-00000000-0000-0000-0000-000000000000.parquet');
      const c = await tables.instance.connect();
      await c.run(`COPY (SELECT 1 AS id) TO '${orphan}' (FORMAT parquet)`);
      c.closeSync();
      expect(await deleteOrphans(tables, new Date(Date.now() + 60_000))).toBe(1);
      expect(await rows(tables, `SELECT count(*) AS n FROM ${tables.relation('processed', dataset)}`)).toEqual([{ n: 3000n }]);
      // A new instance: httpfs caches what it listed.
      const fresh = await open(true);
      expect(await rows(fresh, `SELECT file FROM glob('${orphan.replace(/[^/]+$/, '*')}')`)).toEqual([{ file: kept }]);
    });
  });
}
