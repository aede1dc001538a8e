/**
 * The catalog's behaviour on a lake backend: `describeCatalogContract(name, factory)`. The factory
 * opens a lake on shared storage (fs: one directory per test file; S3: the file's bucket); it is
 * called several times in a test to stand for writers in separate processes. Every test works on a
 * dataset of its own and deletes it when it ends.
 */
import { Readable } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { commitFiles, readManifest, visibleFiles, type Commit, type CommitOptions, type Manifest } from '../../src/lake/catalog.ts';
import { datasetPrefix, partFileName, partitionPrefix } from '../../src/lake/keys.ts';
import type { Lake } from '../../src/lake/lake.ts';
import { rejection } from '../support/errors.ts';
import { uniqueName } from '../support/services.ts';
import { collect, deleteUnder } from './lake-contract.ts';

const zone = 'processed';
const schema = [
  { name: 'id', type: 'BIGINT' },
  { name: 'amount', type: 'DOUBLE' },
];

/**
 * The writers, wrapped so that each one's first manifest create waits until all have reached theirs:
 * they all read the same version and race for the next, which only one can win. `lost` counts the
 * creates that found their version taken.
 */
function raceAtFirstCreate(lakes: Lake[]): { writers: Lake[]; lost: () => number } {
  let lost = 0;
  let waiting = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const writers = lakes.map((lake): Lake => {
    let first = true;
    return {
      ...lake,
      putIfAbsent: async (key, body, options) => {
        if (first) {
          first = false;
          waiting += 1;
          if (waiting === lakes.length) release();
          await gate;
        }
        const created = await lake.putIfAbsent(key, body, options);
        if (!created) lost += 1;
        return created;
      },
    };
  });
  return { writers, lost: () => lost };
}

