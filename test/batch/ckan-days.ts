/**
 * Day-by-day CKAN updates, as the source feeds them, on any lake: the CKAN source (on an emulator of
 * the City of Toronto's portal, with an injected clock) downloads into the raw zone, then the batch
 * job runs. After each scenario the output must equal, row for row, a from-scratch run over the
 * files the package serves now.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { torontoApartmentsJob } from '../../examples/toronto-kijiji/toronto-job.ts';
import { runBatchJob, type BatchRunSummary } from '../../src/batch/run-batch-job.ts';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';
import { query as sql } from '../../src/lake/tables/sql.ts';
import { ckanConfigSchema, ckanSource } from '../../src/sources/ckan/ckan-source.ts';
import { openEmbeddedStateStore } from '../../src/state/embedded/embedded-state.ts';
import { tempDir } from '../support/cli.ts';
import { CURRENT, CURRENT_ID, PRE_2023, PRE_2023_ID, SNAPSHOT_CRLF, emulator } from '../sources/ckan/ckan-fixture.ts';
import { head, putFile, query, toronto, type Fixture } from './batch-support.ts';

const DATASET = 'apartment-building-evaluation';
const day = (n: number, hour = 6) => new Date(Date.UTC(2026, 10, n, hour));

async function scenario(fixture: () => Promise<Fixture>) {
  const f = await fixture();
  const ckan = await emulator();
  const dir = await tempDir('tributary-ckan-days-');
  const state = await openEmbeddedStateStore({ file: path.join(dir, 'state.sqlite') });
  const log = await openEmbeddedLog({ dir: path.join(dir, 'log') });
  onTestFinished(async () => {
    await log.close();
    await state.close();
  });
  let clock = day(1);
  const config = ckanConfigSchema.parse({ baseUrl: ckan.baseUrl, package: DATASET, dataset: DATASET, stagingDir: path.join(dir, 'staging'), timeoutMs: 10_000 });
  const source = ckanSource.create(config, { log, lake: f.lake, state, logger: pino({ level: 'silent' }), now: () => clock });
  onTestFinished(() => source.close());
  const job = torontoApartmentsJob();
  return {
    f,
    ckan,
    dir,
    /** One `source run --times 1` at `when`. */
    async poll(when: Date) {
      clock = when;
      await source.poll(new AbortController().signal);
    },
    /** One `batch run`. */
    async batch(options: { full?: boolean } = {}): Promise<BatchRunSummary> {
      const summary = await runBatchJob(job, f, options);
      expect(summary.units.map((u) => u.error?.message ?? u.status).filter((s) => s !== 'succeeded')).toEqual([]);
      return summary;
    },
    /** The output must equal a from-scratch run over `files` (what the package serves now). */
    async expectFromScratch(files: readonly string[]) {
      const name = `scratch${Math.random().toString(36).slice(2, 8)}`;
      for (const file of files) await putFile(f.lake, `raw/${name}/dt=2026-01-01/${path.basename(file)}`, pathToFileURL(file));
      const scratch = torontoApartmentsJob({ name, input: name, output: name });
      const summary = await runBatchJob(scratch, f);
      expect(summary.units[0]?.error?.message ?? summary.units[0]?.status).toBe('succeeded');
      const c = await f.tables.instance.connect();
      try {
        const a = f.tables.relation('processed', 'toronto_apartments');
        const b = f.tables.relation('processed', name);
        const [diff] = await sql(c, `SELECT (SELECT count(*) FROM (SELECT * FROM ${a} EXCEPT ALL SELECT * FROM ${b})) AS extra, (SELECT count(*) FROM (SELECT * FROM ${b} EXCEPT ALL SELECT * FROM ${a})) AS missing, (SELECT count(*) FROM ${a}) AS n`);
        expect(diff).toEqual({ extra: 0n, missing: 0n, n: BigInt(summary.counts.written) });
        // The quarantines match too: the same bad rows, each once.
        const qa = `"${f.tables.alias}".quarantine.processed_toronto_apartments`;
        const qb = `"${f.tables.alias}".quarantine.processed_${name}`;
        const [q] = await sql(c, `SELECT (SELECT count(*) FROM ${qa}) AS a, (SELECT count(*) FROM ${qb}) AS b, (SELECT count(*) FROM (SELECT DISTINCT file, "row", line FROM ${qa})) AS keys`);
        expect(q?.a).toBe(q?.b);
        expect(q?.keys).toBe(q?.a);
      } finally {
        c.closeSync();
      }
    },
  };
}

/** The day-by-day scenarios of a lake's backends; `fixture()` gives a lake, metadata store and tables of the test's own. */
export function describeCkanDays(name: string, fixture: () => Promise<Fixture>): void {
  describe(`day-by-day CKAN updates (${name})`, () => {
    it('(a) only the 2023-current resource changes on day 2: the pre-2023 evaluations dated 2023 stay', async () => {
      const s = await scenario(fixture);
      await s.poll(day(1));
      await s.batch();
      const older = "SELECT count(*) AS n FROM t WHERE item_scale = '1-5' AND year = 2023";
      const [before] = await query(s.f, 'processed', 'toronto_apartments', older);
      expect(Number(before?.n)).toBeGreaterThan(0);
      await s.ckan.replace(CURRENT_ID, SNAPSHOT_CRLF);
      await s.poll(day(2));
      const second = await s.batch();
      expect(second.changed).toEqual([`ckan:${CURRENT_ID}`]);
      expect(await query(s.f, 'processed', 'toronto_apartments', older)).toEqual([before]);
      expect(second.units[0]?.partitions).not.toBe('all');
      await s.expectFromScratch([PRE_2023, SNAPSHOT_CRLF]);
      expect((await s.batch({ full: true })).units[0]?.partitions).toBe('all');
      await s.expectFromScratch([PRE_2023, SNAPSHOT_CRLF]);
    });

    it('(b) one resource changes twice in a day: only its latest version counts', async () => {
      const s = await scenario(fixture);
      await s.poll(day(1));
      await s.batch();
      const shorter = path.join(s.dir, 'current-shorter.csv');
      await writeFile(shorter, await head(toronto.current, 4000));
      await s.ckan.replace(CURRENT_ID, SNAPSHOT_CRLF);
      await s.poll(day(2, 6));
      await s.ckan.replace(CURRENT_ID, shorter);
      await s.poll(day(2, 18));
      const second = await s.batch();
      expect(second.changed).toEqual([`ckan:${CURRENT_ID}`]);
      await s.expectFromScratch([PRE_2023, shorter]);
    });

    it('(c) a resource removed from the package: its rows leave the output', async () => {
      const s = await scenario(fixture);
      await s.poll(day(1));
      await s.batch();
      s.ckan.remove(PRE_2023_ID);
      await s.poll(day(2));
      const second = await s.batch();
      expect(second).toMatchObject({ changed: [], removed: [`ckan:${PRE_2023_ID}`] });
      await s.expectFromScratch([CURRENT]);
    });

    it('(d) nothing changes: the run is skipped and the output stays as it was', async () => {
      const s = await scenario(fixture);
      await s.poll(day(1));
      const first = await s.batch();
      await s.poll(day(2));
      const second = await s.batch();
      expect(second).toMatchObject({ units: [], skipped: 1 });
      expect(await s.f.tables.currentSnapshot()).toBe(first.units[0]?.snapshot);
      await s.expectFromScratch([PRE_2023, CURRENT]);
    });
  });
}

