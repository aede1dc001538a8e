import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';
import type { Log } from '../../src/log/log.ts';
import { embeddedSink } from '../../src/sinks/embedded/embedded-sink.ts';
import { openRedisStateStore } from '../../src/state/redis/redis-state.ts';
import { runWindowedJob, type WindowedCounts } from '../../src/stream/windowed-runner.ts';
import { tempDir } from '../support/cli.ts';
import { clicks, expectedViews, viewsSpec as spec, viewsJob, type Click } from './fixtures/clicks.ts';
import { endpoint, uniqueName } from '../support/services.ts';

const url = endpoint('TRIBUTARY_REDIS_URL');
/** For looking at what the job checkpointed, and deleting it afterwards. */
const admin = new Redis(url, { maxRetriesPerRequest: 2 });
afterAll(() => admin.quit());

const JOB = 'views';


/** A key prefix of this test's own; its keys are deleted when the test ends. */
function testPrefix(): string {
  const prefix = `${uniqueName('windowed')}:`;
  onTestFinished(async () => {
    // The prefix is a uniqueName: no glob characters in it.
    for await (const keys of admin.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await admin.del(...keys);
    }
  });
  return prefix;
}

/** One run of the job with its state in Redis under `keyPrefix`, until `stopWhen`; returns the counts and the views. */
async function run(log: Log, dir: string, keyPrefix: string, stopWhen: (c: WindowedCounts) => boolean) {
  const state = await openRedisStateStore({ url, keyPrefix });
  const controller = new AbortController();
  try {
    const counts = await runWindowedJob(
      viewsJob(JOB, embeddedSink.create(spec, { job: JOB }, { dir: `${dir}/views` })),
      { log, state, signal: controller.signal, onCheckpoint: (c) => stopWhen(c) && controller.abort() },
    );
    const reader = embeddedSink.create(spec, { job: 'check' }, { dir: `${dir}/views` });
    await reader.open();
    const rows = await reader.scan();
    await reader.close();
    return { counts, rows: rows.filter((r) => r.product !== 'end') };
  } finally {
    controller.abort();
    await state.close();
  }
}

describe('runWindowedJob with its state in Redis', () => {
  it('should give the same windows when restarted from its Redis checkpoint halfway through', { timeout: 60_000 }, async () => {
    const dir = await tempDir();
    const log = await openEmbeddedLog({ dir: `${dir}/log`, fsync: { mode: 'never' } });
    onTestFinished(() => log.close());
    await log.admin().createTopic('clicks', { partitions: 2 });
    const keyPrefix = testPrefix();
    const all = clicks();
    const send = (part: Click[]) => log.producer().send(part.map((c) => ({ topic: 'clicks', key: Buffer.from(String(c.user)), value: Buffer.from(JSON.stringify(c)) })));
    const half = 1500;
    await send(all.slice(0, half));

    // The first run stops with windows still open; their state is in Redis, one hash field per partition.
    const first = await run(log, dir, keyPrefix, (c) => c.windows.in >= half);
    expect(first.counts.windows.in).toBe(half);
    expect(first.rows.length).toBeLessThan(expectedViews(all).length);
    const hash = `${keyPrefix}state:job.${JOB}.windows`;
    expect((await admin.hkeys(hash)).sort()).toEqual(['partition/0', 'partition/1']);
    const open = Object.values(await admin.hgetall(hash)).map((v) => (JSON.parse(v) as { operator: { windows: unknown[] } }).operator.windows.length);
    expect(open.reduce((n, w) => n + w, 0)).toBeGreaterThan(0);

    // The second run, a new connection, restores them and reads only the records after the checkpoint.
    await send(all.slice(half));
    // The windows the first run did not close: the last ones close only once the input without the
    // far-future click is idle, so waiting for any result would stop too early.
    const remaining = expectedViews(all).length - first.rows.length;
    const second = await run(log, dir, keyPrefix, (c) => c.windows.in >= all.length - half && c.windows.results >= remaining);
    expect(second.counts.windows.in).toBe(all.length - half);
    expect(first.counts.windows.late + second.counts.windows.late).toBe(0);
    expect(second.rows).toEqual(expectedViews(all));
  });
});
