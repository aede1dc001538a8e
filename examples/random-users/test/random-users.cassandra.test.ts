/**
 * The random-users example on the real engines by configuration alone (tributary.real.yaml: Kafka,
 * Cassandra, Redis, PostgreSQL, MinIO), with a second worker that is SIGKILLed midway: the table in
 * Cassandra ends up with every user of the log once, and the batch copy agrees with it.
 */
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../../test/support/cli.ts';
import { testBucket } from '../../../test/support/s3.ts';
import { startCliProcess } from '../../../test/support/worker-process.ts';
import { emulatedUser } from '../emulator.ts';
import { apiUserSchema, formatUser, type User } from '../users.ts';
import { allRecords, countsOf, freePort, lakeRows, lastCounts, ok, tableRows } from './example-run.ts';
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
    const env = {
      ...realEngineEnv(CONFIG, instance, bucket),
      RANDOM_USERS_INSTANCE: instance,
      RANDOM_USERS_EMULATOR_PORT: String(await freePort()),
      RANDOM_USERS_DURATION_S: '10',
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
    const pollCounts = () => {
      const last = [...dev.output().stdout.matchAll(/randomuser-poll-\S+ \(every 200 ms\): polls (\d+), emitted (\d+)/g)].at(-1);
      return { polls: Number(last?.[1] ?? 0), emitted: Number(last?.[2] ?? 0) };
    };
    const emitted = () => pollCounts().emitted;
    // Midway: the worker has taken records while the poll goes on (checked below: more came after).
    worker.kill('SIGKILL');
    await worker.exited;
    const emittedAtKill = emitted();

    // The poll stops after its 10 s: every poll after that emits nothing. Wait until two polls have
    // gone by without a user (however slowly the machine runs them), then until the table holds every user.
    let settled: { polls: number; emitted: number } | undefined;
    await until('the bounded poll to finish', () => {
      const now = pollCounts();
      if (!settled || now.emitted !== settled.emitted) settled = now;
      return Promise.resolve(now.emitted > 0 && now.polls >= settled.polls + 2);
    }, 120_000);
    expect(emitted()).toBeGreaterThan(emittedAtKill);
    const pages = emitted() / PER_POLL;
    const expected: User[] = [];
    for (let page = 1; page <= pages; page++) for (let i = 0; i < PER_POLL; i++) expected.push(formatUser(apiUserSchema.parse(emulatedUser(SEED, page, i))));
    await until('every user in Cassandra', async () => (await tableRows(cwd, env, EXAMPLE, table)).rows.length >= expected.length);
    const archived = () => Number([...dev.output().stdout.matchAll(/archiver archiver: records ([\d,]+)/g)].at(-1)?.[1]?.replaceAll(',', '') ?? 0);
    await until('the archiver to copy every record', () => Promise.resolve(archived() >= expected.length), 60_000).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}: ${archived()} of ${expected.length}`);
    });
    dev.kill('SIGTERM');
    expect(await dev.exited).toBe(0);

    const parts = lastCounts(dev.output().stdout);
    const poll = countsOf(parts, `source random-users/randomuser-poll-${instance}`);
    expect(poll.emitted).toBe(expected.length);
    expect(poll.failedPolls).toBe(0);
    const job = countsOf(parts, `stream-job random-users/random-users-upsert-${instance}`);
    expect(job.in).toBe(job.out! + job.filtered! + job.deadLettered!);
    expect(countsOf(parts, 'archiver archiver').records, dev.output().stdout.slice(-3000) + dev.output().stderr.slice(-3000)).toBe(expected.length);

    const byId = (a: { id?: unknown }, b: { id?: unknown }) => String(a.id).localeCompare(String(b.id));
    // The log holds each page once (the page cursor is in Redis), the table each user once.
    const records = await allRecords<User>(cwd, env, topicName);
    expect(records.map((r) => r.value).sort(byId)).toEqual([...expected].sort(byId));
    const rows = (await tableRows(cwd, env, EXAMPLE, table)).rows;
    expect([...rows].sort(byId)).toEqual([...expected].sort(byId));

    // The batch copy from the raw zone on MinIO agrees with the table.
    await ok(['batch', 'run', `random-users-copy-${instance}`, '--pipeline', EXAMPLE], cwd, env);
    const processed = await lakeRows(cwd, env, 'processed', table);
    expect([...processed].sort(byId)).toEqual([...expected].sort(byId));
  }, 240_000);
});
