import { readFile } from 'node:fs/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { z } from 'zod';
import { startRandomuserServer, RANDOMUSER_111, RANDOMUSER_SINGLE, type RandomuserServer } from '../../../src/sources/emulators/randomuser-server.ts';
import { httpPollConfigSchema } from '../../../src/sources/http-poll/http-poll-config.ts';
import { httpPollSource, readHttpPollProgress } from '../../../src/sources/http-poll/http-poll.ts';
import { randomUserMapping, type RandomUser } from '../../../src/sources/http-poll/randomuser.ts';
import { runSource } from '../../../src/sources/run-source.ts';
import type { Source } from '../../../src/sources/source.ts';
import { rejection } from '../../support/errors.ts';
import { header, sourceFixture, values, type SourceFixture } from '../http/source-fixture.ts';

interface Sample {
  results: RandomUser[];
}
const sample111 = JSON.parse(await readFile(RANDOMUSER_111, 'utf8')) as Sample;
const sampleSingle = JSON.parse(await readFile(RANDOMUSER_SINGLE, 'utf8')) as Sample;

async function server(): Promise<RandomuserServer> {
  const emulator = await startRandomuserServer();
  onTestFinished(() => emulator.close());
  return emulator;
}

function source(fixture: SourceFixture, config: Record<string, unknown>): Source {
  const parsed = httpPollConfigSchema.parse({
    name: 'users',
    topic: 'users.raw',
    ...randomUserMapping,
    rateLimit: { requestsPerSecond: 1000, burst: 1000 },
    retry: { baseDelayMs: 10, maxDelayMs: 50 },
    ...config,
  });
  const created = httpPollSource.create(parsed, fixture.ctx);
  onTestFinished(() => created.close());
  return created;
}

