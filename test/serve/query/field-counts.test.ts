import { readFileSync } from 'node:fs';
import { fastify } from 'fastify';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runArchiver } from '../../../src/batch/archiver.ts';
import { openFsLake } from '../../../src/lake/fs/fs-lake.ts';
import { openEmbeddedLog } from '../../../src/log/embedded/embedded-log.ts';
import type { Log } from '../../../src/log/log.ts';
import { embeddedSink } from '../../../src/sinks/embedded/embedded-sink.ts';
import { recomputeFieldCounts } from '../../../src/serve/query/field-counts-batch.ts';
import { runFieldCounts } from '../../../src/serve/query/field-counts-stream.ts';
import { fieldCountsView } from '../../../src/serve/query/field-counts-view.ts';
import { fieldValueOf, realtimeTable, type FieldCountsOptions } from '../../../src/serve/query/field-counts.ts';
import { createQueryService, type QueryService } from '../../../src/serve/query/query.ts';
import { queryRoutes } from '../../../src/serve/query/query-routes.ts';
import type { QueryResult } from '../../../src/serve/query/view.ts';
import { tempDir } from '../../support/cli.ts';
import { rejection } from '../../support/errors.ts';
import { embeddedTables } from '../../support/lake-tables.ts';

const pins = readFileSync(new URL('../../../../shared/data/pinterest/pinterest_data.jsonl', import.meta.url), 'utf8').trim().split('\n');
const options: FieldCountsOptions = { name: 'posts-per-category', topic: 'pins', field: 'category', countColumn: 'posts', bucketOffsets: 50 };

interface Produced {
  partition: number;
  offset: number;
  category: string;
}

/** Brute force: posts per category over the records below `covered` in each partition (everything when omitted). */
function bruteForce(produced: readonly Produced[], covered?: Record<string, number>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of produced) {
    if (covered && r.offset >= (covered[String(r.partition)] ?? 0)) continue;
    counts[r.category] = (counts[r.category] ?? 0) + 1;
  }
  return counts;
}

const asCounts = (result: QueryResult): Record<string, unknown> => Object.fromEntries(result.rows.map((r) => [String(r.category), r.posts]));

