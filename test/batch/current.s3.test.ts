import { describe, expect, it } from 'vitest';
import { tableVersion } from '../../src/batch/current.ts';
import { realFixture } from './real-fixture.ts';

describe('a dataset input on a PostgreSQL catalog', () => {
  it("should find a table's version in the catalog's own schema, and move it when the table changes", async () => {
    const f = await realFixture();
    expect(await tableVersion(f.tables, 'processed', 'scores')).toBeUndefined();
    const c = await f.tables.instance.connect();
    try {
      await c.run(`CREATE TABLE ${f.tables.qualified('processed', 'scores')} AS SELECT 1 AS a`);
      const first = await tableVersion(f.tables, 'processed', 'scores');
      expect(first).toMatch(/^\d+@\d+$/);
      await c.run(`INSERT INTO ${f.tables.qualified('processed', 'scores')} VALUES (2)`);
      const second = await tableVersion(f.tables, 'processed', 'scores');
      expect(second).toMatch(/^\d+@\d+$/);
      expect(second).not.toBe(first);
    } finally {
      c.closeSync();
    }
  });
});
