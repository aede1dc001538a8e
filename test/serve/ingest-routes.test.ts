import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configSchema } from '../../src/config/schema.ts';
import pinterest from '../../examples/pinterest/pipeline.ts';
import { GEO_TOPIC, PIN_TOPIC, USER_TOPIC } from '../../examples/pinterest/pins.ts';
import { ingestTopics } from '../../src/runtime/pipeline-server.ts';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';
import type { Log, LogRecord } from '../../src/log/log.ts';
import { createLogger } from '../../src/logger.ts';
import { ingestRoutes } from '../../src/serve/ingest/ingest-routes.ts';
import type { TopicRegistry } from '../../src/serve/ingest/topics.ts';
import { createServer, listen, serverPlugin, type ServerSettings } from '../../src/serve/server.ts';
import { tempDir } from '../support/cli.ts';
import type { FastifyInstance } from 'fastify';

const topics: TopicRegistry = {
  clicks: { schema: z.object({ id: z.string().min(1), user: z.number().int(), page: z.string().optional() }), keyField: 'id', description: 'clicks' },
  ...ingestTopics([pinterest]),
};

const open: { log?: Log; app?: FastifyInstance }[] = [];
afterEach(async () => {
  for (const { app, log } of open.splice(0)) {
    await app?.close();
    await log?.close();
  }
});

async function setup(server: Partial<ServerSettings> = {}, beforeReady?: (app: FastifyInstance) => void): Promise<{ app: FastifyInstance; log: Log }> {
  const dir = await tempDir();
  const log = await openEmbeddedLog({ dir, fsync: { mode: 'interval', ms: 5 }, defaultPartitions: 3 });
  const settings = { ...configSchema.parse({}).server, ...server };
  const logger = await createLogger({ level: 'silent' });
  const plugin = serverPlugin(ingestRoutes, { log, topics, apiKeyRequired: settings.apiKey !== undefined, maxRecordsPerRequest: settings.maxRecordsPerRequest });
  // A route added straight to the instance it is given (as `/metrics` is in the pipeline server) must be behind the key too.
  const bare = (instance: FastifyInstance) => void instance.get('/bare', () => ({ bare: true }));
  const app = createServer({ server: settings, logger, plugins: [plugin, bare] });
  open.push({ app, log });
  beforeReady?.(app);
  await app.ready();
  return { app, log };
}

/** Every record of a topic, read back by a fresh consumer group. */
async function readAll(log: Log, topic: string, expected: number): Promise<LogRecord[]> {
  const consumer = log.consumer({ group: `read-${Math.random()}`, topics: [topic] });
  const records: LogRecord[] = [];
  try {
    const deadline = Date.now() + 20_000;
    while (records.length < expected && Date.now() < deadline) records.push(...(await consumer.poll(100)));
  } finally {
    await consumer.close();
  }
  return records;
}

const ndjson = (values: unknown[]) => values.map((v) => JSON.stringify(v)).join('\n') + '\n';

