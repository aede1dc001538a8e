import { describe, expect, it } from 'vitest';
import { readManifest } from '../../../src/lake/catalog.ts';
import { defineBatchJob } from '../../../src/batch/batch-job.ts';
import { torontoApartmentsJob } from '../toronto-job.ts';
import { current2023Items, pre2023Items } from '../toronto-columns.ts';
import { runBatchJob } from '../../../src/batch/run-batch-job.ts';
import { isTributaryError } from '../../../src/errors.ts';
import { rejection } from '../../../test/support/errors.ts';
import { RAW, fileColumns, fsFixture, head, putFile, query, toronto } from '../../../test/batch/batch-support.ts';

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
    const byUnit = Object.fromEntries(summary.units.map((u) => [u.unit, u.counts]));
    // Rows per file as an RFC-4180 reader counts them (SOURCES.md).
    expect(byUnit['dt=2026-11-01']?.read).toBe(11_760);
    expect(byUnit['dt=2026-11-02']?.read).toBe(5_340);
    expect(byUnit['dt=2026-11-03']?.read).toBe(11_753);
    expect(byUnit['dt=2026-11-04']?.read).toBe(3_572);
    // pre-2023: 7 "CREATED IN ERROR" rows and one evaluation of no areas are filtered, nothing is malformed.
    expect(byUnit['dt=2026-11-01']).toMatchObject({ quarantined: 0 });
    expect(byUnit['dt=2026-11-01']?.filtered).toBeGreaterThanOrEqual(8);
    // 2023-current: the two rows without an evaluation date are quarantined.
    expect(byUnit['dt=2026-11-02']?.quarantined).toBe(2);
    for (const counts of Object.values(byUnit)) expect(counts.read).toBe(counts.written + counts.quarantined + counts.filtered);
  });

  it('should keep a quoted multi-line field in its row, and type a known building\'s values', async () => {
    const f = await fsFixture();
    await putFile(f.lake, `${RAW}/dt=2026-11-01/pre-2023.csv`, toronto.pre2023);
    await putFile(f.lake, `${RAW}/dt=2026-11-01/current.csv`, toronto.current);
    await runBatchJob(job, f);
    // _id 618's address is "5 GREENBROOK DR\n\n": one field, so the columns after it are in place.
    const [greenbrook] = await query(f.lake, 'processed', 'toronto_apartments', "SELECT * FROM t WHERE source_id = 618 AND item_scale = '1-5'");
    expect(greenbrook).toMatchObject({ rsn: 4155105, site_address: '5 GREENBROOK DR', score: 79, year_built: 1954, confirmed_units: 12, ward: '05', year: 2022n });
    expect(greenbrook?.evaluation_completed_on).toEqual(new Date('2022-12-01T00:00:00.000Z'));
    // The 2023 layout: "YEAR BUILT" before "YEAR EVALUATED", the score renamed, 81.1 not an integer.
    const [sparroway] = await query(f.lake, 'processed', 'toronto_apartments', 'SELECT * FROM t WHERE rsn = 5157423 AND source_id = 5197');
    expect(sparroway).toMatchObject({ site_address: '8 TREE SPARROWAY', score: 81.1, year_built: 1973, item_scale: '0-3', year: 2023n });
    // " N/A" and " 3" cells: null and 3, never a rejected row.
    const [counts] = await query(f.lake, 'processed', 'toronto_apartments', "SELECT count(*) AS n, count(*) FILTER (item_scale = '0-3') AS current FROM t");
    expect(counts).toEqual({ n: 11_751n + 5_337n, current: 5_337n });
    const manifest = await readManifest(f.lake, 'processed', 'toronto_apartments');
    expect(manifest.schema.find((c) => c.name === 'score')?.type).toBe('DOUBLE');
    expect(manifest.schema.find((c) => c.name === 'evaluation_completed_on')?.type).toBe('DATE');
    expect(Object.keys(manifest.partitions)).toContain('year=2022');
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
    const quarantine = await query(f.lake, 'processed', 'quarantine', 'SELECT _file, _row, _line, _error FROM t ORDER BY _file, _row, _line');
    expect(quarantine).toEqual([
      { _file: `${RAW}/dt=2026-11-01/bad.csv`, _row: null, _line: 5n, _error: expect.stringMatching(/c10.*abc.*INTEGER/) as unknown },
      { _file: `${RAW}/dt=2026-11-01/current.csv`, _row: 2831n, _line: null, _error: 'missing evaluation_completed_on' },
      { _file: `${RAW}/dt=2026-11-01/current.csv`, _row: 2833n, _line: null, _error: 'missing evaluation_completed_on' },
    ]);
    const manifest = await readManifest(f.lake, 'processed', 'toronto_apartments');
    expect(manifest.runs[unit!.runId]).toMatchObject({ job: 'toronto-apartments', files: unit!.files });
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
    const rows = await query(f.lake, 'processed', 'toronto_apartments', 'SELECT source_id, property_type, ward, ward_name, site_address, grid FROM t ORDER BY source_id');
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
    await rejection(readManifest(f.lake, 'processed', 'toronto_apartments'), 'LAKE_NOT_FOUND');
    await rejection(readManifest(f.lake, 'processed', 'quarantine'), 'LAKE_NOT_FOUND');
    const [run] = await f.metadata.runs('toronto-apartments');
    expect(run).toMatchObject({ status: 'failed', counts: { read: 5_340, quarantined: 2 } });
    // The failed unit is not recorded as processed: the next run takes it again, and a fraction budget lets it through.
    const again = await runBatchJob(job, f, { errorBudget: { fraction: 0.001 } });
    expect(again.units.map((u) => u.status)).toEqual(['succeeded']);
  });

  it('should leave the other layout\'s columns out of a unit\'s files, keep them in the schema and read them as null downstream', async () => {
    const sparse = await fsFixture();
    await putFile(sparse.lake, `${RAW}/dt=2026-11-01/pre-2023.csv`, await head(toronto.pre2023, 30));
    await runBatchJob(job, sparse);
    const mixed = await fsFixture();
    await putFile(mixed.lake, `${RAW}/dt=2026-11-01/pre-2023.csv`, await head(toronto.pre2023, 30));
    await putFile(mixed.lake, `${RAW}/dt=2026-11-01/current.csv`, await head(toronto.current, 30));
    await runBatchJob(job, mixed);
    // A unit of both layouts writes every column; a pre-2023 unit leaves out the 46 items of the
    // 2023 layout and its two scores. Both commit the same schema.
    const schema = (await readManifest(mixed.lake, 'processed', 'toronto_apartments')).schema;
    expect((await readManifest(sparse.lake, 'processed', 'toronto_apartments')).schema).toEqual(schema);
    for (const columns of await fileColumns(mixed.lake, 'processed', 'toronto_apartments')) expect(columns).toEqual(schema.map((c) => c.name));
    const only2023 = [...current2023Items.filter((c) => !pre2023Items.includes(c)), 'proactive_building_score', 'current_reactive_score'];
    expect(only2023).toHaveLength(48);
    const sparseFiles = await fileColumns(sparse.lake, 'processed', 'toronto_apartments');
    expect(sparseFiles.length).toBeGreaterThan(0);
    for (const columns of sparseFiles) expect(columns).toEqual(schema.map((c) => c.name).filter((c) => !only2023.includes(c)));
    // A job reading the dataset gets the whole schema, the left-out columns as typed nulls.
    const downstream = defineBatchJob({
      name: 'scores',
      inputs: [{ kind: 'dataset', name: 'apartments', zone: 'processed', dataset: 'toronto_apartments' }],
      transform: { sql: 'SELECT rsn, entrance_lobby, numbering_of_property, proactive_building_score, year AS _y FROM apartments' },
      output: { zone: 'curated', dataset: 'scores', partitionBy: { column: 'year', expr: '_y' }, mode: 'overwrite-partitions' },
    });
    const units = (await runBatchJob(downstream, sparse)).units;
    expect(units.length).toBeGreaterThan(0);
    for (const unit of units) expect(unit.error?.message ?? unit.status).toBe('succeeded');
    expect((await readManifest(sparse.lake, 'curated', 'scores')).schema).toEqual([
      { name: 'rsn', type: 'INTEGER' },
      { name: 'entrance_lobby', type: 'TINYINT' },
      { name: 'numbering_of_property', type: 'TINYINT' },
      { name: 'proactive_building_score', type: 'DOUBLE' },
    ]);
    const [counts] = await query(sparse.lake, 'curated', 'scores', 'SELECT count(*) AS n, count(entrance_lobby) AS items, count(numbering_of_property) + count(proactive_building_score) AS other FROM t');
    expect(counts).toEqual({ n: 29n, items: expect.any(BigInt) as unknown, other: 0n });
    expect(Number(counts?.items)).toBeGreaterThan(0);
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
    await rejection(readManifest(f.lake, 'processed', 'retyped'), 'LAKE_NOT_FOUND');
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
    const rows = await query(f.lake, 'processed', 'toronto_apartments', 'SELECT inspector, y FROM t LIMIT 1');
    expect(rows).toEqual([{ inspector: 'K. Lee', y: null }]);
    const manifest = await readManifest(f.lake, 'processed', 'toronto_apartments');
    expect(manifest.schema.at(-1)).toEqual({ name: 'inspector', type: 'VARCHAR' });
  });

  it('should process only new and changed partitions on an incremental run', async () => {
    const f = await fsFixture();
    await putFile(f.lake, `${RAW}/dt=2026-11-01/a.csv`, await head(toronto.pre2023, 100));
    await putFile(f.lake, `${RAW}/dt=2026-11-02/a.csv`, await head(toronto.legacy, 100));
    expect((await runBatchJob(job, f)).units.map((u) => u.unit)).toEqual(['dt=2026-11-01', 'dt=2026-11-02']);
    const second = await runBatchJob(job, f);
    expect(second).toMatchObject({ units: [], skipped: 2 });
    await putFile(f.lake, `${RAW}/dt=2026-11-02/a.csv`, await head(toronto.legacy, 120));
    await putFile(f.lake, `${RAW}/dt=2026-11-03/a.csv`, await head(toronto.crlf, 50));
    const third = await runBatchJob(job, f);
    expect(third.units.map((u) => [u.unit, u.counts.read])).toEqual([
      ['dt=2026-11-02', 120],
      ['dt=2026-11-03', 50],
    ]);
    expect(third.skipped).toBe(1);
    expect((await runBatchJob(job, f, { full: true })).units).toHaveLength(3);
  });

  it('should backfill a date range in parallel, each partition its own run with its own outcome', async () => {
    const f = await fsFixture();
    await putFile(f.lake, `${RAW}/dt=2026-10-31/a.csv`, await head(toronto.pre2023, 10));
    await putFile(f.lake, `${RAW}/dt=2026-11-01/a.csv`, await head(toronto.pre2023, 60));
    await putFile(f.lake, `${RAW}/dt=2026-11-02/a.csv`, 'RSN,SOMETHING_ELSE\n1,2\n');
    await putFile(f.lake, `${RAW}/dt=2026-11-03/a.csv`, await head(toronto.current, 30));
    let running = 0;
    let most = 0;
    const summary = await runBatchJob(job, f, {
      from: '2026-11-01',
      to: '2026-11-03',
      concurrency: 2,
      onEvent: (e) => {
        if (e.type === 'batch:unit:started') most = Math.max(most, ++running);
        if (e.type === 'batch:unit:finished') running--;
      },
    });
    expect(most).toBe(2);
    expect(summary.units.map((u) => [u.unit, u.status])).toEqual([
      ['dt=2026-11-01', 'succeeded'],
      ['dt=2026-11-02', 'failed'],
      ['dt=2026-11-03', 'succeeded'],
    ]);
    const runs = await f.metadata.runs('toronto-apartments');
    expect(new Set(runs.map((r) => r.runId)).size).toBe(3);
    expect([...(await f.metadata.processed('toronto-apartments')).keys()].sort()).toEqual(['dt=2026-11-01', 'dt=2026-11-03']);
    const error = await rejection(runBatchJob(job, f, { from: '2027-01-01', to: '2027-01-31' }), 'BATCH_INPUT_INVALID');
    expect(isTributaryError(error)).toBe(true);
  });
});
