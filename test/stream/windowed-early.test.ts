import { describe, expect, it } from 'vitest';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';
import type { Log } from '../../src/log/log.ts';
import { embeddedSink } from '../../src/sinks/embedded/embedded-sink.ts';
import type { Row, Sink } from '../../src/sinks/sink.ts';
import { openEmbeddedStateStore } from '../../src/state/embedded/embedded-state.ts';
import type { WindowOperatorSnapshot, WindowResult } from '../../src/stream/time/window-operator.ts';
import { runWindowedJob, type WindowedCounts } from '../../src/stream/windowed-runner.ts';
import { tempDir } from '../support/cli.ts';
import { clicks, expectedViews, viewsJob, viewsSpec, WINDOW, type Click } from './fixtures/clicks.ts';

// The fixture's clicks are 33 ms of event time apart (up to 1 s out of order): the first 700 end
// before 24.1 s and the first 800 before 27.4 s, so with 2 s out-of-orderness the window
// [20 s, 30 s) is still open after either slice, and only the rest closes it.
const SLICE_A = 700;
const SLICE_B = 800;
const OPEN = 2 * WINDOW;

interface Running {
  /** Every row the job has written to the sink so far, in write order. */
  written: Row[];
  /** Every window result the job has turned into a row, in order. */
  results: WindowResult<number>[];
  /** The counts as of the last checkpoint. */
  checkpointed: () => WindowedCounts['windows'] | undefined;
  stop: () => Promise<WindowedCounts>;
}

function start(log: Log, dir: string, options: { earlyFiringMs: number; now?: () => number }): Running {
  const written: Row[] = [];
  const results: WindowResult<number>[] = [];
  const inner = embeddedSink.create(viewsSpec, { job: 'views' }, { dir: `${dir}/views` });
  const sink: Sink = {
    guarantee: inner.guarantee,
    open: () => inner.open(),
    positions: () => inner.positions(),
    scan: () => inner.scan(),
    close: () => inner.close(),
    write: async (batch) => {
      await inner.write(batch);
      written.push(...batch.rows);
    },
  };
  const base = viewsJob('views', sink);
  const controller = new AbortController();
  let checkpointed: WindowedCounts['windows'] | undefined;
  const run = (async () => {
    const state = await openEmbeddedStateStore({ file: `${dir}/state.sqlite` });
    try {
      return await runWindowedJob(
        { ...base, earlyFiringMs: options.earlyFiringMs, row: (r) => (results.push(r), base.row(r)) },
        { log, state, signal: controller.signal, onCheckpoint: (c) => (checkpointed = { ...c.windows }), ...(options.now && { now: options.now }) },
      );
    } finally {
      await state.close();
    }
  })();
  return { written, results, checkpointed: () => checkpointed, stop: () => (controller.abort(), run) };
}

