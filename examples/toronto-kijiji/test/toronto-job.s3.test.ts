import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { torontoApartmentsJob } from '../toronto-job.ts';
import { runBatchJob } from '../../../src/batch/run-batch-job.ts';
import { tableFiles } from '../../../src/lake/tables/maintenance.ts';
import { RAW, putFile, quarantine, query, toronto } from '../../../test/batch/batch-support.ts';
import { realFixture } from '../../../test/batch/real-fixture.ts';

describe('the Toronto apartment job on MinIO, with its catalog in PostgreSQL', () => {
  it('should read the raw CSVs from the bucket in place, write the table to the bucket, and skip them the next time', async () => {
    const f = await realFixture();
    await putFile(f.lake, `${RAW}/dt=2026-11-01/pre-2023.csv`, toronto.pre2023);
    await putFile(f.lake, `${RAW}/dt=2026-11-02/current.csv`, toronto.crlf);
    const job = torontoApartmentsJob();
    const summary = await runBatchJob(job, f);
    expect(summary.units.map((u) => [u.error?.message ?? u.status, u.counts.read])).toEqual([['succeeded', 11_760 + 3_572]]);
    const files = await tableFiles(f.tables, 'processed', 'toronto_apartments');
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(file.startsWith(`s3://${f.bucket}/tables/processed/toronto_apartments/year=`), file).toBe(true);
    // Nothing was staged: the lake's local cache (its copies for engines that need a file) is empty.
    expect((await readdir(f.dir, { recursive: true })).filter((name) => name.endsWith('.csv'))).toEqual([]);
    const [greenbrook] = await query(f, 'processed', 'toronto_apartments', 'SELECT site_address, score FROM t WHERE source_id = 618 AND rsn = 4155105');
    expect(greenbrook).toEqual({ site_address: '5 GREENBROOK DR', score: 79 });
    expect(Number((await quarantine(f, 'toronto_apartments', 'SELECT count(*) AS n FROM t'))[0]?.n)).toBe(summary.counts.quarantined);
    expect((await runBatchJob(job, f)).skipped).toBe(1);
  });
});
