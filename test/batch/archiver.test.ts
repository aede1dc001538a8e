import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { archivedPositions } from '../../src/batch/archiver-layout.ts';
import { runArchiver } from '../../src/batch/archiver.ts';
import { openFsLake } from '../../src/lake/fs/fs-lake.ts';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';
import type { Log } from '../../src/log/log.ts';
import { createLogger } from '../../src/logger.ts';
import { rejection } from '../support/errors.ts';
import { tempDir } from '../support/cli.ts';
import { archiveUntil, expectContiguousRanges, readArchive, records, send, sortSent } from './archiver-support.ts';

async function setUp(partitions = 3) {
  const dir = await tempDir();
  const log = await openEmbeddedLog({ dir: `${dir}/log`, fsync: { mode: 'never' } });
  const lake = await openFsLake({ root: `${dir}/lake` });
  await log.admin().createTopic('pins', { partitions });
  return { dir, log, lake, close: async () => { await log.close(); await lake.close(); } };
}

describe('runArchiver', () => {
  it('should archive every record into hourly Parquet files that read back exactly as produced', async () => {
    const { log, lake, close } = await setUp();
    const sent = await send(log, records('pins', 3000));
    const { totals } = await archiveUntil({ log, lake, topics: ['pins'] }, sent.length);
    const archive = await readArchive(lake, 'pins');
    expect(archive.rows).toEqual(sortSent(sent));
    expect(totals.records).toBe(3000);
    expect(archive.hours).toEqual(['dt=2026-11-21/hr=09', 'dt=2026-11-21/hr=10', 'dt=2026-11-21/hr=11']);
    expect(archive.files.every((k) => /^raw\/pins\/dt=2026-11-21\/hr=\d\d\/part-p\d-\d+-\d+-[0-9a-f]{8}\.parquet$/.test(k))).toBe(true);
    await expectContiguousRanges(lake, 'pins');
    await close();
  });

  it('should resume after a crash mid-way with nothing lost and nothing written twice', async () => {
    const { log, lake, close } = await setUp();
    const first = await send(log, records('pins', 4000));
    // Small ranges; the run dies after its first commits, with ranges read, rolled and queued behind them.
    let archived = 0;
    const crash = new Error('crash');
    const failed = runArchiver({
      log, lake, topics: ['pins'], rollBytes: 20_000,
      onFile: (f) => {
        archived += f.rows;
        if (archived >= 500) throw crash;
      },
    });
    await expect(failed).rejects.toBe(crash);
    // The range whose file "crashed" is committed in full, whichever of its files onFile saw.
    const committed = (await readArchive(lake, 'pins')).rows.length;
    expect(committed).toBeGreaterThanOrEqual(500);
    expect(committed).toBeLessThan(4000);
    const second = await send(log, records('pins', 2000, 4000));
    const rest = await archiveUntil({ log, lake, topics: ['pins'], rollBytes: 20_000 }, 6000 - committed);
    expect(rest.totals.records).toBe(6000 - committed);
    expect((await readArchive(lake, 'pins')).rows).toEqual(sortSent([...first, ...second]));
    expect(await expectContiguousRanges(lake, 'pins')).toBeGreaterThan(6);
    await close();
  }, 30_000);

  it('should resume from the catalog, not the group, after a crash between the catalog commit and the offset commit', async () => {
    const { log, lake, close } = await setUp(2);
    const first = await send(log, records('pins', 1000));
    await archiveUntil({ log, lake, topics: ['pins'] }, 1000);
    // The offset commits "never happened": the group goes back to the start of every partition.
    const rewind = log.consumer({ group: 'tributary.archiver', topics: ['pins'] });
    await rewind.poll(10);
    await rewind.commit([0, 1].map((partition) => ({ topic: 'pins', partition, offset: 0 })));
    await rewind.close();
    const second = await send(log, records('pins', 500, 1000));
    const again = await archiveUntil({ log, lake, topics: ['pins'] }, 500);
    expect(again.totals.records).toBe(500);
    expect((await readArchive(lake, 'pins')).rows).toEqual(sortSent([...first, ...second]));
    // A new group knows nothing either: the catalog says everything is archived.
    expect(Object.fromEntries(await archivedPositions(lake, 'pins'))).toEqual(Object.fromEntries(second.reduce((m, s) => m.set(s.partition, Math.max(m.get(s.partition) ?? 0, s.offset + 1)), new Map<number, number>())));
    await close();
  });

  it('should leave no trace of files staged but never committed', async () => {
    const { log, lake, close } = await setUp(1);
    const sent = await send(log, records('pins', 300));
    // Files a crashed archiver uploaded without committing them: invisible, and not in the way.
    await lake.put('raw/pins/dt=2026-11-21/hr=09/part-p0-0-299-deadbeef.parquet', Buffer.from('not parquet'));
    await archiveUntil({ log, lake, topics: ['pins'] }, 300);
    const archive = await readArchive(lake, 'pins');
    expect(archive.rows).toEqual(sortSent(sent));
    expect(archive.files).not.toContain('raw/pins/dt=2026-11-21/hr=09/part-p0-0-299-deadbeef.parquet');
    await close();
  });

  it('should roll by size into ranges of about rollBytes', async () => {
    const { log, lake, close } = await setUp(1);
    const sent = await send(log, records('pins', 2000));
    const { files, totals } = await archiveUntil({ log, lake, topics: ['pins'], rollBytes: 10_000, rollMs: 1000 }, 2000);
    // About 90 bytes a record: ranges of ~110 records, each split over up to three hours.
    expect(totals.ranges).toBeGreaterThanOrEqual(15);
    const sizes = [...new Set(files.map((f) => f.to - f.from + 1))];
    expect(Math.max(...sizes)).toBeLessThan(150);
    expect((await readArchive(lake, 'pins')).rows).toEqual(sortSent(sent));
    await close();
  }, 30_000);

  it('should roll by time while records trickle in', async () => {
    const { log, lake, close } = await setUp(1);
    const controller = new AbortController();
    const ranges: number[] = [];
    const running = runArchiver({ log, lake, topics: ['pins'], rollMs: 100, signal: controller.signal, onFile: (f) => ranges.push(f.from) });
    const sent = [];
    for (let i = 0; i < 6; i++) {
      sent.push(...(await send(log, records('pins', 10, i * 10))));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    controller.abort();
    const totals = await running;
    expect(totals.records).toBe(60);
    expect(new Set(ranges).size).toBeGreaterThanOrEqual(4);
    expect((await readArchive(lake, 'pins')).rows).toEqual(sortSent(sent));
    await close();
  });

  it('should take a partition up again from the catalog when the log moves it back without a seek', async () => {
    const { log, lake, close } = await setUp(2);
    const sent = await send(log, records('pins', 2000));
    // The consumer goes back to offset 0 on its own once the records were read, as a group that
    // restarts a partition at its committed offset between two polls would.
    let nonEmpty = 0;
    let moved = false;
    const moving: Log = {
      backend: log.backend, admin: () => log.admin(), producer: () => log.producer(), close: () => log.close(),
      consumer(options) {
        const inner = log.consumer(options);
        return {
          async poll(timeoutMs) {
            if (nonEmpty >= 2 && !moved) {
              moved = true;
              for (const tp of inner.assignment()) await inner.seek(tp.topic, tp.partition, { offset: 0 });
            }
            const polled = await inner.poll(timeoutMs);
            if (polled.length > 0) nonEmpty++;
            return polled;
          },
          commit: (positions) => inner.commit(positions), seek: (t, p, at) => inner.seek(t, p, at), assignment: () => inner.assignment(), close: () => inner.close(),
        };
      },
    };
    const lines: string[] = [];
    const logger = await createLogger({ level: 'warn', pretty: false, destination: new Writable({ write: (chunk: Buffer, _e, done) => { lines.push(chunk.toString()); done(); } }) });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 30_000);
    let rows = 0;
    const rewound = () => lines.some((l) => l.includes('archiver:partition:rewound'));
    const totals = await runArchiver({
      log: moving, lake, topics: ['pins'], rollBytes: 20_000, rollMs: 100, logger, signal: controller.signal,
      onFile: (f) => void ((rows += f.rows) >= 2000 && moved && controller.abort()),
    });
    clearTimeout(timer);
    expect(moved && rewound()).toBe(true);
    expect(totals.records).toBe(2000);
    expect((await readArchive(lake, 'pins')).rows).toEqual(sortSent(sent));
    await expectContiguousRanges(lake, 'pins');
    await close();
  });

  it('should refuse two topics that would share a dataset', async () => {
    const { log, lake, close } = await setUp(1);
    await rejection(runArchiver({ log, lake, topics: ['Pins', 'pins'] }), 'TOPIC_INVALID');
    await close();
  });
});
