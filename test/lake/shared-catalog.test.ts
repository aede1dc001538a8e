/**
 * The embedded catalog is one DuckDB file, and DuckDB's lock on it is per process: handles of one
 * process share one instance on it (open-tables.ts), so that their commits never write over each
 * other's.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLakeTables } from '../../src/lake/tables/open-tables.ts';
import { query } from '../../src/lake/tables/sql.ts';
import type { TablesSettings } from '../../src/lake/tables/tables.ts';
import { tempDir } from '../support/cli.ts';

describe('an embedded catalog opened several times in one process', () => {
  it("should keep every handle's commits, made at once", async () => {
    const dir = await tempDir('tributary-shared-catalog-');
    const settings: TablesSettings = { catalog: { kind: 'duckdb', file: path.join(dir, 'catalog.ducklake') }, data: { kind: 'fs', dir: path.join(dir, 'tables') } };
    const setup = await openLakeTables(settings);
    await setup.transaction((c) => query(c, `CREATE TABLE ${setup.qualified('processed', 'events')} (id INTEGER)`));
    await setup.close();

    // Eight handles open together, each committing its own rows: a batch run per scheduled job in dev.
    const handles = await Promise.all(Array.from({ length: 8 }, () => openLakeTables(settings)));
    await Promise.all(
      handles.map(async (tables, i) => {
        for (let attempt = 1; ; attempt++) {
          try {
            await tables.transaction((c) => query(c, `INSERT INTO ${tables.qualified('processed', 'events')} VALUES (${i * 10 + 1}), (${i * 10 + 2})`));
            return;
          } catch (error) {
            // Two transactions on one table at once: one wins, the other is told to retry.
            if (attempt >= 20 || !String((error as Error).message).match(/conflict/i)) throw error;
          }
        }
      }),
    );
    for (const tables of handles) await tables.close();

    const check = await openLakeTables(settings);
    const connection = await check.instance.connect();
    const rows = await query(connection, `SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS ids FROM ${check.qualified('processed', 'events')}`);
    connection.closeSync();
    await check.close();
    expect(rows).toEqual([{ n: 16, ids: 16 }]);
  });
});
