import { describe, expect, it } from 'vitest';
import { defineBatchJob } from '../../src/batch/batch-job.ts';
import { torontoApartmentsJob } from '../../examples/toronto-kijiji/toronto-job.ts';
import { runBatchJob } from '../../src/batch/run-batch-job.ts';
import { RAW, fsFixture, head, putFile, query, schemaOf } from './batch-support.ts';
import { toronto } from './batch-support.ts';

describe('batch write modes and record functions', () => {
  it('merge should keep one row per key, the newer file winning', async () => {
    const f = await fsFixture();
    const job = torontoApartmentsJob({ mode: 'merge' });
    await putFile(f.lake, `${RAW}/dt=2026-11-01/legacy.csv`, toronto.legacy);
    await runBatchJob(job, f);
    await putFile(f.lake, `${RAW}/dt=2026-11-02/current.csv`, toronto.pre2023);
    const second = await runBatchJob(job, f);
    expect(second.units.map((u) => u.status)).toEqual(['succeeded']);
    const [dupes] = await query(f, 'processed', 'toronto_apartments', 'SELECT count(*) - count(DISTINCT (rsn, evaluation_completed_on)) AS d, count(*) AS n FROM t');
    expect(dupes?.d).toBe(0n);
    // The pre-2023 rows replace the legacy rows with the same keys (two keys repeat within the file itself).
    expect(Number(dupes?.n)).toBeGreaterThanOrEqual(11_700);
    const schema = await schemaOf(f, 'processed', 'toronto_apartments');
    // The 2023 layout merged into partitions whose files lack its columns: the kept rows read them
    // as null, and the schema stays the same.
    await putFile(f.lake, `${RAW}/dt=2026-11-03/current.csv`, toronto.current);
    const third = await runBatchJob(job, f);
    expect(third.units.map((u) => u.error?.message ?? u.status)).toEqual(['succeeded']);
    expect(await schemaOf(f, 'processed', 'toronto_apartments')).toEqual(schema);
    const [layouts] = await query(f, 'processed', 'toronto_apartments', "SELECT count(*) FILTER (item_scale = '0-3' AND numbering_of_property IS NOT NULL) AS current, count(*) FILTER (item_scale = '1-5' AND numbering_of_property IS NULL AND entrance_lobby IS NOT NULL) AS older FROM t WHERE year = 2023");
    expect(Number(layouts?.current)).toBeGreaterThan(1_000);
    expect(Number(layouts?.older)).toBeGreaterThan(0);
  });

  it('append should add the rows of new files beside the existing ones, and all of them again on --full', async () => {
    const f = await fsFixture();
    const job = torontoApartmentsJob({ mode: 'append' });
    await putFile(f.lake, `${RAW}/dt=2026-11-01/a.csv`, await head(toronto.pre2023, 50));
    await runBatchJob(job, f);
    await runBatchJob(job, f, { full: true });
    const [n] = await query(f, 'processed', 'toronto_apartments', 'SELECT count(*) AS n FROM t');
    const written = (await f.metadata.runs('toronto-apartments')).reduce((sum, r) => sum + r.counts.written, 0);
    expect(n?.n).toBe(BigInt(written));
    expect(written).toBeGreaterThan(90);
  });

  it('should run a stream-style record function over a processed dataset, with flatMap and drops', async () => {
    const f = await fsFixture();
    await putFile(f.lake, `${RAW}/dt=2026-11-01/a.csv`, await head(toronto.pre2023, 40));
    await runBatchJob(torontoApartmentsJob(), f);
    const job = defineBatchJob({
      name: 'storeys',
      inputs: [{ kind: 'dataset', name: 'apartments', zone: 'processed', dataset: 'toronto_apartments' }],
      transform: {
        sql: 'SELECT rsn, site_address, confirmed_storeys, year AS y FROM apartments',
        // One row per storey for buildings up to 3 storeys, none for taller ones (null).
        records: {
          fn: (r) => ((r.confirmed_storeys as number) <= 3 ? Array.from({ length: r.confirmed_storeys as number }, (_, i) => ({ rsn: r.rsn ?? null, storey: i + 1, address: String(r.site_address).toLowerCase() })) : null),
          columns: [{ name: 'rsn', type: 'INTEGER' }, { name: 'storey', type: 'INTEGER' }, { name: 'address', type: 'VARCHAR' }],
        },
      },
      output: { zone: 'curated', dataset: 'storeys', partitionBy: { column: 'year', expr: 'y' }, mode: 'overwrite-partitions' },
    });
    const summary = await runBatchJob(job, f);
    expect(summary.units.filter((u) => u.error).map((u) => u.error?.message)).toEqual([]);
    const source = await query(f, 'processed', 'toronto_apartments', 'SELECT sum(confirmed_storeys) FILTER (confirmed_storeys <= 3) AS s, count(*) FILTER (coalesce(confirmed_storeys, 0) NOT BETWEEN 1 AND 3) AS none FROM t');
    const out = await query(f, 'curated', 'storeys', "SELECT count(*) AS n, count(*) FILTER (address <> lower(address)) AS upper FROM t");
    expect(out[0]?.n).toBe(source[0]?.s);
    expect(out[0]?.upper).toBe(0n);
    // Taller buildings give null, storeys unknown or 0 an empty array: both dropped, and counted.
    expect(summary.counts.filtered).toBe(Number(source[0]?.none));
    expect(Number(source[0]?.none)).toBeGreaterThan(0);
  });
});
