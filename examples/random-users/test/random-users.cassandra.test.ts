/**
 * The random-users example on the real engines by configuration alone (tributary.real.yaml: Kafka,
 * Cassandra, Redis, PostgreSQL, MinIO), with a second worker that is SIGKILLed midway: the table in
 * Cassandra ends up with every user of the log once, and the batch copy agrees with it.
 */
import path from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { tempDir } from '../../../test/support/cli.ts';
import { testBucket } from '../../../test/support/s3.ts';
import { startCliProcess } from '../../../test/support/worker-process.ts';
import { emulatedUser, startRandomUserEmulator } from '../emulator.ts';
import { apiUserSchema, formatUser, type User } from '../users.ts';
import { allRecords, countsOf, lakeRows, lastCounts, ok, tableRows } from './example-run.ts';
import { cleanUpRealEngines, realEngineEnv } from './real-engines.ts';

// The modules read their names from the environment when imported, so the instance is set before any import.
const instance = vi.hoisted(() => {
  const name = `ru_${Date.now().toString(36)}_${Math.random().toString(16).slice(2, 10)}`;
  process.env.RANDOM_USERS_INSTANCE = name;
  return name;
});

const EXAMPLE = path.resolve(import.meta.dirname, '..');
const CONFIG = path.join(EXAMPLE, 'tributary.real.yaml');
const PER_POLL = 10;
const SEED = 'e2e-real';
const bucket = await testBucket('random-users');

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('the random-users example on the real engines with two workers', () => {
  it('should lose and duplicate no user when one worker is killed midway', async () => {
    const cwd = await tempDir();
    // The test's own randomuser API, so that it decides where the users end: pages go on until the
    // worker is killed, then five more, then no more users.
    const api = await startRandomUserEmulator();
    onTestFinished(() => api.close());
    const env = {
      ...realEngineEnv(CONFIG, instance, bucket),
      RANDOM_USERS_INSTANCE: instance,
      RANDOMUSER_API_URL: api.apiUrl,
      RANDOM_USERS_DURATION_S: '3600',
      RANDOM_USERS_POLL_MS: '200',
      RANDOM_USERS_PER_POLL: String(PER_POLL),
      RANDOM_USERS_SEED: SEED,
    };
    const topicName = `users_created_${instance}`;
    const table = `created_users_${instance}`;
    cleanUpRealEngines(cwd, env, instance, [topicName, `randomuser-poll-${instance}.dlq`, `random-users-upsert-${instance}.dlq`]);

    const dev = startCliProcess(['dev', '--port', '0', '--status-ms', '500', '--drain', '60', '--log-level', 'warn'], env, cwd);
    await dev.seen(/tributary dev: random-users on the kafka log/, 90_000);
    const worker = startCliProcess(['worker', '--progress-ms', '200', '--log-level', 'warn'], env, cwd);
    await worker.seen(new RegExp(`random-users-upsert-${instance}: in [1-9]\\d*`), 90_000);
    const emitted = () => Number([...dev.output().stdout.matchAll(/randomuser-poll-\S+ \(every 200 ms\): polls \d+, emitted (\d+)/g)].at(-1)?.[1] ?? 0);
    // Midway: the worker has taken records while the poll goes on.
    worker.kill('SIGKILL');
    await worker.exited;
    const emittedAtKill = emitted();
    const last = api.highestPage() + 5;
    api.endAt(last);
    await until('dev to poll the pages after the kill', () => Promise.resolve(api.highestPage() === last));
    expect(emitted()).toBeGreaterThan(emittedAtKill);

    const expected: User[] = [];
    for (let page = 1; page <= last; page++) for (let i = 0; i < PER_POLL; i++) expected.push(formatUser(apiUserSchema.parse(emulatedUser(SEED, page, i))));
    const byId = (a: { id?: unknown }, b: { id?: unknown }) => String(a.id).localeCompare(String(b.id));
    await until('every user in Cassandra', async () => (await tableRows(cwd, env, EXAMPLE, table)).rows.length >= expected.length);
    // The poll sends a page before it saves its cursor (at least once: the sink dedups by id), so a
    // worker killed between the two leaves that one page twice in the log. Nothing else repeats.
    const logged = (await allRecords<User>(cwd, env, topicName)).map((r) => r.value);
    expect([...new Map(logged.map((u) => [u.id, u])).values()].sort(byId)).toEqual([...expected].sort(byId));
    expect([0, PER_POLL]).toContain(logged.length - expected.length);
    const archived = () => Number([...dev.output().stdout.matchAll(/archiver archiver: records ([\d,]+)/g)].at(-1)?.[1]?.replaceAll(',', '') ?? 0);
    await until('the archiver to copy every record', () => Promise.resolve(archived() >= logged.length), 60_000).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}: ${archived()} of ${logged.length}`);
    });
    dev.kill('SIGTERM');
    expect(await dev.exited).toBe(0);

    const parts = lastCounts(dev.output().stdout);
    const poll = countsOf(parts, `source random-users/randomuser-poll-${instance}`);
    // The worker runs graphs too, so it polled some pages; their counts died with it.
    expect(poll.emitted).toBeGreaterThan(0);
    expect(poll.emitted).toBeLessThanOrEqual(logged.length);
    expect(poll.failedPolls).toBe(0);
    const job = countsOf(parts, `stream-job random-users/random-users-upsert-${instance}`);
    expect(job.in).toBe(job.out! + job.filtered! + job.deadLettered!);
    expect(countsOf(parts, 'archiver archiver').records, dev.output().stdout.slice(-3000) + dev.output().stderr.slice(-3000)).toBe(logged.length);

    // The table holds each user once.
    const rows = (await tableRows(cwd, env, EXAMPLE, table)).rows;
    expect([...rows].sort(byId)).toEqual([...expected].sort(byId));

    // The batch copy from the raw zone on MinIO agrees with the table.
    await ok(['batch', 'run', `random-users-copy-${instance}`, '--pipeline', EXAMPLE], cwd, env);
    const processed = await lakeRows(cwd, env, 'processed', table);
    expect([...processed].sort(byId)).toEqual([...expected].sort(byId));
  }, 240_000);
});