describe('http-poll source', () => {
  it('should map the real 111-user response to one record per user, keyed by login.uuid', async () => {
    const api = await server();
    const fixture = await sourceFixture();
    const result = await source(fixture, { url: api.apiUrl, query: { results: '111', seed: 'b92435b8050047da' } }).poll(AbortSignal.timeout(10_000));
    expect(result).toEqual({ emitted: 111, skipped: 0, rejected: 0, done: false });
    const records = await fixture.readTopic('users.raw');
    expect(records.map((r) => r.key!.toString())).toEqual(sample111.results.map((u) => u.login.uuid));
    // Values go through unchanged, quirks included (postcode as a number or a string, id.value null).
    expect(values<RandomUser>(records)).toEqual(sample111.results);
    expect(await fixture.readTopic('users.dlq')).toEqual([]);
  });

  it('should poll the single-user response N times through the runner and count the polls', async () => {
    const api = await server();
    const fixture = await sourceFixture();
    const totals = await runSource(source(fixture, { url: api.apiUrl }), { intervalMs: 10, times: 3 });
    expect(totals).toMatchObject({ polls: 3, failedPolls: 0, emitted: 3, rejected: 0 });
    const keys = (await fixture.readTopic('users.raw')).map((r) => r.key!.toString());
    expect(keys).toEqual(Array(3).fill(sampleSingle.results[0]!.login.uuid));
    const progress = await readHttpPollProgress(fixture.ctx, 'users');
    expect(progress.polls).toBe(3);
    expect(Date.now() - Date.parse(progress.lastSuccessAt!)).toBeLessThan(10_000);
  });

  it('should send users that fail the topic schema to users.dlq with the reason', async () => {
    const api = await server();
    const fixture = await sourceFixture();
    const broken = structuredClone(sample111.results.slice(0, 5)) as unknown as Record<string, Record<string, unknown>>[];
    broken[1]!.email = 'not-an-email' as never;
    delete broken[3]!.login!.uuid;
    api.inject({ kind: 'body', body: JSON.stringify({ results: broken, info: {} }) });
    const result = await source(fixture, { url: api.apiUrl }).poll(AbortSignal.timeout(10_000));
    expect(result).toMatchObject({ emitted: 3, rejected: 2 });
    const dlq = await fixture.readTopic('users.dlq');
    expect(dlq).toHaveLength(2);
    expect(header(dlq[0]!, 'tributary.error')).toMatch(/users\.raw.*email: got "not-an-email"/);
    expect(header(dlq[0]!, 'tributary.error.code')).toBe('SCHEMA_VALIDATION');
    expect(header(dlq[0]!, 'tributary.source')).toBe(api.apiUrl);
    expect(dlq[0]!.key!.toString()).toBe(sample111.results[1]!.login.uuid);
    expect(header(dlq[1]!, 'tributary.error')).toContain('key "login.uuid" is missing');
    expect(JSON.parse(dlq[1]!.value!.toString())).toEqual(broken[3]);
  });

  it('should fail on malformed JSON naming the URL and the position, leaving progress unchanged', async () => {
    const api = await server();
    const fixture = await sourceFixture();
    const body = (await readFile(RANDOMUSER_SINGLE, 'utf8')).slice(0, 500);
    api.inject({ kind: 'body', body });
    const error = await rejection(source(fixture, { url: api.apiUrl }).poll(AbortSignal.timeout(10_000)), 'SOURCE_INVALID_RESPONSE');
    expect(error.message).toContain(`response from ${api.apiUrl} is not valid JSON at position`);
    expect(error.message).toMatch(/line \d+, column \d+/);
    expect((await readHttpPollProgress(fixture.ctx, 'users')).polls).toBe(0);
    expect(await fixture.readTopic('users.raw')).toEqual([]);
  });

  it('should ride out 500s, a timeout and a 429 with Retry-After within one poll', async () => {
    const api = await server();
    const fixture = await sourceFixture();
    api.inject({ kind: 'status', status: 500 });
    api.inject({ kind: 'delay', ms: 1000 });
    api.inject({ kind: 'status', status: 429, retryAfter: '1' });
    const result = await source(fixture, { url: api.apiUrl, timeoutMs: 300 }).poll(AbortSignal.timeout(20_000));
    expect(result.emitted).toBe(1);
    expect(api.requests.map((r) => r.fault ?? 'ok')).toEqual(['status', 'delay', 'status', 'ok']);
    // The wait asked for by Retry-After, measured at the server.
    expect(api.requests[3]!.at - api.requests[2]!.at).toBeGreaterThanOrEqual(990);
  });

  it('should keep the page cursor in the state store and resume after a restart without duplicates', async () => {
    const api = await server();
    const fixture = await sourceFixture();
    const config = { url: api.apiUrl, query: { results: '10', seed: 'abc' }, paging: { param: 'page', first: 1 } };
    let totals = await runSource(source(fixture, config), { intervalMs: 1, times: 3 });
    expect(totals.emitted).toBe(30);

    // A new process: the state store is closed and opened again from its file.
    await fixture.reopenState();
    expect((await readHttpPollProgress(fixture.ctx, 'users')).cursor).toBe(4);
    totals = await runSource(source(fixture, config), { intervalMs: 1, times: 20, untilDone: true });
    // Pages 4..12 hold users 31..111 (page 12 has one); page 13 is empty, which ends the run.
    expect(totals).toMatchObject({ polls: 10, emitted: 81 });
    const keys = (await fixture.readTopic('users.raw')).map((r) => r.key!.toString());
    expect(keys).toEqual(sample111.results.map((u) => u.login.uuid));
    expect(new Set(keys).size).toBe(111);
    expect(api.requests.map((r) => new URL(r.url, api.url).searchParams.get('page'))).toEqual(['1', '2', '3', ...Array.from({ length: 10 }, (_, i) => String(i + 4))]);
    // Caught up: the cursor stays on the empty page, to be asked again.
    expect((await readHttpPollProgress(fixture.ctx, 'users')).cursor).toBe(13);
  });

  it('should accept a mapping function instead of paths', async () => {
    const api = await server();
    const fixture = await sourceFixture();
    const map = (body: unknown) => (body as Sample).results.map((user) => ({ key: user.login.uuid, value: { uuid: user.login.uuid, country: user.location.country } }));
    const schema = z.strictObject({ uuid: z.uuid(), country: z.string() });
    const result = await source(fixture, { url: api.apiUrl, query: { results: '5' }, records: '', key: undefined, map, schema }).poll(AbortSignal.timeout(10_000));
    expect(result.emitted).toBe(5);
    expect(values(await fixture.readTopic('users.raw'))).toEqual(sample111.results.slice(0, 5).map((u) => ({ uuid: u.login.uuid, country: u.location.country })));
  });

  it('should say which path is not an array when the body has another shape', async () => {
    const api = await server();
    const fixture = await sourceFixture();
    api.inject({ kind: 'body', body: '{"error":"Uh oh, something has gone wrong."}' });
    const error = await rejection(source(fixture, { url: api.apiUrl }).poll(AbortSignal.timeout(10_000)), 'SOURCE_INVALID_RESPONSE');
    expect(error.message).toBe(`response from ${api.apiUrl}: "results" is not an array (got undefined)`);
  });

  it('should reject a config without a URL, naming the field', () => {
    const result = httpPollConfigSchema.safeParse({ name: 'x', topic: 't' });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((issue) => issue.path.join('.'))).toContain('url');
  });
});
