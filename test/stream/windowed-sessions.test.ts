import { rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';
import { embeddedSink } from '../../src/sinks/embedded/embedded-sink.ts';
import { PendingWrite } from '../../src/sinks/pending-write.ts';
import type { Row, TableSpec } from '../../src/sinks/sink.ts';
import { openEmbeddedStateStore } from '../../src/state/embedded/embedded-state.ts';
import type { WindowResult } from '../../src/stream/time/window-operator.ts';
import { runWindowedJob } from '../../src/stream/windowed-runner.ts';
import { tempDir } from '../support/cli.ts';
import { rejection } from '../support/errors.ts';
import { END_USER, eventsArb, expectedSessions, mergeSlices, runEventsToEnd, runMergeScenario, expectOpenSessionsBeforeMerge, sessionsJob, sessionsSpec, type SessionKey } from './fixtures/sessions.ts';
import { ReferenceOperator } from './time/reference.ts';
import { drive, foldFor, scenarioArb, stepsArb } from './time/streams.ts';

const keys: readonly SessionKey[] = ['start', 'start-end'];

/** An embedded log with the events topic (two partitions), a state store and a sink, all in `dir`. */
async function setUp(dir: string, spec: TableSpec) {
  const log = await openEmbeddedLog({ dir: `${dir}/log`, fsync: { mode: 'never' } });
  await log.admin().createTopic('events', { partitions: 2 });
  const state = await openEmbeddedStateStore({ file: `${dir}/state.sqlite` });
  const sink = embeddedSink.create(spec, { job: spec.name }, { dir: `${dir}/views` });
  const read = async () => {
    const reader = embeddedSink.create(spec, { job: 'reader' }, { dir: `${dir}/views` });
    await reader.open();
    try {
      return await reader.scan();
    } finally {
      await reader.close();
    }
  };
  return { log, state, sink, read, close: async () => (await state.close(), await log.close()) };
}

describe('session windows in the sink', () => {
  it('operator results written through pending writes should leave exactly the final sessions of a brute-force model, whatever the checkpoints', async () => {
    const dir = await tempDir();
    const sessionScenario = scenarioArb.filter((s) => s.spec.kind === 'session');
    let run = 0;
    let superseded = 0;
    await fc.assert(
      fc.asyncProperty(sessionScenario, stepsArb, fc.constantFrom(...keys), fc.integer({ min: 1, max: 4 }), async (scenario, steps, key, every) => {
        const spec = sessionsSpec(`p${run++}`, key);
        const row = (r: WindowResult<number | undefined>): Row => ({ user: r.key, session_start: r.window.start, session_end: r.window.end, total: r.result ?? null, events: 0 });
        const sink = embeddedSink.create(spec, { job: 'property' }, { dir });
        await sink.open();
        try {
          const reference = new ReferenceOperator(scenario.spec, scenario.allowedLatenessMs, foldFor(scenario.aggregator));
          const finals: Row[] = [];
          const pending = new PendingWrite(spec.key);
          // Checkpoints at every `every`-th watermark, as the runner writes at its checkpoints.
          const writes: Promise<void>[] = [];
          let watermarks = 0;
          drive(scenario, steps, {
            onRecord: (k, timestamp, value) => void reference.process(k, timestamp, value),
            onWatermark: (watermark, emitted) => {
              for (const r of reference.advance(watermark)) if (r.final) finals.push(row(r));
              for (const result of emitted) {
                superseded += result.supersedes.length;
                for (const window of result.supersedes) pending.delete(row({ ...result, window }));
                pending.upsert(row(result));
              }
              if (++watermarks % every === 0) writes.push(sink.write({ ...pending.take(), positions: [] }));
            },
          });
          writes.push(sink.write({ ...pending.take(), positions: [] }));
          // node:sqlite is synchronous: the writes ran in order as they were called.
          await Promise.all(writes);
          // The table holds the final results upserted by its key. Two final sessions can share a
          // key: a session final at [0, 7) and a later one that a record at 0 opened by merging into
          // a session still open, [0, 24), both start at 0. The later result replaces the earlier.
          const table = new Map<string, Row>();
          for (const final of finals) table.set(JSON.stringify(spec.key.map((column) => final[column])), final);
          const byKey = (a: Row, b: Row) => String(a.user).localeCompare(String(b.user)) || Number(a.session_start) - Number(b.session_start) || Number(a.session_end) - Number(b.session_end);
          expect((await sink.scan()).sort(byKey)).toEqual([...table.values()].sort(byKey));
        } finally {
          await sink.close();
        }
      }),
      { numRuns: 300 },
    );
    // The streams did merge sessions that had already been emitted.
    expect(superseded).toBeGreaterThan(50);
  }, 60_000);

  it('a job should refuse session windows without the key columns', async () => {
    const dir = await tempDir();
    const spec = sessionsSpec('no_key', 'start');
    const { log, state, sink, close } = await setUp(dir, spec);
    const { key: _key, ...job } = sessionsJob('no-key', sink, spec, { allowedLatenessMs: 0, maxOutOfOrdernessMs: 0 });
    const error = await rejection(runWindowedJob(job, { log, state }), 'CONFIG_INVALID');
    expect(error.message).toContain('no-key');
    await close();
  });

  for (const key of keys) {
    it(`merged sessions should replace the rows of the sessions they supersede (key: user, ${key})`, async () => {
      const dir = await tempDir();
      const spec = sessionsSpec(`merge_${key.replace('-', '_')}`, key);
      const { log, state, sink, read, close } = await setUp(dir, spec);
      try {
        const { before, after, superseding } = await runMergeScenario({ log, state, sink, spec, read });
        // The first slice's sessions were in the table while open: a's two, b's one.
        expectOpenSessionsBeforeMerge(before, superseding);
        expect(after).toEqual([
          { user: 'a', session_start: 0, session_end: 110, events: 11, total: 93 },
          { user: 'b', session_start: 0, session_end: 25, events: 3, total: 12 },
        ]);
        expect(after).toEqual(expectedSessions(mergeSlices.flat()));
      } finally {
        await close();
      }
    });
  }

  it('a job over random out-of-order events should end with exactly the brute-force sessions in the table', async () => {
    let superseded = 0;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(eventsArb, fc.constantFrom(...keys), fc.boolean(), fc.integer({ min: 1, max: 3 }), async (events, key, early, slices) => {
        const dir = await mkdtemp(path.join(tmpdir(), 'tributary-sessions-'));
        const spec = sessionsSpec(`random_${run++}`, key);
        const { log, state, sink, read, close } = await setUp(dir, spec);
        try {
          const { counts, superseded: windows } = await runEventsToEnd({ log, state, sink, spec, events, slices, ...(early && { earlyFiringMs: 5 }) });
          expect(counts.windows.late).toBe(0);
          superseded += windows;
          expect((await read()).filter((r) => r.user !== END_USER)).toEqual(expectedSessions(events));
        } finally {
          await close();
          await rm(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 25, endOnFailure: true },
    );
    expect(superseded).toBeGreaterThan(0);
  }, 120_000);
});