describe('POST /ingest/<topic>', () => {
  it('should accept one JSON record with 202 and the offset a consumer reads it back at', async () => {
    const { app, log } = await setup();
    const response = await app.inject({ method: 'POST', url: '/ingest/clicks', payload: { id: 'a', user: 1 } });
    expect(response.statusCode).toBe(202);
    const body = response.json<{ accepted: number; offsets: { partition: number; offset: number }[] }>();
    expect(body.accepted).toBe(1);
    const [record] = await readAll(log, 'clicks', 1);
    expect({ partition: record!.partition, offset: record!.offset }).toEqual(body.offsets[0]);
    expect(JSON.parse(record!.value!.toString())).toEqual({ id: 'a', user: 1 });
    expect(record!.key?.toString()).toBe('a');
  });

  it('should accept an NDJSON batch, and each returned offset should hold the record sent at that index', async () => {
    const { app, log } = await setup();
    const values = Array.from({ length: 50 }, (_, i) => ({ id: `id-${i}`, user: i, page: `/p/${i % 7}` }));
    const response = await app.inject({ method: 'POST', url: '/ingest/clicks', headers: { 'content-type': 'application/x-ndjson' }, payload: ndjson(values) });
    expect(response.statusCode).toBe(202);
    const body = response.json<{ accepted: number; offsets: { partition: number; offset: number }[] }>();
    expect(body.accepted).toBe(50);
    const records = await readAll(log, 'clicks', 50);
    expect(records).toHaveLength(50);
    const at = new Map(records.map((r) => [`${r.partition}/${r.offset}`, JSON.parse(r.value!.toString()) as unknown]));
    body.offsets.forEach((o, i) => expect(at.get(`${o.partition}/${o.offset}`)).toEqual(values[i]));
    // The key field spreads the batch over the topic's partitions.
    expect(new Set(body.offsets.map((o) => o.partition)).size).toBeGreaterThan(1);
  });

  it('should accept the 200 real pins as they are, keyed by unique_id', async () => {
    const { app, log } = await setup();
    const text = await readFile(new URL('../../../shared/data/pinterest/pinterest_data.jsonl', import.meta.url), 'utf8');
    const response = await app.inject({ method: 'POST', url: `/ingest/${PIN_TOPIC}`, headers: { 'content-type': 'application/x-ndjson' }, payload: text });
    expect(response.statusCode).toBe(202);
    expect(response.json<{ accepted: number }>().accepted).toBe(200);
    const records = await readAll(log, PIN_TOPIC, 200);
    const first = JSON.parse(text.split('\n')[0]!) as { unique_id: string };
    expect(records.find((r) => r.key?.toString() === first.unique_id)).toBeDefined();
  });

  it('should accept the geolocation and user examples of the original pipeline, keyed by the pin index', async () => {
    const { app, log } = await setup();
    for (const [topic, file, n] of [[GEO_TOPIC, 'aicore_geolocation_examples.jsonl', 6], [USER_TOPIC, 'aicore_user_examples.jsonl', 3]] as const) {
      const text = await readFile(new URL(`../../../shared/data/pinterest/${file}`, import.meta.url), 'utf8');
      const response = await app.inject({ method: 'POST', url: `/ingest/${topic}`, headers: { 'content-type': 'application/x-ndjson' }, payload: text });
      expect(response.statusCode, topic).toBe(202);
      expect(response.json<{ accepted: number }>().accepted).toBe(n);
      const records = await readAll(log, topic, n);
      expect(records.map((r) => r.key?.toString()).sort()).toEqual(text.trim().split('\n').map((line) => String((JSON.parse(line) as { ind: number }).ind)).sort());
    }
    const bad = await app.inject({ method: 'POST', url: `/ingest/${GEO_TOPIC}`, payload: { ind: 1, timestamp: '2020-08-28T03:52:47', latitude: -91, longitude: 0, country: 'X' } });
    expect(bad.json<{ errors: { path: string }[] }>().errors.map((e) => e.path)).toEqual(['timestamp', 'latitude']);
  });

  it('should answer 400 naming record index, line and field, and write nothing of the batch', async () => {
    const { app, log } = await setup();
    const payload = [JSON.stringify({ id: 'ok', user: 1 }), '', JSON.stringify({ id: 'bad', user: 'x' }), '{not json', JSON.stringify({ user: 2 })].join('\n');
    const response = await app.inject({ method: 'POST', url: '/ingest/clicks', headers: { 'content-type': 'application/x-ndjson' }, payload });
    expect(response.statusCode).toBe(400);
    const body = response.json<{ code: string; message: string; errors: { index: number; line?: number; path: string; message: string }[] }>();
    expect(body.code).toBe('SCHEMA_VALIDATION');
    expect(body.message).toMatch(/3 records .* nothing was written/);
    expect(body.errors).toEqual([
      expect.objectContaining({ index: 1, line: 3, path: 'user' }),
      expect.objectContaining({ index: 2, line: 4, path: '(record)', message: expect.stringMatching(/not valid JSON/) as unknown }),
      expect.objectContaining({ index: 3, line: 5, path: 'id' }),
    ]);
    expect(await topicRecords(log, 'clicks')).toBe(0);
  });

  it('should answer 400 for an empty body and for a JSON record of the wrong shape', async () => {
    const { app } = await setup();
    const empty = await app.inject({ method: 'POST', url: '/ingest/clicks', headers: { 'content-type': 'application/x-ndjson' }, payload: '\n\n' });
    expect(empty.statusCode).toBe(400);
    expect(empty.json<{ errors: { message: string }[] }>().errors[0]!.message).toMatch(/no records/);
    const wrong = await app.inject({ method: 'POST', url: '/ingest/clicks', payload: { id: 7, user: 1 } });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json<{ errors: { index: number; path: string }[] }>().errors).toEqual([expect.objectContaining({ index: 0, path: 'id' })]);
  });

  it('should list the first 100 problems and count the rest when a batch has more', async () => {
    const { app, log } = await setup();
    const response = await app.inject({ method: 'POST', url: '/ingest/clicks', headers: { 'content-type': 'application/x-ndjson' }, payload: '{}\n'.repeat(150) });
    expect(response.statusCode).toBe(400);
    const body = response.json<{ message: string; errors: { index: number; path: string }[]; errorsOmitted: number }>();
    // Each {} lacks both id and user: 300 problems.
    expect(body.errors).toHaveLength(100);
    expect(body.errors.at(-1)).toMatchObject({ index: 49, line: 50, path: 'user' });
    expect(body.errorsOmitted).toBe(200);
    expect(body.message).toBe('150 records of this request do not fit the schema of topic clicks; nothing was written; the first 100 problems are listed, 200 more are not');
    expect(await topicRecords(log, 'clicks')).toBe(0);
  });

  it('should answer 413 TOO_MANY_RECORDS past server.maxRecordsPerRequest, and write nothing', async () => {
    const { app, log } = await setup({ maxRecordsPerRequest: 5 });
    const values = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `id-${i}`, user: i }));
    const over = await app.inject({ method: 'POST', url: '/ingest/clicks', headers: { 'content-type': 'application/x-ndjson' }, payload: ndjson(values(6)) + '\n\n' });
    expect(over.statusCode).toBe(413);
    expect(over.json<{ code: string; message: string }>()).toMatchObject({
      code: 'TOO_MANY_RECORDS',
      message: 'this request holds more than 5 records, the most one request may hold (server.maxRecordsPerRequest); send them in smaller batches; nothing was written',
    });
    expect(await topicRecords(log, 'clicks')).toBe(0);
    // Blank lines are not records: five records and some blank lines are within the limit.
    const within = await app.inject({ method: 'POST', url: '/ingest/clicks', headers: { 'content-type': 'application/x-ndjson' }, payload: '\n' + ndjson(values(5)) + '\n\n' });
    expect(within.statusCode).toBe(202);
  });

  it('should keep answering /health while it checks a hostile 1 MiB body of {} lines', async () => {
    // The record limit raised past the body's 349,525 lines, so every one of them is checked.
    let validating: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (validating = resolve));
    const { app } = await setup({ maxRecordsPerRequest: 1_000_000 }, (app) =>
      app.addHook('preHandler', (request, _reply, done) => {
        if (request.url === '/ingest/clicks') validating();
        done();
      }),
    );
    const payload = '{}\n'.repeat(349_525);
    expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(1_048_576);
    const order: string[] = [];
    const big = app.inject({ method: 'POST', url: '/ingest/clicks', headers: { 'content-type': 'application/x-ndjson' }, payload }).then((response) => {
      order.push('ingest');
      return response;
    });
    // The handler has the body and is about to check it: /health is asked only now.
    await started;
    const health = await app.inject({ url: '/health' });
    order.push('health');
    expect(health.statusCode).toBe(200);
    const response = await big;
    expect(order).toEqual(['health', 'ingest']);
    expect(response.statusCode).toBe(400);
    const body = response.json<{ message: string; errors: unknown[]; errorsOmitted: number }>();
    expect(body.errors).toHaveLength(100);
    expect(body.errorsOmitted).toBe(2 * 349_525 - 100);
    expect(body.message).toMatch(/^349525 records of this request/);
  }, 120_000);

  it('should answer 404 for a topic it does not know, listing the ones it does', async () => {
    const { app } = await setup();
    const response = await app.inject({ method: 'POST', url: '/ingest/nope', payload: { id: 'a' } });
    expect(response.statusCode).toBe(404);
    expect(response.json<{ message: string }>().message).toBe('the ingest API has no topic "nope"; it accepts clicks, pinterest.pins, pinterest.geo, pinterest.users');
  });

  it('should answer 413 for a body over server.bodyLimitBytes', async () => {
    const { app, log } = await setup({ bodyLimitBytes: 2048 });
    const values = Array.from({ length: 100 }, (_, i) => ({ id: `id-${i}`, user: i }));
    const response = await app.inject({ method: 'POST', url: '/ingest/clicks', headers: { 'content-type': 'application/x-ndjson' }, payload: ndjson(values) });
    expect(response.statusCode).toBe(413);
    expect(response.json<{ code: string }>().code).toBe('FST_ERR_CTP_BODY_TOO_LARGE');
    expect(await topicRecords(log, 'clicks')).toBe(0);
  });

  it('should answer 415 for another content type', async () => {
    const { app } = await setup();
    const response = await app.inject({ method: 'POST', url: '/ingest/clicks', headers: { 'content-type': 'text/plain' }, payload: 'id=a' });
    expect(response.statusCode).toBe(415);
  });
});

