import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runArchiver } from '../../src/batch/archiver.ts';
import { openFsLake } from '../../src/lake/fs/fs-lake.ts';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';
import { embeddedSink } from '../../src/sinks/embedded/embedded-sink.ts';
import { runFieldCounts } from '../../src/serve/query/field-counts-stream.ts';
import { realtimeTable, type FieldCountsOptions } from '../../src/serve/query/field-counts.ts';
import type { QueryResult } from '../../src/serve/query/view.ts';
import { cli, tempDir } from '../support/cli.ts';

/** As the Pinterest example declares it. */
const postsPerCategory: FieldCountsOptions = { name: 'posts-per-category', topic: 'pinterest.pins', field: 'category', countColumn: 'posts' };
const PINTEREST = fileURLToPath(new URL('../../examples/pinterest', import.meta.url));
/** The view under test, declared as the Pinterest example once did. */
const POSTS = fileURLToPath(new URL('fixtures/posts-per-category-pipeline.ts', import.meta.url));

const pins = readFileSync(new URL('../../../shared/data/pinterest/pinterest_data.jsonl', import.meta.url), 'utf8').trim().split('\n');

/** The real pins, 3,000 of them (each of the 200 several times), archived and counted by the speed layer in `dir`'s data directory. */
async function pipeline(dir: string): Promise<Record<string, number>> {
  const log = await openEmbeddedLog({ dir: path.join(dir, 'log'), fsync: { mode: 'never' } });
  const lake = await openFsLake({ root: path.join(dir, 'lake') });
  const topic = postsPerCategory.topic;
  await log.admin().createTopic(topic, { partitions: 2 });
  const producer = log.producer();
  const values = Array.from({ length: 3000 }, (_, i) => pins[i % pins.length]!);
  await producer.send(values.map((value) => ({ topic, value: Buffer.from(value) })));
  await producer.close();
  const stopArchiver = new AbortController();
  let archived = 0;
  const archiver = runArchiver({ log, lake, topics: [topic], rollMs: 100, signal: stopArchiver.signal, onFile: (f) => (archived += f.rows) >= 3000 && stopArchiver.abort() });
  const stopStream = new AbortController();
  const sink = embeddedSink.create(realtimeTable(postsPerCategory), { job: postsPerCategory.name }, { dir: path.join(dir, 'views') });
  await runFieldCounts(postsPerCategory, { log, sink, signal: stopStream.signal, onBatch: (c) => c.in >= 3000 && stopStream.abort() });
  await archiver;
  await log.close();
  await lake.close();
  const expected: Record<string, number> = {};
  for (const value of values) {
    const { category } = JSON.parse(value) as { category: string };
    expected[category] = (expected[category] ?? 0) + 1;
  }
  return expected;
}