export function describeCatalogContract(name: string, openLake: () => Promise<Lake>): void {
  describe(`${name} catalog`, () => {
    /** A lake (closed at the end) and a dataset of this test's own (deleted at the end). */
    async function setup(): Promise<{ lake: Lake; dataset: string; open: () => Promise<Lake> }> {
      const dataset = uniqueName('ds');
      const opened: Lake[] = [];
      const open = async () => {
        const lake = await openLake();
        opened.push(lake);
        return lake;
      };
      const lake = await open();
      onTestFinished(async () => {
        await deleteUnder(lake, datasetPrefix(zone, dataset));
        for (const each of opened) await each.close();
      });
      return { lake, dataset, open };
    }

    /** Put a part file into a partition, as a job's task would, and describe it for a commit. */
    async function writePart(lake: Lake, dataset: string, dt: string, hr: string, id: string, rows = 10): Promise<Commit['files'][number]> {
      const key = `${partitionPrefix(zone, dataset, { dt, hr })}${partFileName(id)}`;
      await lake.put(key, Buffer.from(`${id}:${'x'.repeat(rows)}`));
      return { key, rows };
    }

    const commit = (runId: string, files: Commit['files'], mode: Commit['mode'] = 'append'): Commit => ({ runId, job: 'orders-clean', schema, files, mode });
    const keysOf = (manifest: Manifest) => visibleFiles(manifest).map((f) => f.key);

    it('reading the manifest of a dataset never committed should be LAKE_NOT_FOUND', async () => {
      const { lake, dataset } = await setup();
      await rejection(readManifest(lake, zone, dataset), 'LAKE_NOT_FOUND');
    });

    it('append commits should add files and record which run wrote each', async () => {
      const { lake, dataset } = await setup();
      const a = await writePart(lake, dataset, '2026-11-21', '09', 'r1-0', 3);
      const b = await writePart(lake, dataset, '2026-11-21', '10', 'r1-1', 4);
      const first = await commitFiles(lake, zone, dataset, { ...commit('r1', [b, a]), started: new Date('2026-11-21T10:00:00Z') });
      expect(first.version).toBe(1);
      const c = await writePart(lake, dataset, '2026-11-21', '09', 'r2-0', 5);
      await commitFiles(lake, zone, dataset, commit('r2', [c]));

      const manifest = await readManifest(lake, zone, dataset);
      expect(manifest).toMatchObject({ format: 1, zone, dataset, version: 2, schema });
      expect(keysOf(manifest)).toEqual([a.key, c.key, b.key]);
      expect(visibleFiles(manifest).map((f) => [f.run, f.partition, f.rows])).toEqual([
        ['r1', 'dt=2026-11-21/hr=09', 3],
        ['r2', 'dt=2026-11-21/hr=09', 5],
        ['r1', 'dt=2026-11-21/hr=10', 4],
      ]);
      expect(manifest.partitions['dt=2026-11-21/hr=09']?.rows).toBe(8);
      // bytes are the lake's sizes of the objects.
      expect(manifest.partitions['dt=2026-11-21/hr=10']?.bytes).toBe('r1-1:xxxx'.length);
      expect(manifest.runs.r1).toMatchObject({ job: 'orders-clean', mode: 'append', version: 1, started: '2026-11-21T10:00:00.000Z', files: [a.key, b.key], replaced: [] });
      expect(manifest.runs.r2).toMatchObject({ version: 2, files: [c.key] });
    });

    it('overwrite-partitions should replace the partitions it writes and leave the others', async () => {
      const { lake, dataset } = await setup();
      const old9 = await writePart(lake, dataset, '2026-11-21', '09', 'r1-0');
      const old10 = await writePart(lake, dataset, '2026-11-21', '10', 'r1-1');
      await commitFiles(lake, zone, dataset, commit('r1', [old9, old10]));
      const new9 = await writePart(lake, dataset, '2026-11-21', '09', 'r2-0', 7);
      const new11 = await writePart(lake, dataset, '2026-11-21', '11', 'r2-1');
      const manifest = await commitFiles(lake, zone, dataset, commit('r2', [new9, new11], 'overwrite-partitions'));

      expect(keysOf(manifest)).toEqual([new9.key, old10.key, new11.key]);
      expect(manifest.partitions['dt=2026-11-21/hr=09']).toMatchObject({ rows: 7, files: [{ key: new9.key, run: 'r2' }] });
      expect(manifest.runs.r2).toMatchObject({ mode: 'overwrite-partitions', files: [new9.key, new11.key], replaced: [old9.key] });
      // Lineage keeps what r1 wrote, though part of it is hidden now; the hidden file is not deleted
      // (a reader of the previous version may be reading it).
      expect(manifest.runs.r1?.files).toEqual([old9.key, old10.key]);
      expect(await lake.head(old9.key)).toBeDefined();
      expect(await readManifest(lake, zone, dataset)).toEqual(manifest);
    });

    it('replace-files should put its files in place of the replaced ones and keep every other file', async () => {
      const { lake, dataset } = await setup();
      const small = await Promise.all([0, 1, 2].map((i) => writePart(lake, dataset, '2026-11-21', '09', `r${i}-0`, 3)));
      for (const [i, file] of small.entries()) await commitFiles(lake, zone, dataset, commit(`r${i}`, [file]));
      const other = await writePart(lake, dataset, '2026-11-21', '10', 'r9-0', 4);
      await commitFiles(lake, zone, dataset, commit('r9', [other]));
      const merged = await writePart(lake, dataset, '2026-11-21', '09', 'c1-0', 6);
      // Committed after the compaction read the manifest: a replace keeps it.
      const late = await writePart(lake, dataset, '2026-11-21', '09', 'r3-0', 2);
      await commitFiles(lake, zone, dataset, commit('r3', [late]));
      const manifest = await commitFiles(lake, zone, dataset, { ...commit('c1', [merged], 'replace-files'), replaces: [small[0]!.key, small[1]!.key] });
      expect(keysOf(manifest)).toEqual([merged.key, small[2]!.key, late.key, other.key].sort());
      expect(manifest.partitions['dt=2026-11-21/hr=09']?.rows).toBe(6 + 3 + 2);
      expect(manifest.runs.c1).toMatchObject({ mode: 'replace-files', files: [merged.key], replaced: [small[0]!.key, small[1]!.key] });
      expect(manifest.runs.r0?.files).toEqual([small[0]!.key]);
    });

    it('replace-files should be refused when a replaced file is gone, when rows differ, or without keys to replace', async () => {
      const { lake, dataset } = await setup();
      const [a, b] = await Promise.all([0, 1].map((i) => writePart(lake, dataset, '2026-11-21', '09', `r${i}-0`, 3)));
      await commitFiles(lake, zone, dataset, commit('r0', [a!, b!]));
      const first = await writePart(lake, dataset, '2026-11-21', '09', 'c1-0', 6);
      await commitFiles(lake, zone, dataset, { ...commit('c1', [first], 'replace-files'), replaces: [a!.key, b!.key] });
      const second = await writePart(lake, dataset, '2026-11-21', '09', 'c2-0', 3);
      const conflict = await rejection(commitFiles(lake, zone, dataset, { ...commit('c2', [second], 'replace-files'), replaces: [a!.key] }), 'LAKE_TABLE_CONFLICT');
      expect(conflict.message).toContain(a!.key);
      expect(conflict.retryable).toBe(false);
      const short = await writePart(lake, dataset, '2026-11-21', '09', 'c3-0', 5);
      const rows = await rejection(commitFiles(lake, zone, dataset, { ...commit('c3', [short], 'replace-files'), replaces: [first.key] }), 'LAKE_INVALID_KEY');
      expect(rows.message).toContain('replaces 6 rows');
      expect(rows.message).toContain('with 5');
      const elsewhere = await writePart(lake, dataset, '2026-11-21', '10', 'c4-0', 6);
      await rejection(commitFiles(lake, zone, dataset, { ...commit('c4', [elsewhere], 'replace-files'), replaces: [first.key] }), 'LAKE_INVALID_KEY');
      await rejection(commitFiles(lake, zone, dataset, commit('c5', [second], 'replace-files')), 'LAKE_INVALID_KEY');
      await rejection(commitFiles(lake, zone, dataset, { ...commit('c6', [second]), replaces: [first.key] }), 'LAKE_INVALID_KEY');
      expect(keysOf(await readManifest(lake, zone, dataset))).toEqual([first.key]);
    });

    it('a file the manifest does not list should not be part of the dataset', async () => {
      const { lake, dataset } = await setup();
      const committed = await writePart(lake, dataset, '2026-11-21', '09', 'r1-0');
      await commitFiles(lake, zone, dataset, commit('r1', [committed]));
      // A job that crashed before its commit left a file in the same partition.
      const orphan = await writePart(lake, dataset, '2026-11-21', '09', 'crashed-0');
      const listed = (await collect(lake.list(partitionPrefix(zone, dataset, { dt: '2026-11-21', hr: '09' })))).map((o) => o.key);
      expect(listed).toContain(orphan.key);
      expect(keysOf(await readManifest(lake, zone, dataset))).toEqual([committed.key]);
    });

    it('committing the same run again should change nothing', async () => {
      const { lake, dataset } = await setup();
      const file = await writePart(lake, dataset, '2026-11-21', '09', 'r1-0');
      const first = await commitFiles(lake, zone, dataset, commit('r1', [file]));
      const again = await commitFiles(lake, zone, dataset, commit('r1', [file]));
      expect(again).toEqual(first);
      expect((await readManifest(lake, zone, dataset)).version).toBe(1);
    });

    it('a commit naming a missing object, a key outside the dataset or a wrong partition should fail and change nothing', async () => {
      const { lake, dataset } = await setup();
      const file = await writePart(lake, dataset, '2026-11-21', '09', 'r1-0');
      await commitFiles(lake, zone, dataset, commit('r1', [file]));
      const missing = { key: `${partitionPrefix(zone, dataset, { dt: '2026-11-21', hr: '09' })}${partFileName('never-written')}`, rows: 1 };
      await rejection(commitFiles(lake, zone, dataset, commit('r2', [missing])), 'LAKE_NOT_FOUND');
      await rejection(commitFiles(lake, zone, dataset, commit('r3', [{ key: `raw/${dataset}/dt=2026-11-21/part-0.parquet`, rows: 1 }])), 'LAKE_INVALID_KEY');
      await rejection(commitFiles(lake, zone, dataset, commit('r4', [{ ...file, partition: { dt: '2026-11-22', hr: '09' } }])), 'LAKE_INVALID_KEY');
      await rejection(commitFiles(lake, zone, dataset, commit('r5', [file, file])), 'LAKE_INVALID_KEY');
      await rejection(commitFiles(lake, zone, dataset, commit('r6', [file])), 'LAKE_INVALID_KEY');
      await rejection(commitFiles(lake, zone, dataset, commit('r7', [{ ...file, bytes: 1 }])), 'INTERNAL');
      await rejection(commitFiles(lake, zone, dataset, commit('bad run id', [])), 'LAKE_INVALID_KEY');
      expect((await readManifest(lake, zone, dataset)).version).toBe(1);
    });

    it('a commit whose create was applied but whose reply was lost should find its own version and not apply twice', async () => {
      const { lake, dataset } = await setup();
      // As when the SDK retries a PUT that had succeeded: the retry meets the object and gets 412.
      let lostReply = true;
      const flaky: Lake = {
        ...lake,
        putIfAbsent: async (key, body, options) => {
          const created = await lake.putIfAbsent(key, body, options);
          if (!lostReply) return created;
          lostReply = false;
          return undefined;
        },
      };
      const file = await writePart(lake, dataset, '2026-11-21', '09', 'r1-0');
      const manifest = await commitFiles(flaky, zone, dataset, commit('r1', [file]));
      expect(manifest.version).toBe(1);
      expect(keysOf(await readManifest(lake, zone, dataset))).toEqual([file.key]);
    });

    it('a commit with a schema other than the dataset one should be refused', async () => {
      const { lake, dataset } = await setup();
      await commitFiles(lake, zone, dataset, commit('r1', [await writePart(lake, dataset, '2026-11-21', '09', 'r1-0')]));
      const file = await writePart(lake, dataset, '2026-11-21', '09', 'r2-0');
      await rejection(commitFiles(lake, zone, dataset, { ...commit('r2', [file]), schema: [{ name: 'id', type: 'VARCHAR' }] }), 'SCHEMA_VALIDATION');
      expect((await readManifest(lake, zone, dataset)).version).toBe(1);
    });

    it('concurrent commits from separate writers should all land', async () => {
      const { lake, dataset, open } = await setup();
      const { writers, lost } = raceAtFirstCreate(await Promise.all(Array.from({ length: 6 }, () => open())));
      const files = await Promise.all(writers.map((w, i) => writePart(w, dataset, '2026-11-21', String(i).padStart(2, '0'), `w${i}-0`)));
      const results = await Promise.all(writers.map((w, i) => commitFiles(w, zone, dataset, commit(`w${i}`, [files[i]!]))));
      expect(lost()).toBeGreaterThanOrEqual(5);
      expect(results.map((m) => m.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
      const manifest = await readManifest(lake, zone, dataset);
      expect(manifest.version).toBe(6);
      expect(keysOf(manifest)).toEqual(files.map((f) => f.key));
      expect(Object.keys(manifest.runs).sort()).toEqual(['w0', 'w1', 'w2', 'w3', 'w4', 'w5']);
    });

    it('an overwrite racing appends into its partition should end as if they ran one after another', async () => {
      const { lake, dataset, open } = await setup();
      const { writers, lost } = raceAtFirstCreate(await Promise.all(Array.from({ length: 5 }, () => open())));
      const files = await Promise.all(writers.map((w, i) => writePart(w, dataset, '2026-11-21', '09', `w${i}-0`)));
      const modes: Commit['mode'][] = ['append', 'append', 'overwrite-partitions', 'append', 'append'];
      await Promise.all(writers.map((w, i) => commitFiles(w, zone, dataset, commit(`w${i}`, [files[i]!], modes[i]))));
      expect(lost()).toBeGreaterThanOrEqual(4);
      const manifest = await readManifest(lake, zone, dataset);
      const overwrite = manifest.runs.w2?.version ?? 0;
      // Visible: the overwrite's file and the appends committed after it; the earlier ones it replaced.
      const after = files.filter((_, i) => i === 2 || (manifest.runs[`w${i}`]?.version ?? 0) > overwrite).map((f) => f.key);
      const before = files.filter((_, i) => i !== 2 && (manifest.runs[`w${i}`]?.version ?? 0) < overwrite).map((f) => f.key);
      expect(keysOf(manifest)).toEqual(after.sort());
      expect(manifest.runs.w2?.replaced).toEqual(before.sort());
    });

    it('old snapshots should be pruned, keeping the newest and a copy of it in _manifest.json', async () => {
      const { lake, dataset } = await setup();
      const options: CommitOptions = { keepVersions: 3 };
      for (let i = 1; i <= 6; i++) {
        await commitFiles(lake, zone, dataset, commit(`r${i}`, [await writePart(lake, dataset, '2026-11-21', '09', `r${i}-0`)]), options);
      }
      const prefix = datasetPrefix(zone, dataset);
      const snapshots = (await collect(lake.list(`${prefix}_manifest/`))).map((o) => o.key.slice(prefix.length));
      expect(snapshots).toEqual(['_manifest/000000000004.json', '_manifest/000000000005.json', '_manifest/000000000006.json']);
      const manifest = await readManifest(lake, zone, dataset);
      expect(manifest.version).toBe(6);
      expect(visibleFiles(manifest)).toHaveLength(6);
      expect(JSON.parse((await lake.getBytes(`${prefix}_manifest.json`)).toString())).toEqual(manifest);
    });

    it('a writer whose view is older than the pruned snapshots should not re-create one of them', async () => {
      const { lake, dataset } = await setup();
      const prefix = `${datasetPrefix(zone, dataset)}_manifest/`;
      await commitFiles(lake, zone, dataset, commit('r1', [await writePart(lake, dataset, '2026-11-21', '09', 'r1-0')]), { keepVersions: 2 });
      const firstKey = `${prefix}000000000001.json`;
      const firstBytes = await lake.getBytes(firstKey);
      for (let i = 2; i <= 5; i++) {
        await commitFiles(lake, zone, dataset, commit(`r${i}`, [await writePart(lake, dataset, '2026-11-21', '09', `r${i}-0`)]), { keepVersions: 2 });
      }
      expect(await lake.head(firstKey)).toBeUndefined();

      // A writer that read version 1 long ago (its first list and read return what was there then)
      // goes on to create version 2, which was pruned and is free again.
      let stale = true;
      const slow: Lake = {
        ...lake,
        list: (p: string) => {
          if (!(stale && p === prefix)) return lake.list(p);
          return Readable.from([{ key: firstKey, size: firstBytes.length, modified: new Date(), etag: 'old' }]);
        },
        getBytes: async (key: string) => {
          if (!(stale && key === firstKey)) return lake.getBytes(key);
          stale = false;
          return firstBytes;
        },
      };
      const file = await writePart(lake, dataset, '2026-11-21', '09', 'late-0');
      const result = await commitFiles(slow, zone, dataset, commit('late', [file]), { keepVersions: 2 });
      expect(result.version).toBe(6);
      const manifest = await readManifest(lake, zone, dataset);
      expect(manifest.version).toBe(6);
      expect(Object.keys(manifest.runs).sort()).toEqual(['late', 'r1', 'r2', 'r3', 'r4', 'r5']);
      expect(visibleFiles(manifest)).toHaveLength(6);
      expect((await collect(lake.list(prefix))).map((o) => o.key.slice(prefix.length))).toEqual(['000000000005.json', '000000000006.json']);
    });
  });
}
