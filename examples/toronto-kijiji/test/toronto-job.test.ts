import { describe, expect, it } from 'vitest';
import { defineBatchJob } from '../../../src/batch/batch-job.ts';
import { torontoApartmentsJob } from '../toronto-job.ts';
import { current2023Items, pre2023Items } from '../toronto-columns.ts';
import { runBatchJob } from '../../../src/batch/run-batch-job.ts';
import { RAW, fsFixture, head, putFile, quarantine, query, schemaOf, toronto } from '../../../test/batch/batch-support.ts';

const job = torontoApartmentsJob();

describe('the Toronto apartment job on the four real files', () => {
  it('should read every row of each file, whatever its layout, line endings or quoting', async () => {
    const f = await fsFixture();
    await putFile(f.lake, `${RAW}/dt=2026-11-01/pre-2023.csv`, toronto.pre2023);
    await putFile(f.lake, `${RAW}/dt=2026-11-02/current.csv`, toronto.current);
    await putFile(f.lake, `${RAW}/dt=2026-11-03/legacy.csv`, toronto.legacy);
    await putFile(f.lake, `${RAW}/dt=2026-11-04/crlf.csv`, toronto.crlf);
    const summary = await runBatchJob(job, f, { full: true });
    expect(summary.failed).toBe(0);
    const counts = summary.units[0]!.counts;
    // Rows per file as an RFC-4180 reader counts them (SOURCES.md), read together in one run.
    expect(counts.read).toBe(11_760 + 5_340 + 11_753 + 3_572);
    const perFile = await query(f, 'processed', 'toronto_apartments', 'SELECT count(*) AS n FROM t');
    expect(Number(perFile[0]?.n)).toBe(counts.written);
    // 2023-current: two rows without an evaluation date are quarantined; so are the 2025-04 snapshot's.
    const bad = await quarantine(f, 'toronto_apartments', 'SELECT file, count(*) AS n FROM t GROUP BY file ORDER BY file');
    expect(bad.find((r) => r.file === `${RAW}/dt=2026-11-02/current.csv`)?.n).toBe(2n);
    expect(bad.some((r) => r.file === `${RAW}/dt=2026-11-01/pre-2023.csv`)).toBe(false);
    // pre-2023: 7 "CREATED IN ERROR" rows and one evaluation of no areas are filtered.
    expect(counts.filtered).toBeGreaterThanOrEqual(8);
    expect(counts.read).toBe(counts.written + counts.quarantined + counts.filtered);
  });

  it('should keep a quoted multi-line field in its row, and type a known building\'s values', async () => {
    const f = await fsFixture();
    await putFile(f.lake, `${RAW}/dt=2026-11-01/pre-2023.csv`, toronto.pre2023);
    await putFile(f.lake, `${RAW}/dt=2026-11-01/current.csv`, toronto.current);
    await runBatchJob(job, f);
    // _id 618's address is "5 GREENBROOK DR\n\n": one field, so the columns after it are in place.
    const [greenbrook] = await query(f, 'processed', 'toronto_apartments', "SELECT * FROM t WHERE source_id = 618 AND item_scale = '1-5'");
    expect(greenbrook).toMatchObject({ rsn: 4155105, site_address: '5 GREENBROOK DR', score: 79, year_built: 1954, confirmed_units: 12, ward: '05', year: 2022n });
    expect(greenbrook?.evaluation_completed_on).toEqual(new Date('2022-12-01T00:00:00.000Z'));
    // The 2023 layout: "YEAR BUILT" before "YEAR EVALUATED", the score renamed, 81.1 not an integer.
    const [sparroway] = await query(f, 'processed', 'toronto_apartments', 'SELECT * FROM t WHERE rsn = 5157423 AND source_id = 5197');
    expect(sparroway).toMatchObject({ site_address: '8 TREE SPARROWAY', score: 81.1, year_built: 1973, item_scale: '0-3', year: 2023n });
    // " N/A" and " 3" cells: null and 3, never a rejected row.
    const [counts] = await query(f, 'processed', 'toronto_apartments', "SELECT count(*) AS n, count(*) FILTER (item_scale = '0-3') AS current FROM t");
    expect(counts).toEqual({ n: 11_751n + 5_337n, current: 5_337n });
    const schema = await schemaOf(f, 'processed', 'toronto_apartments');
    expect(schema.find((c) => c.name === 'score')?.type).toBe('DOUBLE');
    expect(schema.find((c) => c.name === 'evaluation_completed_on')?.type).toBe('DATE');
    expect(schema.find((c) => c.name === 'year')?.type).toBe('BIGINT');
    expect(await f.tables.snapshots()).toContainEqual(expect.objectContaining({ message: expect.stringContaining('"job":"toronto-apartments"') as unknown }));
  });

  it('should quarantine malformed rows with file, row and reason, and record lineage', async () => {
    const f = await fsFixture();
    const text = await head(toronto.pre2023, 40);
    // Line 5 (the 4th data row): CONFIRMED_UNITS "abc" cannot be an INTEGER.
    const lines = text.split('\n');
    const cells = (lines[4] ?? '').split(',');
    cells[10] = 'abc';
    lines[4] = cells.join(',');
    await putFile(f.lake, `${RAW}/dt=2026-11-01/bad.csv`, lines.join('\n'));
    await putFile(f.lake, `${RAW}/dt=2026-11-01/current.csv`, toronto.current);
    const summary = await runBatchJob(job, f, { errorBudget: { count: 5 } });
    const [unit] = summary.units;
    expect(unit).toMatchObject({ status: 'succeeded', counts: { read: 40 + 5_340, quarantined: 3 } });
    const expected = [
      { file: `${RAW}/dt=2026-11-01/bad.csv`, row: null, line: 5n, error: expect.stringMatching(/c10.*abc.*INTEGER/) as unknown, run_id: unit!.runId },
      { file: `${RAW}/dt=2026-11-01/current.csv`, row: 2831n, line: null, error: 'missing evaluation_completed_on', run_id: unit!.runId },
      { file: `${RAW}/dt=2026-11-01/current.csv`, row: 2833n, line: null, error: 'missing evaluation_completed_on', run_id: unit!.runId },
    ];
    expect(await quarantine(f, 'toronto_apartments', 'SELECT file, "row", line, error, run_id FROM t ORDER BY file, "row", line')).toEqual(expected);
    // A rerun replaces the quarantine: each bad row is there once.
    const again = await runBatchJob(job, f, { errorBudget: { count: 5 }, full: true });
    expect(await quarantine(f, 'toronto_apartments', 'SELECT file, "row", line, error, run_id FROM t ORDER BY file, "row", line')).toEqual(expected.map((r) => ({ ...r, run_id: again.units[0]!.runId })));
  });

  it('should trim blanks and line breaks around text cells, make blank cells null and leave the rest as it is', async () => {
    const f = await fsFixture();
    const lines = (await head(toronto.pre2023, 4)).split('\n');
    const edit = (line: number, cells: Record<number, string>) => {
      const row = (lines[line] ?? '').split(',');
      for (const [index, value] of Object.entries(cells)) row[Number(index)] = `"${value}"`;
      lines[line] = row.join(',');
    };
    // 5 PROPERTY_TYPE, 6 WARD, 7 WARDNAME, 8 SITE_ADDRESS, 35 GRID.
    edit(2, { 5: '\t PRIVATE ', 6: ' 05\r\n', 8: '  12  MAIN ST  ', 35: 'É1 ' });
    edit(3, { 7: '\r\n', 8: '   ' });
    await putFile(f.lake, `${RAW}/dt=2026-11-01/blanks.csv`, lines.join('\n'));
    const summary = await runBatchJob(job, f);
    // Row 1 is "CREATED IN ERROR" (filtered); rows 2 and 3 are edited, row 4 is as published.
    expect(summary.units[0]?.counts).toMatchObject({ read: 4, quarantined: 0, filtered: 1 });
    const rows = await query(f, 'processed', 'toronto_apartments', 'SELECT source_id, property_type, ward, ward_name, site_address, grid FROM t ORDER BY source_id');
    expect(rows).toEqual([
      // Inner blanks stay; a cell that starts with a character beyond ASCII is trimmed at its end.
      { source_id: 2n, property_type: 'PRIVATE', ward: '05', ward_name: 'Don Valley North', site_address: '12  MAIN ST', grid: 'É1' },
      { source_id: 3n, property_type: 'TCHC', ward: '17', ward_name: null, site_address: null, grid: 'N1721' },
      { source_id: 4n, property_type: 'TCHC', ward: '17', ward_name: 'Don Valley North', site_address: '6 TREE SPARROWAY', grid: 'N1721' },
    ]);
  });

  it('should fail over the error budget, say by how much, and publish nothing', async () => {
    const f = await fsFixture();
    await putFile(f.lake, `${RAW}/dt=2026-11-01/current.csv`, toronto.current);
    const summary = await runBatchJob(job, f, { errorBudget: { count: 1 } });
    const [unit] = summary.units;
    expect(unit?.status).toBe('failed');
    expect(unit?.error?.code).toBe('BATCH_ERROR_BUDGET');
    expect(unit?.error?.message).toMatch(/2 of 5340 rows .* the budget is 1 rows, exceeded by 1/);
    expect(await f.tables.exists('processed', 'toronto_apartments')).toBe(false);
    const snapshots = await f.tables.snapshots();
    expect(snapshots.some((s) => s.message?.includes('toronto-apartments'))).toBe(false);
    const [run] = await f.metadata.runs('toronto-apartments');
    expect(run).toMatchObject({ status: 'failed', counts: { read: 5_340, quarantined: 2 } });
    // The failed run recorded nothing as processed: the next run takes the file again, and a fraction budget lets it through.
    const again = await runBatchJob(job, f, { errorBudget: { fraction: 0.001 } });
    expect(again.units.map((u) => u.status)).toEqual(['succeeded']);
  });

  it('should give a table of pre-2023 rows only the whole schema of both layouts, the other layout\'s columns null', async () => {
    const sparse = await fsFixture();
    await putFile(sparse.lake, `${RAW}/dt=2026-11-01/pre-2023.csv`, await head(toronto.pre2023, 30));
    await runBatchJob(job, sparse);
    const mixed = await fsFixture();
    await putFile(mixed.lake, `${RAW}/dt=2026-11-01/pre-2023.csv`, await head(toronto.pre2023, 30));
    await putFile(mixed.lake, `${RAW}/dt=2026-11-01/current.csv`, await head(toronto.current, 30));
    await runBatchJob(job, mixed);
    const schema = await schemaOf(mixed, 'processed', 'toronto_apartments');
    expect(await schemaOf(sparse, 'processed', 'toronto_apartments')).toEqual(schema);
    const only2023 = [...current2023Items.filter((c) => !pre2023Items.includes(c)), 'proactive_building_score', 'current_reactive_score'];
    expect(only2023).toHaveLength(48);
    for (const column of only2023) expect(schema.map((c) => c.name)).toContain(column);
    // A job reading the table gets the whole schema, the other layout's columns as typed nulls.
    const downstream = defineBatchJob({
      name: 'scores',
      inputs: [{ kind: 'dataset', name: 'apartments', zone: 'processed', dataset: 'toronto_apartments' }],
      transform: { sql: 'SELECT rsn, entrance_lobby, numbering_of_property, proactive_building_score, year AS _y FROM apartments' },
      output: { zone: 'curated', dataset: 'scores', partitionBy: { column: 'year', expr: '_y' }, mode: 'overwrite-partitions' },
    });
    const units = (await runBatchJob(downstream, sparse)).units;
    expect(units.map((u) => u.error?.message ?? u.status)).toEqual(['succeeded']);
    expect(await schemaOf(sparse, 'curated', 'scores')).toEqual([
      { name: 'rsn', type: 'INTEGER' },
      { name: 'entrance_lobby', type: 'TINYINT' },
      { name: 'numbering_of_property', type: 'TINYINT' },
      { name: 'proactive_building_score', type: 'DOUBLE' },
      { name: 'year', type: 'BIGINT' },
    ]);
    const [counts] = await query(sparse, 'curated', 'scores', 'SELECT count(*) AS n, count(entrance_lobby) AS items, count(numbering_of_property) + count(proactive_building_score) AS other FROM t');
    expect(counts).toEqual({ n: 29n, items: expect.any(BigInt) as unknown, other: 0n });
    expect(Number(counts?.items)).toBeGreaterThan(0);
    // The downstream output follows its input table: unchanged, it is skipped; changed, recomputed.
    expect((await runBatchJob(downstream, sparse)).skipped).toBe(1);
    await putFile(sparse.lake, `${RAW}/dt=2026-11-02/pre-2023.csv`, await head(toronto.pre2023, 20));
    expect((await runBatchJob(job, sparse)).units[0]?.status).toBe('succeeded');
    const rerun = await runBatchJob(downstream, sparse);
    expect(rerun.units[0]).toMatchObject({ status: 'succeeded', partitions: 'all' });
    expect(await query(sparse, 'curated', 'scores', 'SELECT count(*) AS n FROM t')).toEqual([{ n: 19n }]);
  });

  it('should refuse a transform that, leaving out absent columns, adds or retypes one', async () => {
    const f = await fsFixture();
    await putFile(f.lake, `${RAW}/dt=2026-11-01/pre-2023.csv`, await head(toronto.pre2023, 10));
    const input = job.inputs[0]!;
    const retyping = defineBatchJob({
      name: 'retyping',
      inputs: [input],
      transform: { sql: ({ absentColumns }) => `SELECT rsn, ${absentColumns.length ? 'CAST(score AS VARCHAR)' : 'score'} AS score FROM evaluations` },
      output: { zone: 'processed', dataset: 'retyped', mode: 'overwrite-partitions' },
    });
    const [unit] = (await runBatchJob(retyping, f)).units;
    expect(unit?.error?.code).toBe('SCHEMA_VALIDATION');
    expect(unit?.error?.message).toBe('job "retyping" transform: with absent input columns it gives score VARCHAR, but with all of them it is DOUBLE; leaving out absent columns may only drop columns');
    const adding = defineBatchJob({
      name: 'adding',
      inputs: [input],
      transform: { sql: ({ absentColumns }) => `SELECT rsn${absentColumns.length ? ', 1 AS extra' : ''} FROM evaluations` },
      output: { zone: 'processed', dataset: 'added', mode: 'overwrite-partitions' },
    });
    expect((await runBatchJob(adding, f)).units[0]?.error?.message).toMatch(/it gives extra INTEGER, but with all of them it has no such column/);
    expect(await f.tables.exists('processed', 'retyped')).toBe(false);
  });

  it('should name the file and columns of a schema drift, and fail or evolve as configured', async () => {
    const f = await fsFixture();
    // The pre-2023 header without its last column (Y) and with a new one.
    const drifted = (await head(toronto.pre2023, 30))
      .trimEnd()
      .split('\n')
      .map((line, i) => `${line.slice(0, line.lastIndexOf(','))},${i === 0 ? 'INSPECTOR' : 'K. Lee'}`)
      .join('\n');
    await putFile(f.lake, `${RAW}/dt=2026-11-05/drift.csv`, `${drifted}\n`);
    const failed = await runBatchJob(job, f);
    expect(failed.units[0]?.error?.code).toBe('SCHEMA_DRIFT');
    expect(failed.units[0]?.error?.message).toBe(
      `Schema drift in ${RAW}/dt=2026-11-05/drift.csv: added inspector; missing y (input "evaluations" expects 19 required columns; drift policy "fail")`,
    );
    const evolved = await runBatchJob(job, f, { schemaDrift: 'evolve' });
    expect(evolved.units[0]).toMatchObject({ status: 'succeeded', drift: [{ file: `${RAW}/dt=2026-11-05/drift.csv`, added: ['inspector'], missing: ['y'] }] });
    const rows = await query(f, 'processed', 'toronto_apartments', 'SELECT inspector, y FROM t LIMIT 1');
    expect(rows).toEqual([{ inspector: 'K. Lee', y: null }]);
    expect(await schemaOf(f, 'processed', 'toronto_apartments')).toContainEqual({ name: 'inspector', type: 'VARCHAR' });
  });

  it('should recompute only the partitions a changed resource\'s old and new rows touch, from every current resource', async () => {
    const f = await fsFixture();
    // Before any input: nothing to do, and no table.
    expect(await runBatchJob(job, f)).toMatchObject({ units: [], skipped: 0 });
    expect(await f.tables.exists('processed', 'toronto_apartments')).toBe(false);
    await putFile(f.lake, `${RAW}/dt=2026-11-01/pre.csv`, await head(toronto.pre2023, 100));
    await putFile(f.lake, `${RAW}/dt=2026-11-01/current.csv`, await head(toronto.current, 100));
    const first = await runBatchJob(job, f);
    expect(first.units.map((u) => [u.status, u.partitions])).toEqual([['succeeded', 'all']]);
    expect(await runBatchJob(job, f)).toMatchObject({ units: [], skipped: 1 });
    const before = await query(f, 'processed', 'toronto_apartments', 'SELECT year, count(*) AS n FROM t GROUP BY year ORDER BY year');
    const currentYears = await query(f, 'processed', 'toronto_apartments', "SELECT DISTINCT year FROM t WHERE item_scale = '0-3' ORDER BY year");
    // Day 2: only the current resource changes (fewer rows); the pre-2023 file is not downloaded again.
    await putFile(f.lake, `${RAW}/dt=2026-11-02/current.csv`, await head(toronto.current, 60));
    const second = await runBatchJob(job, f);
    expect(second.changed).toEqual(['file:current.csv']);
    expect(second.units[0]?.partitions).toEqual(currentYears.map((r) => String(r.year)));
    // Pre-2023 rows dated in those years stay: the partitions are recomputed from both resources.
    const after = await query(f, 'processed', 'toronto_apartments', "SELECT count(*) FILTER (item_scale = '1-5') AS old, count(*) FILTER (item_scale = '0-3') AS cur FROM t");
    const oldBefore = await query(f, 'processed', 'toronto_apartments', "SELECT count(*) FILTER (item_scale = '1-5') AS old FROM t", { version: first.units[0]!.snapshot! });
    expect(after[0]?.old).toBe(oldBefore[0]?.old);
    expect(Number(after[0]?.cur)).toBeLessThan(100);
    expect(before.length).toBeGreaterThan(1);
    const full = await runBatchJob(job, f, { full: true });
    expect(full.units[0]?.partitions).toBe('all');
    expect(await query(f, 'processed', 'toronto_apartments', 'SELECT year, count(*) AS n FROM t GROUP BY year ORDER BY year')).toEqual(await query(f, 'processed', 'toronto_apartments', 'SELECT year, count(*) AS n FROM t GROUP BY year ORDER BY year', { version: second.units[0]!.snapshot! }));
  });
});
