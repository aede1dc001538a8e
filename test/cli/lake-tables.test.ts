import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { parseAsOf, parseDuration } from '../../src/lake/tables/as-of.ts';
import { head, toronto } from '../batch/batch-support.ts';
import { cli, tempDir, TORONTO_EXAMPLE } from '../support/cli.ts';

async function count(file: string, reader: string): Promise<number> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    return Number((await c.runAndReadAll(`SELECT count(*) AS n FROM ${reader}('${file}')`)).getRowObjectsJS()[0]?.n);
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

describe('tributary lake snapshots, export and vacuum', () => {
  it('export should copy the current table, or the one as of an older snapshot, and vacuum should keep the current rows', async () => {
    const cwd = await tempDir();
    const raw = (day: string) => path.join(cwd, `.tributary/lake/raw/apartment-building-evaluation/dt=${day}`);
    await mkdir(raw('2026-11-01'), { recursive: true });
    await writeFile(path.join(raw('2026-11-01'), 'current.csv'), await head(toronto.current, 500));
    const written = (run: { stdout: string }) => Number(/rows: [\d,]+ in, ([\d,]+) out/.exec(run.stdout)?.[1]?.replaceAll(',', ''));
    const one = written(await cli(['batch', 'run', 'toronto-apartments', '--pipeline', TORONTO_EXAMPLE], { cwd }));
    const snapshots = await cli(['lake', 'snapshots', '--json'], { cwd });
    const first = (JSON.parse(snapshots.stdout) as { id: number }[])[0]!.id;
    await mkdir(raw('2026-11-02'), { recursive: true });
    await writeFile(path.join(raw('2026-11-02'), 'current.csv'), await head(toronto.current, 300));
    const two = written(await cli(['batch', 'run', 'toronto-apartments', '--pipeline', TORONTO_EXAMPLE], { cwd }));
    expect(one).toBeGreaterThan(two);

    const now = await cli(['lake', 'export', 'processed.toronto_apartments', '--format', 'parquet', '-o', 'now.parquet'], { cwd });
    expect(now.stdout).toMatch(new RegExp(`^processed\\.toronto_apartments: ${two} rows of snapshot \\d+ written to .*now\\.parquet\n$`));
    const then = await cli(['lake', 'export', 'processed.toronto_apartments', '--format', 'csv', '-o', 'then.csv', '--as-of', String(first)], { cwd });
    expect(then.stdout).toContain(`: ${one} rows of snapshot ${first} written to`);
    expect(await count(path.join(cwd, 'now.parquet'), 'read_parquet')).toBe(two);
    expect(await count(path.join(cwd, 'then.csv'), 'read_csv')).toBe(one);

    const vacuum = await cli(['lake', 'vacuum', '--retention', '0s'], { cwd });
    expect(vacuum.code).toBe(0);
    expect(vacuum.stdout).toMatch(/^vacuum: [1-9]\d* snapshots expired, [1-9]\d* unreferenced files and 0 orphans deleted, \d+ small files merged\n$/);
    const again = await cli(['lake', 'export', 'processed.toronto_apartments', '--format', 'csv', '-o', 'again.csv'], { cwd });
    expect(await count(path.join(cwd, 'again.csv'), 'read_csv')).toBe(two);
    // The expired snapshot is gone: time travel to it fails with the code for a missing table.
    const gone = await cli(['lake', 'export', 'processed.toronto_apartments', '--format', 'csv', '-o', 'gone.csv', '--as-of', String(first)], { cwd });
    expect(gone.code).not.toBe(0);
    expect(again.code).toBe(0);
  });

  it('should refuse a table outside the table zones, and parse --as-of and durations', async () => {
    const cwd = await tempDir();
    const bad = await cli(['lake', 'export', 'raw.anything', '--format', 'csv'], { cwd });
    expect(bad).toMatchObject({ code: 2 });
    expect(bad.stderr).toContain('expected a table as zone.name');
    expect(parseAsOf('42')).toEqual({ version: 42 });
    expect(parseAsOf('2026-11-21T10:00:00Z')).toEqual({ time: new Date('2026-11-21T10:00:00Z') });
    expect(parseAsOf('2026-11-21')).toEqual({ time: new Date('2026-11-21T00:00:00Z') });
    expect(() => parseAsOf('yesterday')).toThrow(/--as-of expects a snapshot id/);
    expect([parseDuration('7d'), parseDuration('90s'), parseDuration('1.5h')]).toEqual([604_800_000, 90_000, 5_400_000]);
  });
});
