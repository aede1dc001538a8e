/**
 * Outside readers, the documented way: Python's duckdb (from PyPI, the same DuckDB version) attaches
 * the lake with `ATTACH 'ducklake:…'` after three overwrites and sees exactly the current rows and
 * schema, not the files the older snapshots still hold.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { torontoApartmentsJob } from '../../examples/toronto-kijiji/toronto-job.ts';
import { runBatchJob } from '../../src/batch/run-batch-job.ts';
import { defaultExtensionDirectory } from '../../src/lake/tables/extensions.ts';
import { tableFiles } from '../../src/lake/tables/maintenance.ts';
import { RAW, fsFixture, head, putFile, query, schemaOf, toronto } from './batch-support.ts';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../scripts/duckdb-extensions', import.meta.url));

const reader = `
import duckdb, json, sys
catalog, extensions = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET extension_directory = ?", [extensions])
con.execute("SET autoinstall_known_extensions = false")
con.execute(f"ATTACH 'ducklake:{catalog}' AS lake (READ_ONLY)")
n, keys, score = con.execute("SELECT count(*), count(DISTINCT (rsn, evaluation_completed_on, source_id)), sum(score) FROM lake.processed.toronto_apartments").fetchone()
columns = [[r[0], r[1]] for r in con.execute("DESCRIBE lake.processed.toronto_apartments").fetchall()]
print(json.dumps({"version": duckdb.__version__, "rows": n, "keys": keys, "score": round(score, 3), "columns": columns}))
`;

describe('outside readers', () => {
  it("Python's duckdb should read exactly the current rows and schema through ATTACH 'ducklake:…' after three overwrites", async () => {
    const { stdout } = await run(script, ['--python'], { timeout: 600_000 });
    const python = stdout.trim().split('\n').at(-1)!;
    const f = await fsFixture();
    const job = torontoApartmentsJob();
    for (const [i, lines] of [3000, 2000, 1000].entries()) {
      await putFile(f.lake, `${RAW}/dt=2026-11-0${i + 1}/pre.csv`, await head(toronto.pre2023, lines));
      await putFile(f.lake, `${RAW}/dt=2026-11-0${i + 1}/current.csv`, await head(toronto.current, lines));
      expect((await runBatchJob(job, f)).units[0]?.status).toBe('succeeded');
    }
    const [expected] = await query(f, 'processed', 'toronto_apartments', 'SELECT count(*) AS rows, count(DISTINCT (rsn, evaluation_completed_on, source_id)) AS keys, round(sum(score), 3) AS score FROM t');
    const columns = (await schemaOf(f, 'processed', 'toronto_apartments')).map((c) => [c.name, c.type]);
    // The table's directories hold the older snapshots' files too: a glob over them would read stale rows.
    const [globbed] = await query(f, 'processed', 'toronto_apartments', `SELECT count(*) AS n FROM read_parquet('${f.settings.data.kind === 'fs' ? f.settings.data.dir : ''}/processed/toronto_apartments/*/*.parquet')`);
    expect(Number(globbed?.n)).toBeGreaterThan(Number(expected?.rows));
    expect((await tableFiles(f.tables, 'processed', 'toronto_apartments')).length).toBeGreaterThan(0);
    // The embedded catalog is a DuckDB file, which one process opens at a time.
    await f.tables.close();
    const catalog = f.settings.catalog.kind === 'duckdb' ? f.settings.catalog.file : '';
    const read = await run(python, ['-c', reader, catalog, defaultExtensionDirectory()], { timeout: 120_000 });
    const seen = JSON.parse(read.stdout) as { version: string; rows: number; keys: number; score: number; columns: string[][] };
    expect(seen).toEqual({ version: '1.5.5', rows: Number(expected?.rows), keys: Number(expected?.keys), score: expected?.score, columns });
    expect(seen.rows).toBeGreaterThan(1000);
  });
});
