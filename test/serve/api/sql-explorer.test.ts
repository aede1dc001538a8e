/**
 * The SQL explorer on a real DuckLake (catalog file and data directory in a temp dir): a SELECT over
 * the lake's tables answers, and each of the escape attempts below fails with a clear error, leaving
 * the lake's tables as they were.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isTributaryError } from '../../../src/errors.ts';
import { openLakeTables } from '../../../src/lake/tables/open-tables.ts';
import type { TablesSettings } from '../../../src/lake/tables/tables.ts';
import { DEFAULT_SQL_LIMITS, sqlExplorer, type SqlExplorer } from '../../../src/serve/api/sql-explorer.ts';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';

let dir: string;
let settings: TablesSettings;
let explorer: SqlExplorer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tributary-sql-'));
  settings = { catalog: { kind: 'duckdb', file: path.join(dir, 'lake.ducklake') }, data: { kind: 'fs', dir: path.join(dir, 'tables') } };
  const tables = await openLakeTables(settings);
  const c = await tables.instance.connect();
  await c.run(`CREATE TABLE lake.processed.pins AS SELECT i AS id, CASE WHEN i % 2 = 0 THEN 'diy' ELSE 'travel' END AS category FROM range(25) t(i)`);
  c.closeSync();
  await tables.close();
  await writeFile(path.join(dir, 'secret.csv'), 'a,b\n1,2\n');
  explorer = sqlExplorer(settings, { ...DEFAULT_SQL_LIMITS, maxRows: 10, timeoutMs: 3_000, maxSqlChars: 2_000 });
});

async function refusal(sql: string): Promise<{ code: string; message: string }> {
  try {
    await explorer.run(sql);
  } catch (error) {
    if (isTributaryError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error(`the query ran: ${sql}`);
}

describe('the SQL explorer', () => {
  it('should answer a SELECT over the lake tables, with at most maxRows rows', async () => {
    const counts = await explorer.run(`SELECT category, count(*) AS n FROM lake.processed.pins GROUP BY category ORDER BY category`);
    expect(counts.columns).toEqual([{ name: 'category', type: 'VARCHAR' }, { name: 'n', type: 'BIGINT' }]);
    expect(counts.rows).toEqual([['diy', 13], ['travel', 12]]);
    expect(counts.truncated).toBe(false);
    const all = await explorer.run(`SELECT * FROM lake.processed.pins ORDER BY id`);
    expect(all.rows).toHaveLength(10);
    expect(all.truncated).toBe(true);
  });

  it('should list the tables and their columns for completion', async () => {
    expect(await explorer.tables()).toEqual([{ schema: 'lake.processed', name: 'pins', columns: [{ name: 'id', type: 'BIGINT' }, { name: 'category', type: 'VARCHAR' }] }]);
  });

  const secret = () => path.join(dir, 'secret.csv');
  const attempts: Array<[string, () => string, RegExp]> = [
    ['COPY a table to a file', () => `COPY (SELECT * FROM lake.processed.pins) TO '${dir}/out.csv'`, /only SELECT.*COPY|file system operations are disabled/],
    ['COPY the database elsewhere', () => `COPY FROM DATABASE lake TO memory`, /only SELECT|statements; send exactly one SELECT/],
    ['EXPORT DATABASE', () => `EXPORT DATABASE '${dir}/dump'`, /only SELECT.*EXPORT|file system operations are disabled/],
    ['ATTACH another file', () => `ATTACH '${dir}/other.duckdb' AS other`, /only SELECT.*ATTACH/],
    ['DETACH the lake', () => `DETACH lake`, /only SELECT.*DETACH/],
    ['INSTALL an extension', () => `INSTALL httpfs`, /only SELECT/],
    ['LOAD an extension', () => `LOAD httpfs`, /only SELECT/],
    ['read_csv of /etc/passwd', () => `SELECT * FROM read_csv('/etc/passwd')`, /SQL|access|disabled|Permission/i],
    ['read_csv of a file beside the lake', () => `SELECT * FROM read_csv('${secret()}')`, /access|disabled|Permission/i],
    ['read_text of /etc/passwd', () => `SELECT * FROM read_text('/etc/passwd')`, /access|disabled|Permission/i],
    ['a file named as a table', () => `SELECT * FROM '${secret()}'`, /access|disabled|Permission/i],
    ['SET a setting', () => `SET enable_external_access = true`, /only SELECT.*SET/],
    ['SET the memory limit', () => `SET memory_limit = '64GB'`, /only SELECT/],
    ['RESET the configuration', () => `RESET enable_external_access`, /only SELECT/],
    ['PRAGMA', () => `PRAGMA enable_profiling`, /only SELECT.*PRAGMA/],
    ['a setting changed from a SELECT', () => `SELECT * FROM duckdb_settings() WHERE name = 'x' UNION ALL SELECT set_config('enable_external_access', 'true'), NULL, NULL, NULL, NULL, NULL`, /SQL|not|exist|locked|Catalog|Binder/i],
    ['INSERT into a lake table', () => `INSERT INTO lake.processed.pins VALUES (99, 'x')`, /only SELECT.*INSERT/],
    ['UPDATE a lake table', () => `UPDATE lake.processed.pins SET category = 'x'`, /only SELECT.*UPDATE/],
    ['DELETE from a lake table', () => `DELETE FROM lake.processed.pins`, /only SELECT.*DELETE/],
    ['DROP a lake table', () => `DROP TABLE lake.processed.pins`, /only SELECT.*DROP/],
    ['CREATE a table in the lake', () => `CREATE TABLE lake.processed.x AS SELECT 1`, /only SELECT.*CREATE/],
    ['CREATE MACRO', () => `CREATE MACRO pwn(a) AS a + 1`, /only SELECT/],
    ['CALL a table function', () => `CALL ducklake_expire_snapshots('lake', older_than => now())`, /only SELECT/],
    ['two statements', () => `SELECT 1; DROP TABLE lake.processed.pins`, /2 statements/],
    ['a SELECT then a COPY', () => `SELECT 1; COPY (SELECT 1) TO '${dir}/x.csv'`, /2 statements/],
    ['a very long query', () => `SELECT ${'1 + '.repeat(1000)}1`, /characters long; the limit is 2000/],
    ['an empty query', () => `   `, /empty/],
  ];

  for (const [what, sql, expected] of attempts) {
    it(`should refuse an escape attempt: ${what}`, async () => {
      const error = await refusal(sql());
      expect(['SQL_REFUSED', 'SQL_FAILED']).toContain(error.code);
      expect(error.message).toMatch(expected);
    });
  }

  it('should stop a query past its time limit', async () => {
    const error = await refusal(`SELECT count(*) FROM range(100000000000) a`);
    expect(error.code).toBe('SQL_TIMEOUT');
    expect(error.message).toContain('3000 ms');
  });

  it('should leave the lake tables as they were after every attempt', async () => {
    expect((await explorer.run(`SELECT count(*) AS n, count(DISTINCT category) AS c FROM lake.processed.pins`)).rows).toEqual([[25, 2]]);
  });
});

describe('the SQL explorer with the real-time views', () => {
  const views = [
    { name: 'pins_now', columns: ['unique_id', 'category', 'follower_count', 'score', 'active'], rows: [
      { unique_id: 'a', category: 'diy', follower_count: 10, score: 0.5, active: true },
      { unique_id: 'b', category: 'travel', follower_count: null, score: 2, active: false },
      { unique_id: 'c', category: 'diy', follower_count: 7, score: 1.25, active: null },
    ] },
  ];
  let reads = 0;
  const withViews = () => sqlExplorer(settings, { ...DEFAULT_SQL_LIMITS, timeoutMs: 3_000 }, () => {
    reads += 1;
    return Promise.resolve(views);
  });

  it('should read realtime.<view> with typed columns, and join it with a lake table', async () => {
    const explorer = withViews();
    const typed = await explorer.run(`SELECT * FROM realtime.pins_now ORDER BY unique_id`);
    expect(typed.columns).toEqual([{ name: 'unique_id', type: 'VARCHAR' }, { name: 'category', type: 'VARCHAR' }, { name: 'follower_count', type: 'BIGINT' }, { name: 'score', type: 'DOUBLE' }, { name: 'active', type: 'BOOLEAN' }]);
    expect(typed.rows).toEqual([['a', 'diy', 10, 0.5, true], ['b', 'travel', null, 2, false], ['c', 'diy', 7, 1.25, null]]);
    const joined = await explorer.run(`SELECT r.category, count(DISTINCT r.unique_id) AS live, count(p.id) AS lake FROM realtime.pins_now r JOIN lake.processed.pins p USING (category) GROUP BY r.category ORDER BY r.category`);
    expect(joined.rows).toEqual([['diy', 2, 26], ['travel', 1, 12]]);
  });

  it('should list the views for completion, and copy them only for a query that names them', async () => {
    const explorer = withViews();
    expect((await explorer.tables()).map((t) => `${t.schema}.${t.name}`)).toEqual(['lake.processed.pins', 'realtime.pins_now']);
    const before = reads;
    await explorer.run(`SELECT count(*) FROM lake.processed.pins`);
    expect(reads).toBe(before);
    await explorer.run(`SELECT count(*) FROM REALTIME . pins_now`);
    expect(reads).toBe(before + 1);
  });

  it('should keep the views read-only and the configuration locked', async () => {
    const explorer = withViews();
    for (const sql of [`DELETE FROM realtime.pins_now`, `INSERT INTO realtime.pins_now VALUES ('x', 'y', 1, 1, true)`, `SET enable_external_access = true; SELECT * FROM realtime.pins_now`]) {
      await expect(explorer.run(sql)).rejects.toMatchObject({ code: 'SQL_REFUSED' });
    }
    await expect(explorer.run(`SELECT * FROM realtime.pins_now, read_csv('/etc/passwd')`)).rejects.toMatchObject({ code: 'SQL_FAILED' });
  });
});
