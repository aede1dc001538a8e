import { describe, expect, it } from 'vitest';
import { compactArchive } from '../../src/batch/archiver-compact.ts';
import { archivedPositions } from '../../src/batch/archiver-layout.ts';
import { readManifest } from '../../src/lake/catalog.ts';
import { openLakeTables } from '../../src/lake/tables/open-tables.ts';
import { readFieldCounts, recomputeFieldCounts, type WithTables } from '../../src/serve/query/field-counts-batch.ts';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';
import { tempDir } from '../support/cli.ts';
import { archiveUntil, expectContiguousRanges, readArchive, records, send, sortSent, T0 } from './archiver-support.ts';
import { testBucket } from '../support/s3.ts';

const store = await testBucket('archiver');
const { open } = store;

describe('runArchiver into MinIO', () => {
  it('should archive every record once across a restart, readable back from the bucket', async () => {
    const dir = await tempDir();
    const log = await openEmbeddedLog({ dir: `${dir}/log`, fsync: { mode: 'never' } });
    await log.admin().createTopic('clicks.v2', { partitions: 2 });
    const lake = await open();
    const first = await send(log, records('clicks.v2', 1500));
    await archiveUntil({ log, lake, topics: ['clicks.v2'], rollBytes: 30_000 }, 1500);
    // The group forgets its offsets (as if the process died before committing them): the catalog decides.
    const rewind = log.consumer({ group: 'tributary.archiver', topics: ['clicks.v2'] });
    await rewind.poll(10);
    await rewind.commit([0, 1].map((partition) => ({ topic: 'clicks.v2', partition, offset: 0 })));
    await rewind.close();
    const second = await send(log, records('clicks.v2', 500, 1500));
    const again = await archiveUntil({ log, lake, topics: ['clicks.v2'], rollBytes: 30_000 }, 500);
    expect(again.totals.records).toBe(500);
    const archive = await readArchive(lake, 'clicks.v2');
    expect(archive.rows).toEqual(sortSent([...first, ...second]));
    expect(archive.files.every((k) => k.startsWith('raw/clicks_v2/dt=2026-11-21/hr='))).toBe(true);
    expect(await expectContiguousRanges(lake, 'clicks.v2')).toBeGreaterThan(2);
    await log.close();
    await lake.close();
  });

  it('should compact the small files of each hour in the bucket with every record kept once', async () => {
    const dir = await tempDir();
    const log = await openEmbeddedLog({ dir: `${dir}/log`, fsync: { mode: 'never' } });
    await log.admin().createTopic('views', { partitions: 2 });
    const lake = await open();
    const sent = await send(log, records('views', 1500));
    await archiveUntil({ log, lake, topics: ['views'], rollBytes: 5_000 }, 1500);
    const before = await readArchive(lake, 'views');
    const positions = await archivedPositions(lake, 'views');
    const report = await compactArchive({ lake, topic: 'views', minFiles: 2, now: () => new Date(T0 + 5 * 3_600_000) });
    // Two partitions over three hours, each of them in several files.
    expect(report).toMatchObject({ merged: 6, replaced: before.files.length, rows: 1500, lost: 0 });
    expect(before.files.length).toBeGreaterThan(12);
    const after = await readArchive(lake, 'views');
    expect(after.files).toHaveLength(6);
    expect(after.rows).toEqual(sortSent(sent));
    expect(await archivedPositions(lake, 'views')).toEqual(positions);
    expect((await readManifest(lake, 'raw', 'views')).runs).toSatisfy((runs: object) => Object.keys(runs).filter((r) => r.startsWith('compact.')).length === 6);
    // A field count's batch half reads the compacted archive in place from the bucket into a lake table there.
    const withTables: WithTables = async (fn) => {
      const tables = await openLakeTables({ catalog: { kind: 'duckdb', file: `${dir}/catalog.ducklake` }, data: { kind: 's3', bucket: store.bucket, prefix: 'tables/', endpoint: store.connection.endpoint, region: store.connection.region, forcePathStyle: true, accessKeyId: store.connection.accessKeyId, secretAccessKey: store.connection.secretAccessKey } });
      try {
        return await fn(tables);
      } finally {
        await tables.close();
      }
    };
    const counted = await recomputeFieldCounts(lake, withTables, { name: 'views-per-category', topic: 'views', field: 'category', bucketOffsets: 1 });
    const expected = new Map<string, number>();
    for (const r of sent) {
      if (r.value === null) continue;
      const { category } = JSON.parse(r.value) as { category: string };
      expected.set(category, (expected.get(category) ?? 0) + 1);
    }
    expect(counted.counts).toEqual(expected);
    expect((await readFieldCounts(withTables, { name: 'views-per-category', topic: 'views', field: 'category', bucketOffsets: 1 }, { version: counted.snapshot })).counts).toEqual(expected);
    await log.close();
    await lake.close();
  });
});
