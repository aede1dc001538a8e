import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { configSchema } from '../../../src/config/schema.ts';
import { ingestTopics } from '../../../src/runtime/pipeline-server.ts';
import { definePipeline } from '../../../src/runtime/pipeline.ts';
import { runPostingEmulator } from '../../../src/sources/emulators/posting-emulator.ts';
import { loadPins, postPins } from '../emulator.ts';
import { PIN_TOPIC, pinTopic, type RawPin } from '../pins.ts';
import { openEmbeddedLog } from '../../../src/log/embedded/embedded-log.ts';
import type { Log, LogRecord } from '../../../src/log/log.ts';
import { createLogger } from '../../../src/logger.ts';
import { ingestRoutes } from '../../../src/serve/ingest/ingest-routes.ts';
import { createServer, listen, serverPlugin, type ServerSettings } from '../../../src/serve/server.ts';
import { tempDir } from '../../../test/support/cli.ts';

const open: { app: FastifyInstance; log: Log }[] = [];
afterEach(async () => {
  for (const { app, log } of open.splice(0)) {
    await app.close();
    await log.close();
  }
});

async function ingestServer(server: Partial<ServerSettings> = {}): Promise<{ url: string; log: Log }> {
  const log = await openEmbeddedLog({ dir: await tempDir(), fsync: { mode: 'interval', ms: 5 }, defaultPartitions: 2 });
  const app = createServer({ server: { ...configSchema.parse({}).server, ...server }, logger: await createLogger({ level: 'silent' }), plugins: [serverPlugin(ingestRoutes, { log, topics: ingestTopics([definePipeline({ name: 'pins', topics: [pinTopic] })]) })] });
  open.push({ app, log });
  return { url: await listen(app, '127.0.0.1', 0), log };
}

async function readAll(log: Log, expected: number): Promise<LogRecord[]> {
  const consumer = log.consumer({ group: `read-${Math.random()}`, topics: [PIN_TOPIC] });
  const records: LogRecord[] = [];
  try {
    const deadline = Date.now() + 10_000;
    while (records.length < expected && Date.now() < deadline) records.push(...(await consumer.poll(100)));
    // Nothing more than expected arrives.
    records.push(...(await consumer.poll(200)));
  } finally {
    await consumer.close();
  }
  return records;
}

describe('the pin poster', () => {
  it('should deliver exactly what it sent: every pin, fresh ids, cycling past the 200 real ones', async () => {
    const { url, log } = await ingestServer();
    const sent: RawPin[] = [];
    const totals = await postPins({ url, rate: 2000, records: 450, onAccepted: (records) => sent.push(...records) });
    expect(totals.accepted).toBe(450);
    expect(sent).toHaveLength(450);
    const records = await readAll(log, 450);
    expect(records).toHaveLength(450);
    const arrived = new Map(records.map((r) => [r.key!.toString(), JSON.parse(r.value!.toString()) as RawPin]));
    for (const pin of sent) expect(arrived.get(pin.unique_id)).toEqual(pin);
    expect(new Set(sent.map((p) => p.unique_id)).size).toBe(450);
    // The real pins in file order, then again from the first.
    const pins = await loadPins();
    expect(sent.map((p) => p.index)).toEqual(Array.from({ length: 450 }, (_, i) => pins[i % 200]!.index));
    const { unique_id: _id, timestamp: _time, ...first } = sent[200]!;
    expect(first).toEqual((({ unique_id: _u, ...rest }) => rest)(pins[0]!));
    // The event time travels as the record's timestamp.
    const record = records.find((r) => r.key!.toString() === sent[0]!.unique_id)!;
    expect(record.timestamp).toBe(Date.parse(sent[0]!.timestamp!));
  });

  it('should hold the configured rate', async () => {
    const { url } = await ingestServer();
    const stamps: number[] = [];
    const started = performance.now();
    const totals = await postPins({ url, rate: 200, records: 400, onAccepted: (records) => stamps.push(...records.map(() => performance.now() - started)) });
    const seconds = totals.elapsedMs / 1000;
    expect(totals.accepted).toBe(400);
    // 400 events at 200/s: 2 s, less the burst the bucket allows. A busy machine can only make it
    // slower, so the upper bound is generous: it fails only if the pacing were far off.
    expect(seconds).toBeGreaterThan(1.7);
    expect(seconds).toBeLessThan(10);
    // No second holds much more than the rate.
    for (let s = 0; s < Math.ceil(seconds); s++) expect(stamps.filter((t) => t >= s * 1000 && t < (s + 1) * 1000).length).toBeLessThanOrEqual(200 + 50);
  });

  it('should stop after durationMs', async () => {
    const { url } = await ingestServer();
    const totals = await postPins({ url, rate: 100, durationMs: 1000 });
    // It stops at the first batch after the deadline; a busy machine can only delay that batch, and
    // can only lower the count: the bucket holds at most a quarter of a second of events.
    expect(totals.elapsedMs).toBeGreaterThanOrEqual(1000);
    expect(totals.elapsedMs).toBeLessThan(10_000);
    expect(totals.accepted).toBeGreaterThan(0);
    expect(totals.accepted).toBeLessThanOrEqual(Math.ceil(100 * (totals.elapsedMs / 1000) + 25));
  });

  it('should wait out 429s and still deliver everything', async () => {
    const { url, log } = await ingestServer({ rateLimitMax: 3, rateLimitWindowMs: 1000 });
    const totals = await postPins({ url, rate: 400, records: 60, maxBatch: 10 });
    expect(totals.accepted).toBe(60);
    expect(totals.retries).toBeGreaterThan(0);
    expect(await readAll(log, 60)).toHaveLength(60);
  }, 15_000);

  it('should fail with INGEST_REJECTED on a 4xx and INGEST_UNAVAILABLE when nothing listens', async () => {
    const { url } = await ingestServer({ apiKey: 'right' });
    await expect(postPins({ url, rate: 10, records: 1, apiKey: 'wrong' })).rejects.toMatchObject({ code: 'INGEST_REJECTED', message: expect.stringContaining('401: the API key is not valid') as unknown });
    await expect(runPostingEmulator({ url, topic: 'other', rate: 10, records: 1, apiKey: 'right', record: () => ({}) })).rejects.toMatchObject({ code: 'INGEST_REJECTED', message: expect.stringContaining('404') as unknown });
    expect((await postPins({ url, rate: 10, records: 1, apiKey: 'right' })).accepted).toBe(1);
    const gone = await ingestServer();
    await open.pop()!.app.close();
    await expect(runPostingEmulator({ url: gone.url, topic: PIN_TOPIC, rate: 10, records: 1, retryDelaysMs: [10, 10], record: () => ({}) })).rejects.toMatchObject({ code: 'INGEST_UNAVAILABLE', message: expect.stringContaining('after 3 attempts') as unknown });
    await gone.log.close();
  });
});
