import { describe, expect, it } from 'vitest';
import { compactArchive, type CompactOptions } from '../../src/batch/archiver-compact.ts';
import { archivedPositions } from '../../src/batch/archiver-layout.ts';
import { readManifest, visibleFiles } from '../../src/lake/catalog.ts';
import { openFsLake } from '../../src/lake/fs/fs-lake.ts';
import type { Lake } from '../../src/lake/lake.ts';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';
import { recomputeFieldCounts } from '../../src/serve/query/field-counts-batch.ts';
import { tempDir } from '../support/cli.ts';
import { embeddedTables } from '../support/lake-tables.ts';
import { archiveUntil, expectContiguousRanges, readArchive, records, send, sortSent, T0 } from './archiver-support.ts';

const HOUR = 3_600_000;
/** Every hour the records touch (09 to 11) ended over an hour before. */
const LATER = new Date(T0 + 5 * HOUR);

/** An archive of `n` records in ranges of a few KiB: many small files in each hour of each partition. */
async function smallFiles(n: number, partitions = 2) {
  const dir = await tempDir();
  const log = await openEmbeddedLog({ dir: `${dir}/log`, fsync: { mode: 'never' } });
  const lake = await openFsLake({ root: `${dir}/lake` });
  await log.admin().createTopic('pins', { partitions });
  const sent = await send(log, records('pins', n));
  await archiveUntil({ log, lake, topics: ['pins'], rollBytes: 8_000 }, n);
  return { dir, log, lake, sent, close: async () => { await log.close(); await lake.close(); } };
}

/** Files per `hour partition` of the raw manifest: `dt=…/hr=… p<n>` → count. */
async function filesPerGroup(lake: Lake): Promise<Map<string, number>> {
  const groups = new Map<string, number>();
  for (const file of visibleFiles(await readManifest(lake, 'raw', 'pins'))) {
    const id = `${file.partition} ${/part-(p\d+)-/.exec(file.key)![1]}`;
    groups.set(id, (groups.get(id) ?? 0) + 1);
  }
  return groups;
}

async function objectKeys(lake: Lake): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of lake.list('raw/pins/')) if (!object.key.includes('/_manifest')) keys.push(object.key);
  return keys;
}

const compact = (lake: Lake, now: Date, options: Partial<CompactOptions> = {}) => compactArchive({ lake, topic: 'pins', now: () => now, ...options });

