/**
 * The example end to end on embedded defaults, as `npx tributary dev examples/pinterest-analytics`
 * runs it: a bounded posting, one bad record produced beside it, then the counts, the joined table,
 * the batch tables and the curated analytics checked against brute-force answers over the log.
 */
import { describe, expect, it } from 'vitest';
import type { QueryResult } from '../../../src/serve/query/view.ts';
import { cli, tempDir } from '../../../test/support/cli.ts';
import { startCliProcess } from '../../../test/support/worker-process.ts';
import { CLEANED, GEO, NAMESPACE, PINS, USERS, type Cleaned } from '../shapes.ts';
import { JOIN_GAP_MS, JOIN_JOB, JOIN_OUT_OF_ORDERNESS_MS } from '../stream.ts';
import { ageGroup, joinAll, medianFollowers, popularCategory, topUserByCountry, usersJoinedPerYear, type RawRecords } from './reference.ts';
import { EXAMPLE, lakeTable, parts, readTopic, runBatch, statusCounts, topicRecords, until } from './support.ts';

const EVENTS = 600;
const CLEAN = { pins: `${NAMESPACE}-clean-pins`, geo: `${NAMESPACE}-clean-geo`, users: `${NAMESPACE}-clean-users` };

describe('pinterest-analytics on embedded defaults', () => {
  it('should clean, join and analyse every pin, with counts that reconcile and results equal to a brute-force computation', async () => {
    const cwd = await tempDir();
    const env = { PINTEREST_ANALYTICS_RATE: '100', PINTEREST_ANALYTICS_EVENTS: String(EVENTS) };
    const dev = startCliProcess(['dev', EXAMPLE, '--port', '0', '--status-ms', '0', '--drain', '60', '--log-level', 'warn'], env, cwd);
    await dev.seen(/tributary dev: pinterest-analytics on the embedded log/, 60_000);
    const produced = await cli(['produce', PINS], { cwd, stdin: '{"not":"a pin"}\n' });
    expect(produced.code).toBe(0);

    await until('every record through the cleaning jobs and into the join', async () => {
      const counts = new Map((await parts(cwd))?.map((p) => [p.name, p.counts]));
      const done = counts.get(CLEAN.pins)?.in === EVENTS + 1 && counts.get(CLEAN.geo)?.in === EVENTS && counts.get(CLEAN.users)?.in === EVENTS && counts.get(JOIN_JOB)?.in === 3 * EVENTS;
      return done ? true : undefined;
    });

    // What the join must hold once the stream is quiet: the watermark reaches the newest event time
    // less the out-of-orderness, and a pin's session closes GAP after its last record.
    const cleaned = await readTopic<Cleaned>(cwd, CLEANED);
    expect(cleaned).toHaveLength(3 * EVENTS);
    const newest = Math.max(...cleaned.map((r) => r.value.time));
    const lastOf = new Map<number, number>();
    for (const { value } of cleaned) lastOf.set(value.ind, Math.max(lastOf.get(value.ind) ?? 0, value.time));
    const closed = [...lastOf].filter(([, last]) => last + JOIN_GAP_MS <= newest - JOIN_OUT_OF_ORDERNESS_MS).map(([ind]) => ind).sort((a, b) => a - b);
    expect(closed.length).toBeGreaterThan(EVENTS / 4);

    const raw: RawRecords = {
      pins: (await readTopic(cwd, PINS)).map((r) => r.value),
      geo: (await readTopic(cwd, GEO)).map((r) => r.value),
      users: (await readTopic(cwd, USERS)).map((r) => r.value),
    };
    const reference = joinAll(raw);
    expect(reference.size).toBe(EVENTS);

    const table = await until('the join to close every session the watermark passed', async () => {
      const result = await cli(['query', 'pinterest_enriched', '--param', 'limit=10000', '--json'], { cwd });
      if (result.code !== 0) return undefined;
      const rows = (JSON.parse(result.stdout) as QueryResult).rows;
      return rows.length === closed.length ? rows : undefined;
    });
    expect(table.map((r) => Number(r.ind)).sort((a, b) => a - b)).toEqual(closed);
    for (const row of table) {
      const expected = reference.get(Number(row.ind))!;
      expect(row).toMatchObject({
        unique_id: expected.pin.unique_id,
        category: expected.pin.category,
        follower_count: expected.pin.follower_count,
        country: expected.geo.country,
        user_name: expected.user.user_name,
        age: expected.user.age,
        matched: true,
      });
    }

    dev.kill('SIGTERM');
    expect(await dev.exited).toBe(0);
    const stdout = dev.output().stdout;

    // Every stage's counts, each counted where it happened, reconcile.
    const accepted = statusCounts(stdout, 'ingest').accepted!;
    const inTopics = { pins: await topicRecords(cwd, PINS), geo: await topicRecords(cwd, GEO), users: await topicRecords(cwd, USERS) };
    expect(inTopics.pins + inTopics.geo + inTopics.users).toBe(accepted + 1);
    expect(accepted).toBe(3 * EVENTS);
    let cleanedOut = 0;
    for (const side of ['pins', 'geo', 'users'] as const) {
      const job = statusCounts(stdout, CLEAN[side]);
      expect(job.in).toBe(inTopics[side]);
      expect(job.out! + job.filtered! + job.deadLettered!).toBe(job.in);
      expect(job.deadLettered).toBe(side === 'pins' ? 1 : 0);
      cleanedOut += job.out!;
    }
    expect(await topicRecords(cwd, CLEANED)).toBe(cleanedOut);
    const join = statusCounts(stdout, JOIN_JOB);
    expect(join.in).toBe(cleanedOut);
    expect(join.late).toBe(0);
    expect(statusCounts(stdout, 'archiver').records).toBe(accepted + 1);

    // The batch half: the processed tables hold each topic's records cleaned, one row per ind.
    const cleanRuns = { pins: await runBatch(cwd, 'pinterest-analytics-pins'), geo: await runBatch(cwd, 'pinterest-analytics-geo'), users: await runBatch(cwd, 'pinterest-analytics-users') };
    for (const side of ['pins', 'geo', 'users'] as const) {
      const run = cleanRuns[side];
      expect(run.in).toBe(inTopics[side]);
      expect(run.out + run.quarantined + run.filtered).toBe(run.in);
      expect(run.filtered).toBe(side === 'pins' ? 1 : 0);
    }
    const processed = {
      pins: await lakeTable(cwd, 'processed.pinterest_analytics_pins'),
      geo: await lakeTable(cwd, 'processed.pinterest_analytics_geo'),
      users: await lakeTable(cwd, 'processed.pinterest_analytics_users'),
    };
    for (const rows of Object.values(processed)) expect(new Set(rows.map((r) => Number(r.ind))).size).toBe(EVENTS);

    // Where the layers overlap (the pins the stream joined), they agree.
    const byInd = (rows: Record<string, unknown>[]) => new Map(rows.map((r) => [Number(r.ind), r]));
    const [pins, geo, users] = [byInd(processed.pins), byInd(processed.geo), byInd(processed.users)];
    for (const row of table) {
      const ind = Number(row.ind);
      expect({ category: pins.get(ind)?.category, follower_count: pins.get(ind)?.follower_count, country: geo.get(ind)?.country, user_name: users.get(ind)?.user_name, age: users.get(ind)?.age }).toEqual({
        category: row.category,
        follower_count: row.follower_count === null ? null : Number(row.follower_count),
        country: row.country,
        user_name: row.user_name,
        age: row.age,
      });
    }

    // The curated analytics equal the brute-force answers over every pin in the log.
    for (const job of ['popular-category-by-country', 'popular-category-by-year', 'top-user-by-country', 'median-followers-by-age-group', 'median-followers-by-join-year', 'users-joined-per-year']) {
      const run = await runBatch(cwd, job);
      expect(run.out + run.quarantined + run.filtered).toBe(run.in);
      expect(run.quarantined).toBe(0);
    }
    const all = [...reference.values()];
    const asMap = <V>(rows: Record<string, unknown>[], key: string, value: (r: Record<string, unknown>) => V) => new Map(rows.map((r) => [String(r[key]), value(r)]));
    expect(asMap(await lakeTable(cwd, 'curated.popular_category_by_country'), 'country', (r) => ({ category: r.category, count: Number(r.category_count) }))).toEqual(popularCategory(all, (j) => j.geo.country));
    expect(asMap(await lakeTable(cwd, 'curated.popular_category_by_year'), 'post_year', (r) => ({ category: r.category, count: Number(r.category_count) }))).toEqual(popularCategory(all, (j) => j.geo.posted_at.slice(0, 4)));
    expect(asMap(await lakeTable(cwd, 'curated.top_user_by_country'), 'country', (r) => ({ user_name: r.user_name, follower_count: Number(r.follower_count) }))).toEqual(topUserByCountry(all));
    expect(asMap(await lakeTable(cwd, 'curated.median_followers_by_age_group'), 'age_group', (r) => Number(r.median_follower_count))).toEqual(medianFollowers(all, (j) => ageGroup(j.user.age)));
    expect(asMap(await lakeTable(cwd, 'curated.median_followers_by_join_year'), 'join_year', (r) => Number(r.median_follower_count))).toEqual(medianFollowers(all, (j) => j.user.date_joined.slice(0, 4)));
    expect(asMap(await lakeTable(cwd, 'curated.users_joined_per_year'), 'join_year', (r) => Number(r.number_users_joined))).toEqual(usersJoinedPerYear(raw));
  }, 180_000);
});
