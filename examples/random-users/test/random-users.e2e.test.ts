/**
 * The random-users example end to end on embedded defaults: `tributary dev` polls the emulator for
 * a bounded period and stops; then the log, the stream job's table and the batch job's lake table
 * are each checked against the users the emulator serves, computed here from its pages.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/cli.ts';
import { startCliProcess } from '../../../test/support/worker-process.ts';
import { emulatedUser } from '../emulator.ts';
import { apiUserSchema, formatUser, USERS_TOPIC, type User } from '../users.ts';
import { freePort } from '../../../test/support/free-port.ts';
import { allRecords, countsOf, lakeRows, lastCounts, ok, tableRows } from './example-run.ts';

const EXAMPLE = path.resolve(import.meta.dirname, '..');
const PER_POLL = 10;
const SEED = 'e2e-embedded';

const byId = (a: { id?: unknown }, b: { id?: unknown }) => String(a.id).localeCompare(String(b.id));

describe('the random-users example on embedded defaults', () => {
  it('should poll for its bounded period and hold every user once in the log, the table and the processed table', async () => {
    const cwd = await tempDir();
    const env = {
      RANDOM_USERS_EMULATOR_PORT: String(await freePort()),
      RANDOM_USERS_DURATION_S: '3',
      RANDOM_USERS_POLL_MS: '200',
      RANDOM_USERS_PER_POLL: String(PER_POLL),
      RANDOM_USERS_SEED: SEED,
    };
    const dev = startCliProcess(['dev', EXAMPLE, '--port', '0', '--status-ms', '1000', '--duration', '7', '--drain', '30', '--log-level', 'warn'], env, cwd);
    expect(await dev.exited).toBe(0);
    const parts = lastCounts(dev.output().stdout);
    const poll = countsOf(parts, 'source random-users/randomuser-poll');
    const job = countsOf(parts, 'stream-job random-users/random-users-upsert');
    const archiver = countsOf(parts, 'archiver archiver');

    // The poll ran for its period and then stopped asking: more polls than pages fetched.
    expect(poll.emitted).toBeGreaterThan(0);
    expect(poll.emitted! % PER_POLL).toBe(0);
    expect(poll.rejected).toBe(0);
    expect(poll.failedPolls).toBe(0);
    const pages = poll.emitted! / PER_POLL;
    expect(poll.polls).toBeGreaterThan(pages);

    // The log holds exactly the users of pages 1..pages, each once, formatted.
    const expected: User[] = [];
    for (let page = 1; page <= pages; page++) for (let i = 0; i < PER_POLL; i++) expected.push(formatUser(apiUserSchema.parse(emulatedUser(SEED, page, i))));
    const records = await allRecords<User>(cwd, env, USERS_TOPIC);
    expect(records).toHaveLength(poll.emitted!);
    for (const r of records) expect(r.key).toBe(r.value.id);
    expect(records.map((r) => r.value).sort(byId)).toEqual([...expected].sort(byId));

    // Each stage's counts: the job read every record, the archiver copied every one.
    expect(job.in).toBe(records.length);
    expect(job.in).toBe(job.out! + job.filtered! + job.deadLettered!);
    expect(job.deadLettered).toBe(0);
    expect(archiver.records).toBe(records.length);

    // Speed half: the table holds one row per user, equal to the user in the log.
    const table = await tableRows(cwd, env, EXAMPLE, 'created_users');
    expect(table.rows.length).toBe(new Set(expected.map((u) => u.id)).size);
    expect([...table.rows].sort(byId)).toEqual([...expected].sort(byId));

    // Batch half: the raw zone copied into processed/created_users gives the same rows.
    const run = await ok(['batch', 'run', 'random-users-copy', '--pipeline', EXAMPLE], cwd, env);
    expect(run).toMatch(new RegExp(`rows: ${records.length} in, ${records.length} out, 0 quarantined, 0 filtered`));
    const processed = await lakeRows(cwd, env, 'processed', 'created_users', 'SELECT * FROM t ORDER BY id');
    expect([...processed].sort(byId)).toEqual([...table.rows].sort(byId));
  }, 90_000);
});
