/**
 * The UI's JSON API on a real embedded log: the graph of the Pinterest example, server-side paging
 * and filtering of messages, dead-letter replay and its counts, the event stream, the static files
 * and their place in the OpenAPI document.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import pinterest from '../../../examples/pinterest/pipeline.ts';
import toronto from '../../../examples/toronto-kijiji/pipeline.ts';
import { configSchema } from '../../../src/config/schema.ts';
import { openEmbeddedLog } from '../../../src/log/embedded/embedded-log.ts';
import type { Log } from '../../../src/log/log.ts';
import { createLogger } from '../../../src/logger.ts';
import { pipelineGraph } from '../../../src/runtime/pipeline-graph.ts';
import { newStatus } from '../../../src/runtime/run-parts.ts';
import { deadLetterReplayer } from '../../../src/serve/api/dead-letters.ts';
import { directLogView } from '../../../src/serve/api/log-view.ts';
import { startUiHistory, type UiSample } from '../../../src/serve/api/ui-history.ts';
import { uiOpenApiPaths } from '../../../src/serve/api/ui-openapi.ts';
import { uiRoutes, valueAt } from '../../../src/serve/api/ui-routes.ts';
import { ingestRoutes } from '../../../src/serve/ingest/ingest-routes.ts';
import { createServer, listen, serverPlugin } from '../../../src/serve/server.ts';
import { deadLetter } from '../../../src/stream/dead-letter.ts';
import { tempDir } from '../../support/cli.ts';

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

async function setup(): Promise<{ app: FastifyInstance; log: Log; part: ReturnType<typeof newStatus> }> {
  const log = await openEmbeddedLog({ dir: await tempDir(), fsync: { mode: 'interval', ms: 5 }, defaultPartitions: 2 });
  open.push(() => log.close());
  const admin = log.admin();
  await admin.createTopic('clicks', { partitions: 2 });
  await admin.createTopic('clean.dlq', { partitions: 1 });
  await admin.close();
  const part = newStatus('stream-job', 'clean', 'test');
  part.counts.in = 0;
  const logView = directLogView(log);
  const history = startUiHistory({ parts: () => [part], lag: () => Promise.resolve({ 'job.clean': 7 }), everyMs: 50 });
  const app = createServer({
    server: configSchema.parse({}).server,
    logger: await createLogger({ level: 'silent' }),
    plugins: [
      serverPlugin(uiRoutes, { graph: () => pipelineGraph([pinterest, toronto]), history, logView, replayer: deadLetterReplayer(log) }),
      serverPlugin(ingestRoutes, { log, topics: {}, openApiPaths: uiOpenApiPaths() }),
    ],
  });
  open.push(async () => {
    history.stop();
    await app.close();
    await logView.close();
  });
  await app.ready();
  return { app, log, part };
}

describe('the UI API', () => {
  it('graph should hold every declared part of the examples, each edge between two of its nodes', () => {
    const graph = pipelineGraph([pinterest, toronto]);
    const ids = new Set(graph.nodes.map((n) => n.id));
    expect(ids.size).toBe(graph.nodes.length);
    for (const t of pinterest.topics) expect(ids.has(`topic:${t.name}`)).toBe(true);
    for (const j of [...pinterest.streamJobs, ...toronto.streamJobs]) expect(ids.has(`job:${j.name}`)).toBe(true);
    for (const b of [...pinterest.batchJobs, ...toronto.batchJobs]) expect(ids.has(`batch:${b.job.name}`)).toBe(true);
    for (const v of pinterest.views) expect(ids.has(`view:${v.name}`)).toBe(true);
    for (const e of graph.edges) {
      expect(ids.has(e.source), e.id).toBe(true);
      expect(ids.has(e.target), e.id).toBe(true);
    }
    expect(graph.edges).toContainEqual(expect.objectContaining({ source: 'topic:pinterest.pins', target: 'job:pinterest-clean', part: 'pinterest-clean', count: 'in', group: 'job.pinterest-clean' }));
    expect(graph.edges).toContainEqual(expect.objectContaining({ source: 'job:pinterest-clean', target: 'dlq:pinterest-clean', count: 'deadLettered' }));
    const pins = graph.nodes.find((n) => n.id === 'topic:pinterest.pins')!;
    expect((pins.schema as { required: string[] }).required).toContain('unique_id');
  });

  it('messages should page through one partition and filter by key and JSON path on the server', async () => {
    const { app, log } = await setup();
    const producer = log.producer();
    await producer.send(Array.from({ length: 30 }, (_, i) => ({ topic: 'clicks', partition: 1, key: Buffer.from(`k${i % 3}`), value: Buffer.from(JSON.stringify({ user: { country: i % 2 === 0 ? 'CA' : 'FR' }, i })) })));
    await producer.close();
    const get = async (query: string) => (await app.inject({ url: `/api/ui/topics/clicks/messages?${query}` })).json<{ records: Array<{ offset: number; key: string; value: { i: number } }>; next: number; scanned: number; atEnd: boolean; endOffset: number }>();
    const first = await get('partition=1&offset=0&limit=10');
    expect(first.records.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(first.next).toBe(10);
    expect(first.atEnd).toBe(false);
    const last = await get(`partition=1&offset=${first.next + 10}&limit=10`);
    expect(last.records.map((r) => r.offset)).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
    expect(last.atEnd).toBe(true);
    const byKey = await get('partition=1&offset=0&limit=100&key=k1');
    expect(byKey.records.map((r) => r.value.i)).toEqual([1, 4, 7, 10, 13, 16, 19, 22, 25, 28]);
    expect(byKey.scanned).toBe(30);
    const byPath = await get('partition=1&offset=0&limit=4&path=$.user.country&equals=FR');
    expect(byPath.records.map((r) => r.value.i)).toEqual([1, 3, 5, 7]);
    expect(byPath.next).toBe(8);
    expect((await get('partition=0&offset=0')).records).toEqual([]);
    const bad = await app.inject({ url: '/api/ui/topics/clicks/messages?path=user.country' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ message: string }>().message).toContain('path: expected a JSON path');
    expect((await app.inject({ url: '/api/ui/topics/clicks/messages?partition=9' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/api/ui/topics/nope/messages' })).statusCode).toBe(404);
    expect(valueAt({ a: { b: 2 } }, '$.a.b')).toBe(2);
  });

  it('offset should find the first record of a partition at or after a time, the end past the last one, and refuse bad input', async () => {
    const { app, log } = await setup();
    const producer = log.producer();
    const base = Date.parse('2026-12-01T00:00:00Z');
    // Ten records a minute apart in partition 0; partition 1 stays empty.
    await producer.send(Array.from({ length: 10 }, (_, i) => ({ topic: 'clicks', partition: 0, key: null, value: Buffer.from(String(i)), timestamp: base + i * 60_000 })));
    await producer.close();
    const offset = async (query: string) => app.inject({ url: `/api/ui/topics/clicks/offset?${query}` });
    expect((await offset(`partition=0&time=2026-12-01T00:03:00Z`)).json()).toEqual({ topic: 'clicks', partition: 0, time: '2026-12-01T00:03:00.000Z', offset: 3 });
    // Between two records: the later one. In milliseconds too.
    expect((await offset(`partition=0&time=${base + 3 * 60_000 + 1}`)).json()).toMatchObject({ offset: 4 });
    expect((await offset(`partition=0&time=2020-01-01T00:00:00Z`)).json()).toMatchObject({ offset: 0 });
    expect((await offset(`partition=0&time=2026-12-02T00:00:00Z`)).json()).toMatchObject({ offset: 10 });
    expect((await offset(`partition=1&time=2026-12-01T00:00:00Z`)).json()).toMatchObject({ offset: 0 });
    const bad = await offset('partition=0&time=yesterday');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'CLI_USAGE', message: 'time: expected an ISO 8601 time (2026-12-03T10:00:00Z) or milliseconds since 1970, got "yesterday"' });
    const none = await offset('partition=5&time=0');
    expect(none.statusCode).toBe(404);
    expect(none.json()).toMatchObject({ code: 'PARTITION_NOT_FOUND' });
    expect((await app.inject({ url: '/api/ui/topics/nope/offset?time=0' })).statusCode).toBe(404);
  });

  it('replay should send dead letters back to their topic without the dead-letter headers, and count them', async () => {
    const { app, log } = await setup();
    const producer = log.producer();
    const original = { topic: 'clicks', partition: 0, offset: 5, key: Buffer.from('u1'), value: Buffer.from('{"bad":true}'), headers: { trace: Buffer.from('t-1') }, timestamp: 1_700_000_000_000 };
    await producer.send([deadLetter('clean', original, 'parse', new Error('not a click'))]);
    await producer.close();
    const replay = (positions: unknown) => app.inject({ method: 'POST', url: '/api/ui/dead-letters/clean.dlq/replay', payload: { positions } });
    const result = (await replay([{ partition: 0, offset: 0 }, { partition: 0, offset: 99 }])).json<{ requested: number; replayed: number; missing: Array<{ reason: string }>; to: Array<{ topic: string; partition: number; offset: number }> }>();
    expect(result.requested).toBe(result.replayed + result.missing.length);
    expect(result.replayed).toBe(1);
    expect(result.missing[0]!.reason).toContain('no record at partition 0, offset 99');
    expect(result.to[0]!.topic).toBe('clicks');
    const consumer = log.consumer({ group: 'check-replay', topics: ['clicks'] });
    const back = [];
    const deadline = Date.now() + 20_000;
    while (back.length === 0 && Date.now() < deadline) back.push(...(await consumer.poll(100)));
    await consumer.close();
    expect(back).toHaveLength(1);
    expect(back[0]!.value!.toString()).toBe('{"bad":true}');
    expect(back[0]!.key!.toString()).toBe('u1');
    expect(back[0]!.timestamp).toBe(original.timestamp);
    expect(Object.keys(back[0]!.headers).sort()).toEqual(['trace', 'tributary.replayed-from']);
    expect(back[0]!.headers['tributary.replayed-from']!.toString()).toBe('clean.dlq/0/0');
    expect((await app.inject({ url: '/api/ui/dead-letters' })).json()).toEqual({ replayed: { 'clean.dlq': 1 } });
    expect((await replay([])).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/api/ui/dead-letters/clicks/replay', payload: { positions: [{ partition: 0, offset: 0 }] } })).json<{ message: string }>().message).toContain('not a dead-letter topic');
  });

  it('events should push each new sample to an open stream, and end the stream when the server closes', async () => {
    const { app, part } = await setup();
    const url = await listen(app, '127.0.0.1', 0);
    const response = await fetch(`${url}/api/ui/events`);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    part.counts.in = 42;
    let text = '';
    const samples: UiSample[] = [];
    while (!samples.some((s) => s.parts.clean?.counts.in === 42)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended before a sample with in = 42:\n${text}`);
      text += value;
      samples.splice(0, samples.length, ...[...text.matchAll(/^event: sample\ndata: (.+)$/gm)].map((m) => JSON.parse(m[1]!) as UiSample));
    }
    expect(samples.at(-1)!.lag).toEqual({ 'job.clean': 7 });
    const history = (await (await fetch(`${url}/api/ui/history`)).json()) as { samples: UiSample[] };
    expect(history.samples.length).toBeGreaterThan(0);
    await app.close();
    for (;;) if ((await reader.read()).done) break;
  });

  it('the OpenAPI document should list the UI routes', async () => {
    const { app } = await setup();
    const doc = (await app.inject({ url: '/openapi.json' })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/ui/graph', '/api/ui/events', '/api/ui/topics/{topic}/messages', '/api/ui/topics/{topic}/offset', '/api/ui/dead-letters/{topic}/replay', '/api/ui/lake', '/api/ui/lake/{zone}/{table}', '/api/ui/lake/{zone}/{table}/rows', '/api/ui/metrics', '/api/ui/metrics/events']));
  });
});
