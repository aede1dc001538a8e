import { describe, expect, it } from 'vitest';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';
import type { Log } from '../../src/log/log.ts';
import { embeddedSink } from '../../src/sinks/embedded/embedded-sink.ts';
import { openEmbeddedStateStore } from '../../src/state/embedded/embedded-state.ts';
import { runWindowedJob, type WindowedCounts } from '../../src/stream/windowed-runner.ts';
import { tempDir } from '../support/cli.ts';
import { clicks, expectedViews, viewsSpec, viewsJob, type Click } from './fixtures/clicks.ts';



async function run(log: Log, dir: string, stopWhen: (c: WindowedCounts) => boolean) {
  const state = await openEmbeddedStateStore({ file: `${dir}/state.sqlite` });
  const sink = embeddedSink.create(
    viewsSpec,
    { job: 'views' },
    { dir: `${dir}/views` },
  );
  const controller = new AbortController();
  const counts = await runWindowedJob(
    viewsJob('views', sink),
    { log, state, signal: controller.signal, onCheckpoint: (c) => stopWhen(c) && controller.abort() },
  );
  await state.close();
  const reader = embeddedSink.create(
    viewsSpec,
    { job: 'check' },
    { dir: `${dir}/views` },
  );
  await reader.open();
  const rows = await reader.scan();
  await reader.close();
  return { counts, rows: rows.filter((r) => r.product !== 'end') };
}

async function setUp() {
  const dir = await tempDir();
  const log = await openEmbeddedLog({ dir: `${dir}/log`, fsync: { mode: 'never' } });
  await log.admin().createTopic('clicks', { partitions: 2 });
  const all = clicks();
  await log.producer().send(all.map((c) => ({ topic: 'clicks', key: Buffer.from(String(c.user)), value: Buffer.from(JSON.stringify(c)) })));
  return { dir, log, all };
}

describe('runWindowedJob', () => {
  it('should count events per key and tumbling window, whatever partition they arrived on', async () => {
    const { dir, log, all } = await setUp();
    const want = expectedViews(all);
    const { counts, rows } = await run(log, dir, (c) => c.windows.in >= all.length && c.windows.results >= want.length);
    expect(counts.windows.late).toBe(0);
    expect(rows).toEqual(want);
    await log.close();
  });

  it('should give the same windows when restarted from its checkpoint halfway through', async () => {
    const dir = await tempDir();
    const log = await openEmbeddedLog({ dir: `${dir}/log`, fsync: { mode: 'never' } });
    await log.admin().createTopic('clicks', { partitions: 2 });
    const all = clicks();
    const send = (part: Click[]) => log.producer().send(part.map((c) => ({ topic: 'clicks', key: Buffer.from(String(c.user)), value: Buffer.from(JSON.stringify(c)) })));
    const half = 1500;
    await send(all.slice(0, half));
    // The first run stops with windows still open; the second restores them from the checkpoint.
    const first = await run(log, dir, (c) => c.windows.in >= half);
    expect(first.counts.windows.in).toBe(half);
    expect(first.rows.length).toBeLessThan(expectedViews(all).length);
    await send(all.slice(half));
    // The windows the first run did not close: the last ones close only once the input without the
    // far-future click is idle, so waiting for any result would stop too early.
    const remaining = expectedViews(all).length - first.rows.length;
    const second = await run(log, dir, (c) => c.windows.in >= all.length - half && c.windows.results >= remaining);
    expect(second.counts.windows.in).toBe(all.length - half);
    expect(second.rows).toEqual(expectedViews(all));
    await log.close();
  });
});
