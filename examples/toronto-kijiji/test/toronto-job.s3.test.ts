import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { torontoApartmentsJob } from '../toronto-job.ts';
import { runBatchJob } from '../../../src/batch/run-batch-job.ts';
import { readManifest } from '../../../src/lake/catalog.ts';
import { openEmbeddedMetadataStore } from '../../../src/metadata/embedded/embedded-metadata.ts';
import { RAW, putFile, query, toronto } from '../../../test/batch/batch-support.ts';
import { testBucket } from '../../../test/support/s3.ts';

const { open } = await testBucket('batch');
const dir = await mkdtemp(path.join(tmpdir(), 'tributary-batch-s3-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the Toronto apartment job on MinIO', () => {
  it('should stage the raw CSVs locally, publish Parquet and quarantine to the bucket, and skip them the next time', async () => {
    const lake = await open();
    const metadata = await openEmbeddedMetadataStore({ file: path.join(dir, 'metadata.sqlite') });
    try {
      await putFile(lake, `${RAW}/dt=2026-11-01/pre-2023.csv`, toronto.pre2023);
      await putFile(lake, `${RAW}/dt=2026-11-02/current.csv`, toronto.crlf);
      const job = torontoApartmentsJob();
      const summary = await runBatchJob(job, { lake, metadata, stagingDir: path.join(dir, 'staging') });
      expect(summary.units.map((u) => [u.unit, u.status, u.counts.read])).toEqual([
        ['dt=2026-11-01', 'succeeded', 11_760],
        ['dt=2026-11-02', 'succeeded', 3_572],
      ]);
      const manifest = await readManifest(lake, 'processed', 'toronto_apartments');
      for (const unit of summary.units) {
        for (const key of unit.files) expect(await lake.head(key), key).toBeDefined();
        expect(manifest.runs[unit.runId]?.files).toEqual(unit.files);
      }
      const [greenbrook] = await query(lake, 'processed', 'toronto_apartments', 'SELECT site_address, score FROM t WHERE source_id = 618 AND rsn = 4155105');
      expect(greenbrook).toEqual({ site_address: '5 GREENBROOK DR', score: 79 });
      expect((await runBatchJob(job, { lake, metadata, stagingDir: path.join(dir, 'staging') })).skipped).toBe(2);
    } finally {
      await metadata.close();
      await lake.close();
    }
  });
});