describe('tributary query', () => {
  it('should print the merged view as JSON, the same before and after the batch view takes over', async () => {
    const dir = await tempDir();
    const expected = await pipeline(dir);
    const realtimeOnly = await cli(['--data-dir', dir, 'query', 'posts-per-category', '--pipeline', POSTS, '--json']);
    expect(realtimeOnly.stderr).toBe('');
    const before = JSON.parse(realtimeOnly.stdout) as QueryResult;
    expect(Object.fromEntries(before.rows.map((r) => [r.category, r.posts]))).toEqual(expected);
    expect(before.asOf.batch.computed).toBeNull();

    const merged = await cli(['--data-dir', dir, 'query', 'posts-per-category', '--pipeline', POSTS, '--recompute', '--json']);
    const after = JSON.parse(merged.stdout) as QueryResult;
    expect(Object.fromEntries(after.rows.map((r) => [r.category, r.posts]))).toEqual(expected);
    // 3,000 records over two partitions: the batch view covers whole buckets of 1,000 offsets, the real-time view the rest.
    expect(Object.values(after.asOf.batch.offsets)).toEqual([1000, 1000]);
    expect(after.asOf.covered).toEqual({ 0: 1500, 1: 1500 });
    expect(after.asOf.batch.computed).not.toBeNull();
  });

  it('should answer as of a past snapshot of the batch view from it alone, and fail with LAKE_NOT_FOUND for a snapshot without it', async () => {
    const dir = await tempDir();
    const expected = await pipeline(dir);
    const recomputed = await cli(['--data-dir', dir, 'query', 'posts-per-category', '--pipeline', POSTS, '--recompute', '--json']);
    expect(recomputed.code, recomputed.stderr).toBe(0);
    const { computed: computedAt, snapshot } = (JSON.parse(recomputed.stdout) as QueryResult).asOf.batch;
    expect(snapshot).toBeGreaterThan(0);
    // A second recompute makes a newer snapshot; the first stays readable.
    const again = await cli(['--data-dir', dir, 'query', 'posts-per-category', '--pipeline', POSTS, '--recompute', '--json']);
    expect((JSON.parse(again.stdout) as QueryResult).asOf.batch.snapshot).toBeGreaterThan(snapshot!);

    const past = await cli(['--data-dir', dir, 'query', 'posts-per-category', '--pipeline', POSTS, '--as-of', String(snapshot), '--json']);
    expect(past.code, past.stderr).toBe(0);
    const result = JSON.parse(past.stdout) as QueryResult;
    // The batch view alone: the whole buckets below its high-watermark (1,000 offsets in each of the two partitions), no real-time rows.
    expect(result.asOf.batch).toMatchObject({ asOf: String(snapshot), snapshot, offsets: { 0: 1000, 1: 1000 }, computed: computedAt });
    expect(result.asOf.realtime).toEqual({});
    expect(result.rows.reduce((n, r) => n + Number(r.posts), 0)).toBe(2000);
    expect(Object.values(expected).reduce((n, c) => n + c, 0)).toBe(3000);

    const byTime = await cli(['--data-dir', dir, 'query', 'posts-per-category', '--pipeline', POSTS, '--as-of', new Date(Date.parse(computedAt!) + 60_000).toISOString()]);
    expect(byTime.code, byTime.stderr).toBe(0);
    expect(byTime.stdout).toMatch(/^as of snapshot \S+: the batch view alone, pinterest\.pins offsets per partition 0: < 1000; 1: < 1000; computed /m);

    const missing = await cli(['--data-dir', dir, 'query', 'posts-per-category', '--pipeline', POSTS, '--as-of', '9999']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('LAKE_NOT_FOUND');
    expect(missing.stderr).toContain('No table curated.posts-per-category in the lake at that snapshot');
    // Before the first recompute's snapshot the view did not exist.
    const older = await cli(['--data-dir', dir, 'query', 'posts-per-category', '--pipeline', POSTS, '--as-of', String(snapshot! - 1)]);
    expect(older.stderr).toContain('No table curated.posts-per-category in the lake at that snapshot');
    const before = await cli(['--data-dir', dir, 'query', 'posts-per-category', '--pipeline', POSTS, '--as-of', '2020-01-01']);
    expect(before.stderr).toContain('LAKE_NOT_FOUND');
    const bad = await cli(['--data-dir', dir, 'query', 'posts-per-category', '--pipeline', POSTS, '--as-of', 'yesterday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--as-of expects a snapshot id (a whole number) or a time');
  });

  it('should print a table with what the answer covers, and filter by a parameter', async () => {
    const dir = await tempDir();
    const expected = await pipeline(dir);
    const result = await cli(['--data-dir', dir, 'query', 'posts-per-category', '--pipeline', POSTS, '--param', 'category=finance']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^category\\s+posts\\nfinance\\s+${expected.finance}\\n`));
    expect(result.stdout).toMatch(/as of pinterest\.pins offsets, per partition: 0: < \d+ \(batch < 0, real-time < \d+\); 1: /);
  });

  it('should fail with the views it has for an unknown view, and on a bad parameter', async () => {
    const dir = await tempDir();
    const unknown = await cli(['--data-dir', dir, 'query', 'nope', '--pipeline', PINTEREST]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No view "nope"; the views are: posts-per-category, pinterest_pins');
    const none = await cli(['--data-dir', dir, 'query', 'posts-per-category']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no pipeline is loaded; name one with --pipeline <module>');
    const bad = await cli(['--data-dir', dir, 'query', 'posts-per-category', '--pipeline', POSTS, '--param', 'colour=red']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('QUERY_INVALID');
    expect(bad.stderr).toContain('colour');
  });
});