async function send(log: Log, part: Click[]): Promise<void> {
  await log.producer().send(part.map((c) => ({ topic: 'clicks', key: Buffer.from(String(c.user)), value: Buffer.from(JSON.stringify(c)) })));
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The latest row written per (product, window_start) for windows starting at `start`, as in the sink. */
function current(written: Row[], start: number): Row[] {
  const latest = new Map<string, Row>();
  for (const row of written) if (row.window_start === start) latest.set(String(row.product), row);
  return [...latest.values()].sort((a, b) => String(a.product).localeCompare(String(b.product)));
}

const partial = (part: Click[]) => expectedViews(part).filter((r) => r.window_start === OPEN);

async function readSink(dir: string): Promise<Row[]> {
  const reader = embeddedSink.create(viewsSpec, { job: 'check' }, { dir: `${dir}/views` });
  await reader.open();
  const rows = await reader.scan();
  await reader.close();
  return rows.filter((r) => r.product !== 'end');
}

async function setUp() {
  const dir = await tempDir();
  const log = await openEmbeddedLog({ dir: `${dir}/log`, fsync: { mode: 'never' } });
  await log.admin().createTopic('clicks', { partitions: 2 });
  return { dir, log, all: clicks() };
}

describe('runWindowedJob with earlyFiringMs', () => {
  it('should write growing partial counts of a window before it closes, and the exact counts once it does', async () => {
    const { dir, log, all } = await setUp();
    const job = start(log, dir, { earlyFiringMs: 50 });
    try {
      await send(log, all.slice(0, SLICE_A));
      const wantA = partial(all.slice(0, SLICE_A));
      expect(wantA.length).toBeGreaterThan(0);
      await waitFor('the partial counts of the first slice', () => JSON.stringify(current(job.written, OPEN)) === JSON.stringify(wantA));
      await send(log, all.slice(SLICE_A, SLICE_B));
      const wantB = partial(all.slice(0, SLICE_B));
      await waitFor('the partial counts of the second slice', () => JSON.stringify(current(job.written, OPEN)) === JSON.stringify(wantB));
      expect(job.results.filter((r) => r.window.start === OPEN && r.final)).toEqual([]);
      await send(log, all.slice(SLICE_B));
      const want = expectedViews(all);
      await waitFor('the final counts', () => job.results.filter((r) => r.final && r.key !== 'end').length === want.length);
    } finally {
      await job.stop();
    }
    expect(await readSink(dir)).toEqual(expectedViews(all));
    // Per product, the open window's results grow, and its one final result comes last.
    for (const { product } of partial(all)) {
      const mine = job.results.filter((r) => r.key === product && r.window.start === OPEN);
      expect(mine.filter((r) => r.final)).toHaveLength(1);
      expect(mine.at(-1)?.final).toBe(true);
      const counts = mine.map((r) => r.result);
      expect(counts).toEqual([...counts].sort((a, b) => a - b));
      expect(new Set(counts).size).toBeGreaterThanOrEqual(2);
    }
    await log.close();
  }, 30_000);

  it('should keep its early-firing timers through a restart from its checkpoint', async () => {
    const { dir, log, all } = await setUp();
    const earlyFiringMs = 600_000;
    const sliceA = all.slice(0, SLICE_A);
    await send(log, sliceA);
    // First run: every key gets a timer ten minutes out, so nothing is emitted early.
    const first = start(log, dir, { earlyFiringMs });
    const startedAt = Date.now();
    await waitFor('the first slice to be checkpointed', () => first.checkpointed()?.in === SLICE_A);
    const firstCounts = await first.stop();
    expect(firstCounts.windows.in).toBe(SLICE_A);
    expect(first.results.filter((r) => !r.final)).toEqual([]);
    expect(current(first.written, OPEN)).toEqual([]);

    const state = await openEmbeddedStateStore({ file: `${dir}/state.sqlite` });
    const timers: WindowOperatorSnapshot['timers']['timers'] = [];
    for (const partition of [0, 1]) {
      const saved = await state.get('job.views.windows', `partition/${partition}`);
      if (saved) timers.push(...(JSON.parse(saved.toString('utf8')) as { operator: WindowOperatorSnapshot }).operator.timers.timers);
    }
    await state.close();
    expect(new Set(timers.map((t) => t.key))).toEqual(new Set(sliceA.map((c) => c.product)));
    for (const timer of timers) {
      expect(timer.tag).toBe('early');
      expect(timer.atMs).toBeGreaterThanOrEqual(startedAt + earlyFiringMs);
    }

    // Second run, eleven minutes later by its clock, with no new records: only the restored timers
    // can make it write the open window's partial counts.
    const second = start(log, dir, { earlyFiringMs, now: () => Date.now() + 660_000 });
    const wantA = partial(sliceA);
    try {
      await waitFor('the restored timers to fire', () => JSON.stringify(current(second.written, OPEN)) === JSON.stringify(wantA));
    } finally {
      const secondCounts = await second.stop();
      expect(secondCounts.windows.in).toBe(0);
    }
    expect(second.results.every((r) => !r.final)).toBe(true);

    // Third run: the rest of the clicks close every window with exact counts.
    await send(log, all.slice(SLICE_A));
    const third = start(log, dir, { earlyFiringMs });
    const want = expectedViews(all);
    const finalsBefore = first.results.filter((r) => r.final && r.key !== 'end').length;
    try {
      await waitFor('the final counts', () => finalsBefore + third.results.filter((r) => r.final && r.key !== 'end').length === want.length);
    } finally {
      await third.stop();
    }
    expect(await readSink(dir)).toEqual(want);
    await log.close();
  }, 30_000);

  it('should refuse an earlyFiringMs that is not a positive integer', async () => {
    const { dir, log } = await setUp();
    const job = start(log, dir, { earlyFiringMs: 0 });
    await expect(job.stop()).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('earlyFiringMs must be a positive integer') as unknown });
    await log.close();
  });
});