describe('compactArchive', () => {
  it('should merge each hour of each partition into one file holding exactly the rows it replaced', async () => {
    const { dir, lake, sent, close } = await smallFiles(3000);
    const before = await filesPerGroup(lake);
    expect(Math.min(...before.values())).toBeGreaterThanOrEqual(4);
    const positions = await archivedPositions(lake, 'pins');
    const counted = await recomputeFieldCounts(lake, embeddedTables(dir), { name: 'categories-before', topic: 'pins', field: 'category', bucketOffsets: 1 });

    const report = await compact(lake, LATER);
    const filesBefore = [...before.values()].reduce((a, b) => a + b, 0);
    expect(report).toMatchObject({ merged: before.size, replaced: filesBefore, rows: 3000, lost: 0, deleted: 0 });
    expect(report.bytesAfter).toBeLessThan(report.bytesBefore);
    expect([...(await filesPerGroup(lake)).entries()]).toEqual([...before.keys()].map((k) => [k, 1]));
    // Field by field, every record once, each file holding its hour's rows in offset order.
    const archive = await readArchive(lake, 'pins');
    expect(archive.rows).toEqual(sortSent(sent));
    expect(archive.files.every((k) => /\/part-p\d-\d+-\d+-c[0-9a-f]{8}\.parquet$/.test(k))).toBe(true);
    // The archiver's history is untouched: the same positions, ranges still following each other.
    expect(await archivedPositions(lake, 'pins')).toEqual(positions);
    await expectContiguousRanges(lake, 'pins');
    // A reader of the raw zone gets the same answer from the merged files.
    const again = await recomputeFieldCounts(lake, embeddedTables(dir), { name: 'categories-after', topic: 'pins', field: 'category', bucketOffsets: 1 });
    expect(again.counts).toEqual(counted.counts);
    expect(again.offsets).toEqual(counted.offsets);

    // The replaced objects stay while readers of the older manifest may use them, then go.
    expect((await objectKeys(lake)).length).toBe(filesBefore + before.size);
    expect(await compact(lake, new Date(LATER.getTime() + 5 * 60_000))).toMatchObject({ merged: 0, deleted: 0 });
    const cleaned = await compact(lake, new Date(Date.now() + 16 * 60_000));
    expect(cleaned).toMatchObject({ merged: 0, deleted: filesBefore });
    expect((await objectKeys(lake)).sort()).toEqual([...archive.files].sort());
    await close();
  }, 120_000);

  it('should leave hours that have not settled, and files that are large already', async () => {
    const { lake, close } = await smallFiles(2000);
    const before = await filesPerGroup(lake);
    // At 11:30 only hour 09 ended an hour ago.
    const report = await compact(lake, new Date(T0 + 2.5 * HOUR));
    const after = await filesPerGroup(lake);
    for (const [group, n] of before) expect(after.get(group), group).toBe(group.includes('hr=09') ? 1 : n);
    expect(report.merged).toBe([...before.keys()].filter((g) => g.includes('hr=09')).length);
    // Every file counted as large: nothing to merge.
    expect(await compact(lake, LATER, { smallBytes: 1 })).toMatchObject({ merged: 0, replaced: 0 });
    await close();
  }, 120_000);

  it('should keep what the archiver commits during and after a compaction, with nothing twice', async () => {
    const { log, lake, sent, close } = await smallFiles(1500);
    const compaction = compact(lake, LATER);
    const more = await send(log, records('pins', 1500, 1500));
    await archiveUntil({ log, lake, topics: ['pins'], rollBytes: 8_000 }, 1500);
    await compaction;
    const mid = await readArchive(lake, 'pins');
    expect(mid.rows).toEqual(sortSent([...sent, ...more]));
    await compact(lake, LATER);
    const groups = await filesPerGroup(lake);
    expect([...groups.values()].every((n) => n === 1)).toBe(true);
    expect((await readArchive(lake, 'pins')).rows).toEqual(sortSent([...sent, ...more]));
    await expectContiguousRanges(lake, 'pins');
    await close();
  }, 180_000);

  it('should let exactly one of two racing compactions merge each group, and leave no stray file', async () => {
    const { dir, lake, sent, close } = await smallFiles(2000);
    const groups = (await filesPerGroup(lake)).size;
    const other = await openFsLake({ root: `${dir}/lake` });
    const [a, b] = await Promise.all([compact(lake, LATER), compact(other, LATER)]);
    expect(a.merged + b.merged).toBe(groups);
    expect(a.merged + a.lost).toBe(groups);
    expect(b.merged + b.lost).toBe(groups);
    const archive = await readArchive(lake, 'pins');
    expect(archive.rows).toEqual(sortSent(sent));
    const merged = (await objectKeys(lake)).filter((k) => /-c[0-9a-f]{8}\.parquet$/.test(k));
    expect(merged.sort()).toEqual([...archive.files].sort());
    await other.close();
    await close();
  }, 120_000);

  it('should delete a merged file that no commit lists once it is an hour old, and no file of the archiver', async () => {
    const { lake, close } = await smallFiles(500, 1);
    const stray = 'raw/pins/dt=2026-11-21/hr=09/part-p0-0-10-c0123abcd.parquet';
    const unlisted = 'raw/pins/dt=2026-11-21/hr=09/part-p0-0-10-c0123abc.parquet';
    await lake.put(stray, Buffer.from('not committed'));
    await lake.put(unlisted, Buffer.from('an archiver tag of 8 characters'));
    expect(await compact(lake, new Date(Date.now() + 30 * 60_000), { minFiles: 1_000 })).toMatchObject({ deleted: 0 });
    expect(await compact(lake, new Date(Date.now() + 61 * 60_000), { minFiles: 1_000 })).toMatchObject({ deleted: 1 });
    expect(await lake.head(stray)).toBeUndefined();
    expect(await lake.head(unlisted)).toBeDefined();
    await close();
  }, 60_000);

  it('should do nothing for a topic never archived', async () => {
    const lake = await openFsLake({ root: `${await tempDir()}/lake` });
    expect(await compact(lake, LATER)).toMatchObject({ merged: 0, replaced: 0, deleted: 0 });
    await lake.close();
  });
});