async function producePins(log: Log, produced: Produced[], n: number): Promise<void> {
  const producer = log.producer();
  const batch = Array.from({ length: n }, (_, i) => pins[(produced.length + i) % pins.length]!);
  // A few records the stream job dead-letters (no value, not JSON): neither layer may count them.
  const records = batch.map((line, i) => ({ topic: 'pins', key: Buffer.from(`k${produced.length + i}`), value: (produced.length + i) % 101 === 7 ? null : (produced.length + i) % 103 === 9 ? Buffer.from('{not json') : Buffer.from(line) }));
  const positions = await producer.send(records);
  await producer.close();
  positions.forEach((p, i) => {
    const value = records[i]!.value;
    let parsed: unknown;
    try {
      parsed = value === null ? undefined : JSON.parse(value.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    // Dead letters keep their offsets but count for nothing.
    produced.push({ partition: p.partition, offset: p.offset, category: parsed === undefined ? '' : fieldValueOf(parsed, 'category') });
  });
}

function withoutDeadLetters(produced: Produced[]): Produced[] {
  return produced.filter((p) => p.category !== '');
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function setUp() {
  const dir = await tempDir();
  const log = await openEmbeddedLog({ dir: `${dir}/log`, fsync: { mode: 'never' } });
  await log.admin().createTopic('pins', { partitions: 3 });
  const lake = await openFsLake({ root: `${dir}/lake` });
  const sink = () => embeddedSink.create(realtimeTable(options), { job: options.name }, { dir: `${dir}/views` });
  const withTables = embeddedTables(dir);
  const service = createQueryService([fieldCountsView(options, { lake, withTables, sink: sink() })]);
  return { dir, log, lake, withTables, sink, service };
}

function endOffsets(produced: readonly Produced[]): Record<string, number> {
  const end: Record<string, number> = {};
  for (const p of produced) end[String(p.partition)] = Math.max(end[String(p.partition)] ?? 0, p.offset + 1);
  return end;
}

describe('merged view: field counts (posts per category)', () => {
  it('should equal a count over the whole log at every moment, while events flow and batch runs complete', async () => {
    const { log, lake, withTables, sink, service } = await setUp();
    const stop = new AbortController();
    const stream = runFieldCounts(options, { log, sink: sink(), signal: stop.signal });
    const archiver = runArchiver({ log, lake, topics: ['pins'], rollMs: 150, rollBytes: 40_000, signal: stop.signal });
    onTestFinished(async () => {
      stop.abort();
      await Promise.allSettled([stream, archiver]);
    });
    const produced: Produced[] = [];
    const batchOffsets: number[] = [];
    let midFlowChecks = 0;

    for (let round = 0; round < 4; round++) {
      // Flowing: production, the stream job, the archiver and (from round 1) a batch recompute all
      // run at once; whatever moment the query lands on, it is exact for the offsets it covers.
      const recompute = round > 0 ? recomputeFieldCounts(lake, withTables, options) : Promise.resolve(undefined);
      for (let burst = 0; burst < 8; burst++) {
        await producePins(log, produced, 150);
        const result = await service.query('posts-per-category');
        expect(asCounts(result)).toEqual(bruteForce(withoutDeadLetters(produced), result.asOf.covered));
        midFlowChecks++;
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      await recompute;
      // Paused: once the speed layer has caught up, the answer is the count over everything produced.
      const end = endOffsets(withoutDeadLetters(produced));
      const caughtUp = await until('the speed layer to catch up', async () => {
        const result = await service.query('posts-per-category');
        return Object.entries(end).every(([p, e]) => (result.asOf.covered[p] ?? 0) >= e) ? result : undefined;
      });
      expect(asCounts(caughtUp)).toEqual(bruteForce(withoutDeadLetters(produced)));
      // Then a batch run completes over what the archiver has committed, and the answer stays the same.
      await until('the archiver to commit', async () => ((await lake.head('raw/pins/_manifest.json')) ? true : undefined));
      const batch = await recomputeFieldCounts(lake, withTables, options);
      batchOffsets.push([...batch.offsets.values()].reduce((a, b) => a + b, 0));
      const after = await service.query('posts-per-category');
      expect(after.asOf.batch.computed).toBe(batch.computed);
      expect(asCounts(after)).toEqual(bruteForce(withoutDeadLetters(produced)));
      expect(after.asOf.covered).toEqual(caughtUp.asOf.covered);
    }
    stop.abort();
    await Promise.all([stream, archiver]);

    // The batch view took over more and more of the answer from the real-time view.
    expect(batchOffsets[3]).toBeGreaterThan(batchOffsets[0]!);
    expect(batchOffsets[0]).toBeGreaterThan(0);
    expect(midFlowChecks).toBe(32);
    const final = await service.query('posts-per-category');
    expect(asCounts(final)).toEqual(bruteForce(withoutDeadLetters(produced)));
    const oneCategory = await service.query('posts-per-category', { category: 'finance' });
    expect(oneCategory.rows).toEqual([{ category: 'finance', posts: bruteForce(withoutDeadLetters(produced)).finance }]);
    await service.close();
    await log.close();
    await lake.close();
  }, 120_000);

  it('should go on counting exactly after the stream job restarts', async () => {
    const { log, lake, sink, service } = await setUp();
    const produced: Produced[] = [];
    await producePins(log, produced, 400);
    const runFor = async (records: number) => {
      const stop = new AbortController();
      await runFieldCounts(options, { log, sink: sink(), signal: stop.signal, onBatch: (c) => c.in >= records && stop.abort() });
    };
    await runFor(400);
    await producePins(log, produced, 300);
    // Restarted: reloads its open buckets from the sink and goes on from the sink's positions.
    await runFor(300);
    const result = await service.query('posts-per-category');
    expect(asCounts(result)).toEqual(bruteForce(withoutDeadLetters(produced)));
    await service.close();
    await log.close();
    await lake.close();
  }, 60_000);

  it('should refuse an unknown view and unknown parameters', async () => {
    const { log, lake, service } = await setUp();
    await rejection(service.query('nope'), 'VIEW_NOT_FOUND');
    const error = await rejection(service.query('posts-per-category', { color: 'red' }), 'QUERY_INVALID');
    expect(error.message).toContain('color');
    await service.close();
    await log.close();
    await lake.close();
  });
});

describe('GET /query/<view>', () => {
  async function app(service: QueryService) {
    const server = fastify();
    await server.register(queryRoutes, { service });
    return server;
  }

  it('should answer the merged view as JSON, 404 for an unknown view and 400 for a bad parameter', async () => {
    const { log, lake, sink, service } = await setUp();
    const produced: Produced[] = [];
    await producePins(log, produced, 120);
    const stop = new AbortController();
    await runFieldCounts(options, { log, sink: sink(), signal: stop.signal, onBatch: (c) => c.in >= 120 && stop.abort() });
    const server = await app(service);
    const ok = await server.inject({ method: 'GET', url: '/query/posts-per-category' });
    expect(ok.statusCode).toBe(200);
    const body = ok.json<QueryResult>();
    expect(Object.fromEntries(body.rows.map((r) => [r.category, r.posts]))).toEqual(bruteForce(withoutDeadLetters(produced)));
    expect(body.columns).toEqual(['category', 'posts']);
    const filtered = await server.inject({ method: 'GET', url: '/query/posts-per-category?category=finance' });
    expect(filtered.json<QueryResult>().rows.every((r) => r.category === 'finance')).toBe(true);
    expect((await server.inject({ method: 'GET', url: '/query/nope' })).statusCode).toBe(404);
    const bad = await server.inject({ method: 'GET', url: '/query/posts-per-category?color=red' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ code: string }>().code).toBe('QUERY_INVALID');
    expect((await server.inject({ method: 'GET', url: '/query' })).json<{ views: { name: string }[] }>().views.map((v) => v.name)).toEqual(['posts-per-category']);
    await server.close();
    await service.close();
    await log.close();
    await lake.close();
  });
});
