import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';
import { postgresSink } from '../../src/sinks/postgres/postgres-sink.ts';
import type { Row, TableSpec } from '../../src/sinks/sink.ts';
import { openEmbeddedStateStore } from '../../src/state/embedded/embedded-state.ts';
import { runJobs } from '../../src/stream/run-jobs.ts';
import { tempDir } from '../support/cli.ts';
import { endpoint, uniqueName } from '../support/services.ts';
import { END_USER, eventsArb, eventually, expectedSessions, mergeSlices, runEventsToEnd, runMergeScenario, expectOpenSessionsBeforeMerge, sendEnd, sendEvents, sessionsDefinition, sessionsSpec, type SessionKey } from './fixtures/sessions.ts';

/** The session rows as PostgreSQL holds them, read with plain SQL rather than through a sink. */
async function tableRows(client: pg.Client, schema: string, table: string): Promise<Row[]> {
  const { rows } = await client.query<{ user: string; session_start: string; session_end: string; events: string; total: string }>(
    `SELECT "user", session_start, session_end, events, total FROM "${schema}"."${table}" WHERE "user" <> $1 ORDER BY "user" COLLATE "C", session_start`,
    [END_USER],
  );
  return rows.map((r) => ({ user: r.user, session_start: Number(r.session_start), session_end: Number(r.session_end), events: Number(r.events), total: Number(r.total) }));
}

describe('session windows in a PostgreSQL table', () => {
  let client: pg.Client;
  const schema = uniqueName('sessions');

  beforeAll(async () => {
    client = new pg.Client({ connectionString: endpoint('TRIBUTARY_POSTGRES_URL') });
    await client.connect();
  });
  afterAll(async () => {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  /** Creates the table as the job's sink will, so that the test can read it before the job starts. */
  async function createTable(spec: TableSpec): Promise<void> {
    const sink = postgresSink.create(spec, { job: 'setup' }, { url: endpoint('TRIBUTARY_POSTGRES_URL'), schema });
    await sink.open();
    await sink.close();
  }

  async function setUp(dir: string) {
    const log = await openEmbeddedLog({ dir: `${dir}/log`, fsync: { mode: 'never' } });
    await log.admin().createTopic('events', { partitions: 2 });
    const state = await openEmbeddedStateStore({ file: `${dir}/state.sqlite` });
    return { log, state, close: async () => (await state.close(), await log.close()) };
  }

  for (const key of ['start', 'start-end'] as const satisfies readonly SessionKey[]) {
    it(`merged sessions should leave no superseded row in the table (key: user, ${key})`, async () => {
      const { log, state, close } = await setUp(await tempDir());
      const spec = sessionsSpec(uniqueName('merge'), key);
      const url = endpoint('TRIBUTARY_POSTGRES_URL');
      const sink = postgresSink.create(spec, { job: spec.name }, { url, schema });
      await createTable(spec);
      try {
        const read = () => tableRows(client, schema, spec.name);
        const { before, after, superseding } = await runMergeScenario({ log, state, sink, spec, read });
        // The first slice's sessions were in the table while open: a's two, b's one.
        expectOpenSessionsBeforeMerge(before, superseding);
        expect(after).toEqual(expectedSessions(mergeSlices.flat()));
      } finally {
        await close();
      }
    });
  }

  it('a job over random out-of-order events should end with exactly the brute-force sessions in the table', async () => {
    let superseded = 0;
    await fc.assert(
      fc.asyncProperty(eventsArb, fc.constantFrom('start', 'start-end' as const), fc.integer({ min: 2, max: 3 }), async (events, key, slices) => {
        const dir = await mkdtemp(path.join(tmpdir(), 'tributary-sessions-'));
        const { log, state, close } = await setUp(dir);
        const spec = sessionsSpec(uniqueName('random'), key);
        const sink = postgresSink.create(spec, { job: spec.name }, { url: endpoint('TRIBUTARY_POSTGRES_URL'), schema });
        try {
          const run = await runEventsToEnd({ log, state, sink, spec, events, slices, earlyFiringMs: 5 });
          expect(run.counts.windows.late).toBe(0);
          superseded += run.superseded;
          expect(await tableRows(client, schema, spec.name)).toEqual(expectedSessions(events));
        } finally {
          await close();
          await rm(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 6, endOnFailure: true },
    );
    expect(superseded).toBeGreaterThan(0);
  });

  it('a worker running the job from its definition should take the key from the table and delete superseded rows', async () => {
    const dir = await tempDir();
    const { log, state, close } = await setUp(dir);
    const spec: TableSpec = sessionsSpec(uniqueName('worker'), 'start');
    await createTable(spec);
    const { config } = await loadConfig({ cwd: dir, env: { TRIBUTARY_SINKS_BACKEND: 'postgres', TRIBUTARY_POSTGRES_URL: endpoint('TRIBUTARY_POSTGRES_URL'), TRIBUTARY_POSTGRES_SCHEMA: schema } });
    // The definition a pipeline module exports: a table, no sink and no key.
    const job = sessionsDefinition('sessions-worker', spec, { allowedLatenessMs: 1000, maxOutOfOrdernessMs: 0, earlyFiringMs: 10 });
    const controller = new AbortController();
    const running = runJobs([job], { config, log, state, signal: controller.signal });
    try {
      const read = () => tableRows(client, schema, spec.name);
      await sendEvents(log, mergeSlices[0]!);
      await eventually(async () => (await read()).length === 3, 'the first slice\'s three sessions in the table');
      await sendEvents(log, mergeSlices[1]!);
      await sendEnd(log, 2);
      const want = expectedSessions(mergeSlices.flat());
      await eventually(async () => JSON.stringify(await read()) === JSON.stringify(want), 'the final sessions alone in the table').catch(() => undefined);
      expect(await read()).toEqual(want);
    } finally {
      controller.abort();
      await running;
      await close();
    }
  });
});
