/** The suite every metadata store passes: `describeMetadataContract(name, open)`. */
import { describe, expect, it } from 'vitest';
import type { MetadataStore } from '../../src/metadata/metadata.ts';
import { rejection } from '../support/errors.ts';
import { uniqueName } from '../support/services.ts';

const counts = { read: 11_760, written: 11_751, quarantined: 0, filtered: 9, files: 7 };

export function describeMetadataContract(name: string, open: () => Promise<MetadataStore>): void {
  const withStore = async (fn: (store: MetadataStore, job: string) => Promise<void>) => {
    const store = await open();
    try {
      await fn(store, uniqueName('job'));
    } finally {
      await store.close();
    }
  };

  describe(`metadata store contract (${name})`, () => {
    it('should record a run from start to success with its counts', () =>
      withStore(async (store, job) => {
        const started = new Date('2026-11-21T10:00:00.123Z');
        await store.startRun({ job, runId: `${job}-r1`, unit: 'dt=2026-11-21', started });
        expect((await store.runs(job))[0]).toMatchObject({ runId: `${job}-r1`, status: 'running', started });
        const finished = new Date('2026-11-21T10:00:05.456Z');
        await store.finishRun(`${job}-r1`, { status: 'succeeded', finished, counts });
        const [run] = await store.runs(job);
        expect(run).toEqual({ job, runId: `${job}-r1`, unit: 'dt=2026-11-21', status: 'succeeded', started, finished, counts });
      }));

    it('should record a failed run with its error, newest first', () =>
      withStore(async (store, job) => {
        await store.startRun({ job, runId: `${job}-a`, unit: 'dt=2026-11-20', started: new Date(1000) });
        await store.finishRun(`${job}-a`, { status: 'succeeded', finished: new Date(2000), counts });
        await store.startRun({ job, runId: `${job}-b`, unit: 'dt=2026-11-20', started: new Date(3000) });
        await store.finishRun(`${job}-b`, { status: 'failed', finished: new Date(4000), counts: { ...counts, written: 0, files: 0 }, error: 'BATCH_ERROR_BUDGET: too many' });
        const runs = await store.runs(job);
        expect(runs.map((r) => [r.runId, r.status, r.error])).toEqual([
          [`${job}-b`, 'failed', 'BATCH_ERROR_BUDGET: too many'],
          [`${job}-a`, 'succeeded', undefined],
        ]);
      }));

    it('should keep the runs of other jobs apart, and honour a limit', () =>
      withStore(async (store, job) => {
        const other = `${job}-other`;
        for (const [j, runId] of [[job, `${job}-1`], [other, `${other}-1`], [job, `${job}-2`]] as const) {
          await store.startRun({ job: j, runId, unit: '*', started: new Date() });
          await store.finishRun(runId, { status: 'succeeded', finished: new Date(), counts });
        }
        expect((await store.runs(job)).map((r) => r.runId).sort()).toEqual([`${job}-1`, `${job}-2`]);
        expect((await store.runs(other)).map((r) => r.runId)).toEqual([`${other}-1`]);
        expect(await store.runs(job, { limit: 1 })).toHaveLength(1);
      }));

    it('should refuse to start a run twice or finish a run that is not running', () =>
      withStore(async (store, job) => {
        await store.startRun({ job, runId: `${job}-x`, unit: '*', started: new Date() });
        await rejection(store.startRun({ job, runId: `${job}-x`, unit: '*', started: new Date() }), 'INTERNAL');
        await rejection(store.finishRun(`${job}-never`, { status: 'succeeded', finished: new Date(), counts }), 'INTERNAL');
        await store.finishRun(`${job}-x`, { status: 'succeeded', finished: new Date(), counts });
        await rejection(store.finishRun(`${job}-x`, { status: 'failed', finished: new Date(), counts }), 'INTERNAL');
      }));

    it('failRunning should mark only the job\'s running runs failed, with the reason', () =>
      withStore(async (store, job) => {
        const other = `${job}-other`;
        await store.startRun({ job, runId: `${job}-done`, unit: '*', started: new Date(1000) });
        await store.finishRun(`${job}-done`, { status: 'succeeded', finished: new Date(2000), counts });
        await store.startRun({ job, runId: `${job}-killed`, unit: '*', started: new Date(3000) });
        await store.startRun({ job: other, runId: `${other}-running`, unit: '*', started: new Date(3000) });
        expect(await store.failRunning(job, new Date(5000), 'interrupted')).toEqual([`${job}-killed`]);
        expect((await store.runs(job)).map((r) => [r.runId, r.status, r.error, r.finished])).toEqual([
          [`${job}-killed`, 'failed', 'interrupted', new Date(5000)],
          [`${job}-done`, 'succeeded', undefined, new Date(2000)],
        ]);
        expect((await store.runs(other))[0]?.status).toBe('running');
        expect(await store.failRunning(job, new Date(6000), 'again')).toEqual([]);
      }));

    it('should refuse calls after close', async () => {
      const store = await open();
      await store.close();
      await rejection(store.runs('any'), 'METADATA_CLOSED');
    });
  });
}