describe('API key', () => {
  it('should answer 401 without a key or with a wrong one, and accept either header with the right one', async () => {
    const { app } = await setup({ apiKey: 's3cret-key' });
    const send = (headers: Record<string, string>) => app.inject({ method: 'POST', url: '/ingest/clicks', headers, payload: { id: 'a', user: 1 } });
    const none = await send({});
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect(none.json<{ message: string }>().message).toMatch(/API key is required/);
    const wrong = await send({ authorization: 'Bearer s3cret-kex' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json<{ message: string }>().message).toBe('the API key is not valid');
    expect((await send({ authorization: 'Bearer s3cret-key' })).statusCode).toBe(202);
    expect((await send({ 'x-api-key': 's3cret-key' })).statusCode).toBe(202);
    expect((await app.inject({ url: '/openapi.json' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
  });

  it('should answer 401 for an unknown route without the key, so routes cannot be listed, and 404 with it', async () => {
    const { app } = await setup({ apiKey: 's3cret-key' });
    for (const url of ['/nothing', '/admin', '/ingest']) {
      const none = await app.inject({ url });
      expect(none.statusCode, url).toBe(401);
      expect(none.json<{ code: string }>().code).toBe('UNAUTHORIZED');
      expect((await app.inject({ url, headers: { 'x-api-key': 'wrong-key' } })).statusCode, url).toBe(401);
      const known = await app.inject({ url, headers: { 'x-api-key': 's3cret-key' } });
      expect(known.statusCode, url).toBe(404);
      expect(known.json<{ code: string }>().code).toBe('NOT_FOUND');
    }
  });

  it('should demand the key on a route that a plugin adds straight to its instance', async () => {
    const { app } = await setup({ apiKey: 's3cret-key' });
    expect((await app.inject({ url: '/bare' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/bare', headers: { 'x-api-key': 's3cret-key' } })).json()).toEqual({ bare: true });
  });
});

describe('rate limit', () => {
  it('should answer 429 with Retry-After past server.rateLimitMax, counting each valid key apart from the IP', async () => {
    const { app } = await setup({ apiKey: 'k1', rateLimitMax: 3, rateLimitWindowMs: 60_000 });
    const send = (key: string) => app.inject({ method: 'POST', url: '/ingest/clicks', headers: { 'x-api-key': key }, payload: { id: 'a', user: 1 } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await send('k1')).statusCode);
    expect(statuses).toEqual([202, 202, 202, 429]);
    const limited = await send('k1');
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.json<{ code: string; message: string }>()).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/at most 3 requests per 60000 ms/) as unknown });
    // Wrong keys count against the IP, which has its own bucket: guessing is limited as well.
    const guesses = [];
    for (let i = 0; i < 4; i++) guesses.push((await send(`guess-${i}`)).statusCode);
    expect(guesses).toEqual([401, 401, 401, 429]);
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
  });

  it('should count requests to unknown routes too, so keys cannot be guessed there without limit', async () => {
    const { app } = await setup({ apiKey: 's3cret-key', rateLimitMax: 2, rateLimitWindowMs: 60_000 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await app.inject({ url: '/nothing', headers: { 'x-api-key': `guess-${i}` } })).statusCode);
    expect(statuses).toEqual([401, 401, 429]);
  });
});

describe('GET /openapi.json', () => {
  it('should be an OpenAPI 3.1 document with a path and a schema for every topic, and every $ref resolving', async () => {
    const { app } = await setup({ apiKey: 'k' });
    const response = await app.inject({ url: '/openapi.json', headers: { 'x-api-key': 'k' } });
    expect(response.statusCode).toBe(200);
    const doc = response.json<{ openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, { responses: Record<string, unknown> }>>; components: { schemas: Record<string, { type?: string; properties?: Record<string, unknown>; required?: string[] }> } }>();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBeTruthy();
    for (const topic of Object.keys(topics)) {
      const operation = doc.paths[`/ingest/${topic}`]?.post;
      expect(operation, topic).toBeDefined();
      expect(Object.keys(operation!.responses)).toEqual(expect.arrayContaining(['202', '400', '401', '413', '429']));
      expect(doc.components.schemas[topic]?.type).toBe('object');
    }
    expect(doc.components.schemas.clicks!.required).toEqual(['id', 'user']);
    expect(Object.keys(doc.components.schemas[PIN_TOPIC]!.properties!)).toEqual(expect.arrayContaining(['unique_id', 'follower_count', 'tag_list', 'is_image_or_video', 'timestamp']));
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(doc.components.schemas[ref], ref).toBeDefined();
  });
});

describe('over a real socket', () => {
  it('should listen on the configured host and a free port, and ingest over HTTP', async () => {
    const { app, log } = await setup();
    const url = await listen(app, '127.0.0.1', 0);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'ok' });
    const response = await fetch(`${url}/ingest/clicks`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: ndjson([{ id: 'x', user: 1 }, { id: 'y', user: 2 }]) });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { offsets: { partition: number; offset: number }[] };
    const records = await readAll(log, 'clicks', 2);
    expect(records.map((r) => ({ partition: r.partition, offset: r.offset })).sort((a, b) => a.partition - b.partition || a.offset - b.offset)).toEqual(
      [...body.offsets].sort((a, b) => a.partition - b.partition || a.offset - b.offset),
    );
    expect((await fetch(`${url}/nothing`)).status).toBe(404);
  });

  it('should answer 431 with the error body and its code when the headers are too large', async () => {
    const { app } = await setup();
    const url = new URL(await listen(app, '127.0.0.1', 0));
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => socket.end(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(32 * 1024)}\r\n\r\n`));
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    const json = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
    expect(json).toMatchObject({ statusCode: 431, error: 'Request Header Fields Too Large', code: 'HEADERS_TOO_LARGE' });
    expect(json.message).toMatch(/headers are larger/);
  });

  it('should fail with SERVER_LISTEN_FAILED naming the address when the port is taken', async () => {
    const first = await setup();
    const url = await listen(first.app, '127.0.0.1', 0);
    const port = Number(new URL(url).port);
    const second = await setup();
    await expect(listen(second.app, '127.0.0.1', port)).rejects.toMatchObject({ code: 'SERVER_LISTEN_FAILED', message: expect.stringContaining(`127.0.0.1:${port}`) as unknown });
  });
});

/** Records ever appended to `topic` (0 when it does not exist). */
async function topicRecords(log: Log, topic: string): Promise<number> {
  const admin = log.admin();
  try {
    if (!(await admin.listTopics()).includes(topic)) return 0;
    return (await admin.describeTopic(topic)).partitions.reduce((sum, p) => sum + p.endOffset, 0);
  } finally {
    await admin.close();
  }
}
