import { describe, expect, it } from 'vitest';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';
import { tempDir } from '../support/cli.ts';
import { archiveUntil, expectContiguousRanges, readArchive, records, send, sortSent } from './archiver-support.ts';
import { testBucket } from '../support/s3.ts';

const { open } = await testBucket('archiver');

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
});
