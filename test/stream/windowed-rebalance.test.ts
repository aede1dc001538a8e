import { describe, expect, it, onTestFinished } from 'vitest';
import { z } from 'zod';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';
import type { LogAdmin } from '../../src/log/log.ts';
import { partitionForKey } from '../../src/log/partitioner.ts';
import { embeddedSink } from '../../src/sinks/embedded/embedded-sink.ts';
import type { Row, TableSpec } from '../../src/sinks/sink.ts';
import { openEmbeddedStateStore } from '../../src/state/embedded/embedded-state.ts';
import { Pipeline } from '../../src/stream/pipeline.ts';
import { count } from '../../src/stream/time/aggregate.ts';
import type { WindowResult } from '../../src/stream/time/window-operator.ts';
import { tumbling } from '../../src/stream/time/windows.ts';
import { repartitionTopic, runWindowedJob, type WindowedCounts } from '../../src/stream/windowed-runner.ts';
import { tempDir } from '../support/cli.ts';
import { logWatch, watchedLog, type LogWatch } from './fixtures/watched-log.ts';

const click = z.object({ user: z.number(), product: z.string(), at: z.number() });
type Click = z.infer<typeof click>;

const JOB = 'views';
const STAGE1_GROUP = `job.${JOB}`;
const WINDOWS_GROUP = `job.${JOB}.windows`;
const REPARTITION = repartitionTopic(JOB);
const PARTITIONS = 4;
const WINDOW = 10_000;
/**
 * Each round of input covers this much event time, and the next round is only produced once the
 * job has read the previous one. With the allowed out-of-orderness equal to a round, no record can
 * be late however the two workers' stage-1 outputs interleave inside a round, so a late record or a
 * wrong count is the runner's doing, not the input's.
 */
const ROUND = 5_000;
const ROUNDS = 12;
const PRODUCTS = Array.from({ length: 12 }, (_, i) => `p${i}`);
const END = 10_000_000;
const spec: TableSpec = { name: 'views_per_product', columns: { product: 'text', window_start: 'bigint', window_end: 'bigint', views: 'bigint' }, key: ['product', 'window_start'] };
const viewsRow = (r: WindowResult<number>): Row => ({ product: r.key, window_start: r.window.start, window_end: r.window.end, views: r.result });

/** mulberry32: the same input on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Raw values of round r: clicks at event times in [r·ROUND, (r+1)·ROUND), some bots (filtered) and two malformed (dead-lettered). */
function round(r: number, rand: () => number): string[] {
  const values: string[] = [];
  for (let i = 0; i < 200; i++) {
    const c: Click = { user: Math.floor(rand() * 50), product: PRODUCTS[Math.floor(rand() * PRODUCTS.length)]!, at: r * ROUND + Math.floor(rand() * ROUND) };
    values.push(JSON.stringify(c));
  }
  for (let i = 0; i < 5; i++) values.push(JSON.stringify({ user: i, product: 'bot', at: r * ROUND }));
  values.push(JSON.stringify({ user: 'nobody', product: 'p0', at: r * ROUND }), 'not json');
  return values;
}

/** One click per repartition partition, far in the future, so every window of every partition closes. */
function endMarkers(): string[] {
  const byPartition = new Map<number, string>();
  for (let i = 0; byPartition.size < PARTITIONS; i++) {
    const product = `end-${i}`;
    const partition = partitionForKey(Buffer.from(product), PARTITIONS);
    if (!byPartition.has(partition)) byPartition.set(partition, JSON.stringify({ user: 0, product, at: END }));
  }
  return [...byPartition.values()];
}

/** How the pipeline should end a raw value, decided without it. */
function outcome(value: string): 'out' | 'filtered' | 'dead-lettered' {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return 'dead-lettered';
  }
  const checked = click.safeParse(parsed);
  if (!checked.success) return 'dead-lettered';
  return checked.data.product === 'bot' ? 'filtered' : 'out';
}

/** The brute-force answer: views per product and tumbling window, straight from the input. */
function expected(values: readonly string[]): Row[] {
  const byWindow = new Map<string, { product: string; window_start: number; window_end: number; views: number }>();
  for (const value of values) {
    if (outcome(value) !== 'out') continue;
    const { product, at } = click.parse(JSON.parse(value));
    if (product.startsWith('end-')) continue;
    const start = Math.floor(at / WINDOW) * WINDOW;
    const row = byWindow.get(`${product}|${start}`) ?? { product, window_start: start, window_end: start + WINDOW, views: 0 };
    row.views++;
    byWindow.set(`${product}|${start}`, row);
  }
  return [...byWindow.values()].sort((a, b) => a.product.localeCompare(b.product) || a.window_start - b.window_start);
}

interface Worker {
  watch: LogWatch;
  stop: () => void;
  done: Promise<WindowedCounts>;
}

/** Records of `topic` (in `partitions`, default all) that `group` has not committed yet. */
async function lag(admin: LogAdmin, group: string, topic: string, partitions?: readonly number[]): Promise<number> {
  const committed = new Map((await admin.groupLag(group)).filter((l) => l.topic === topic).map((l) => [l.partition, l.committedOffset ?? 0]));
  const { partitions: all } = await admin.describeTopic(topic);
  return all.filter((p) => !partitions || partitions.includes(p.partition)).reduce((n, p) => n + p.endOffset - (committed.get(p.partition) ?? 0), 0);
}

/** The partitions a worker's consumer in `group` owns now. */
function owned(worker: Worker | undefined, group = WINDOWS_GROUP): number[] {
  return (worker?.watch.consumers.get(group)?.assignment() ?? []).map((tp) => tp.partition).sort();
}

/**
 * One embedded log, one state store shared by the workers (the embedded store is one per file in a
 * process) and one table file, which each worker's sink and the test's reader open on their own.
 */
async function setUp() {
  const dir = await tempDir();
  const log = await openEmbeddedLog({ dir: `${dir}/log`, fsync: { mode: 'never' } });
  onTestFinished(() => log.close());
  await log.admin().createTopic('clicks', { partitions: PARTITIONS });
  const state = await openEmbeddedStateStore({ file: `${dir}/state.sqlite` });
  onTestFinished(() => state.close());
  const reader = embeddedSink.create(spec, { job: 'check' }, { dir: `${dir}/views` });
  await reader.open();
  onTestFinished(() => reader.close());
  const admin = log.admin();
  const producer = log.producer();
  const sent: string[] = [];
  /** A worker that fails makes the test fail with its error, not with a symptom of it. */
  const failures: unknown[] = [];

  const start = (row: (r: WindowResult<number>) => Row = viewsRow): Worker => {
    const watch = logWatch();
    const controller = new AbortController();
    const done = runWindowedJob(
      {
        name: JOB,
        pipeline: Pipeline.from('clicks', click).filter((c) => c.product !== 'bot', 'no-bots'),
        keyBy: (c) => c.product,
        eventTime: (c) => c.at,
        window: tumbling(WINDOW),
        aggregator: count<Click>(),
        maxOutOfOrdernessMs: ROUND,
        idleTimeoutMs: 200,
        sink: embeddedSink.create(spec, { job: JOB }, { dir: `${dir}/views` }),
        row,
        checkpointMs: 50,
      },
      { log: watchedLog(log, watch), state, signal: controller.signal },
    );
    done.catch((error: unknown) => failures.push(error));
    // A worker is never left running, whatever happened to the test.
    onTestFinished(async () => {
      controller.abort();
      await done.catch(() => undefined);
    });
    return { watch, stop: () => controller.abort(), done };
  };

  const until = async (condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (failures.length > 0) throw failures[0];
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  const send = async (values: string[]) => {
    const base = sent.length;
    sent.push(...values);
    await producer.send(values.map((v, i) => ({ topic: 'clicks', key: Buffer.from(`k${base + i}`), value: Buffer.from(v) })));
  };

  /** Stage 1 has read everything sent, and the windows stage everything it wrote (in `partitions`, default all). */
  const read = async (partitions?: readonly number[]) => (await lag(admin, STAGE1_GROUP, 'clicks')) === 0 && (await lag(admin, WINDOWS_GROUP, REPARTITION, partitions)) === 0;

  /** The sink's rows without the end markers' windows. */
  const views = async () => (await reader.scan()).filter((r) => !(r.product as string).startsWith('end-'));

  /** Close every window, wait for the views to match the input (or 20 s), and stop the last worker. */
  const finish = async (last: Worker) => {
    await send(endMarkers());
    const want = expected(sent);
    await until(() => read(), 'the end markers to be read');
    // On a timeout the assertions after this show the difference; a failed worker fails the test here.
    await until(async () => JSON.stringify(await views()) === JSON.stringify(want), 'the views to match the input', 10_000).catch((error: unknown) => {
      if (failures.length > 0) throw error;
    });
    last.stop();
    return { want, counts: await last.done };
  };

  return { state, start, until, send, sent, read, views, finish };
}

/** Two workers, each owning half of the partitions of both stages' topics. */
async function twoWorkers(h: Awaited<ReturnType<typeof setUp>>): Promise<[Worker, Worker]> {
  const a = h.start();
  await h.until(() => owned(a).length === PARTITIONS, 'worker A to own every partition');
  const b = h.start();
  await h.until(() => owned(b).length === PARTITIONS / 2 && owned(b, STAGE1_GROUP).length === PARTITIONS / 2, 'worker B to join both groups');
  for (const group of [STAGE1_GROUP, WINDOWS_GROUP]) {
    expect(owned(a, group)).toHaveLength(PARTITIONS / 2);
    expect([...owned(a, group), ...owned(b, group)].sort()).toEqual([0, 1, 2, 3]);
  }
  return [a, b];
}

interface Checkpoint {
  position: number;
  operator: { windows: unknown[] };
}

/**
 * Every worker's stage 1 accounted for each record it read (in = out + filtered + dead-lettered),
 * and between them they read every input record once. Not after a join: a log consumer sees a
 * record at least once, and a member that joins starts at the committed offsets, before what the
 * other one had read but not yet committed.
 */
function expectStage1(sent: readonly string[], all: WindowedCounts[], options = { readOnce: true }): void {
  for (const { stage1 } of all) expect(stage1.in).toBe(stage1.out + stage1.filtered + stage1.deadLettered);
  const sum = (pick: (c: WindowedCounts) => number) => all.reduce((n, c) => n + pick(c), 0);
  if (!options.readOnce) {
    expect(sum((c) => c.stage1.in)).toBeGreaterThanOrEqual(sent.length);
    return;
  }
  expect({ in: sum((c) => c.stage1.in), filtered: sum((c) => c.stage1.filtered), deadLettered: sum((c) => c.stage1.deadLettered) }).toEqual({
    in: sent.length,
    filtered: sent.filter((v) => outcome(v) === 'filtered').length,
    deadLettered: sent.filter((v) => outcome(v) === 'dead-lettered').length,
  });
}

describe('a windowed job on two workers', () => {
  it('should count exactly when one worker stops with windows open and the other takes its partitions over', { timeout: 60_000 }, async () => {
    expect(new Set(PRODUCTS.map((p) => partitionForKey(Buffer.from(p), PARTITIONS))).size).toBe(PARTITIONS);
    const h = await setUp();
    const rand = random(42);
    const [a, b] = await twoWorkers(h);

    const half = ROUNDS / 2;
    for (let r = 0; r < half; r++) {
      await h.send(round(r, rand));
      await h.until(() => h.read(), `round ${r} to be read`);
    }
    // Midway through a round, with the windows of the last rounds open, worker B stops.
    const middle = round(half, rand);
    const third = Math.ceil(middle.length / 3);
    await h.send(middle.slice(0, third));
    await h.until(() => h.read(), 'the first third of the round to be read');
    await h.send(middle.slice(third, 2 * third));
    const bPartitions = owned(b);
    // B's last checkpoint, read as B leaves the windows group: A may take the partitions over, and
    // checkpoint them itself, before B's other stage has stopped.
    const checkpoints = new Map<number, Checkpoint>();
    b.watch.beforeClose = async (group) => {
      if (group !== WINDOWS_GROUP) return;
      for (const partition of bPartitions) {
        const saved = await h.state.get(WINDOWS_GROUP, `partition/${partition}`);
        checkpoints.set(partition, JSON.parse(saved!.toString('utf8')) as Checkpoint);
      }
    };
    b.stop();
    const bCounts = await b.done;
    expect(bCounts.windows.in).toBeGreaterThan(0);

    // B's last checkpoint holds open windows for each of its partitions.
    expect([...checkpoints.keys()].sort()).toEqual(bPartitions);
    for (const checkpoint of checkpoints.values()) {
      expect(checkpoint.position).toBeGreaterThan(0);
      expect(checkpoint.operator.windows.length).toBeGreaterThan(0);
    }

    await h.send(middle.slice(2 * third));
    for (let r = half + 1; r < ROUNDS; r++) {
      await h.send(round(r, rand));
      await h.until(() => h.read(), `round ${r} to be read`);
    }
    // A took B's partitions over, each from the position of B's last checkpoint.
    expect(owned(a)).toEqual([0, 1, 2, 3]);
    for (const [partition, checkpoint] of checkpoints) expect(a.watch.seeks.get(WINDOWS_GROUP)?.get(partition)).toBe(checkpoint.position);
    const { want, counts: aCounts } = await h.finish(a);

    expect(await h.views()).toEqual(want);
    expect(aCounts.windows.late + bCounts.windows.late).toBe(0);
    expectStage1(h.sent, [aCounts, bCounts]);
  });

  it('should count exactly when the worker that stops had fallen behind the one taking over', { timeout: 60_000 }, async () => {
    const h = await setUp();
    const rand = random(7);
    const [a, b] = await twoWorkers(h);
    let r = 0;
    for (; r < 3; r++) {
      await h.send(round(r, rand));
      await h.until(() => h.read(), `round ${r} to be read`);
    }
    // B's windows stage receives nothing for a while, as a worker stuck in a long pause would, while A
    // keeps up; then B stops, and A replays B's partitions from B's last checkpoint.
    b.watch.stalled.add(WINDOWS_GROUP);
    for (; r < 8; r++) {
      await h.send(round(r, rand));
      await h.until(() => h.read(owned(a)), `round ${r} to be read by worker A`);
    }
    b.stop();
    const bCounts = await b.done;
    for (; r < ROUNDS; r++) {
      await h.send(round(r, rand));
      await h.until(() => h.read(), `round ${r} to be read`);
    }
    const { want, counts: aCounts } = await h.finish(a);

    expect(await h.views()).toEqual(want);
    expect(aCounts.windows.late + bCounts.windows.late).toBe(0);
    expectStage1(h.sent, [aCounts, bCounts]);
  });

  it('should count exactly when a second worker joins while the first is writing a batch', { timeout: 60_000 }, async () => {
    const h = await setUp();
    const rand = random(99);
    const a = h.start();
    await h.until(() => owned(a).length === PARTITIONS, 'worker A to own every partition');
    let r = 0;
    for (; r < 3; r++) {
      await h.send(round(r, rand));
      await h.until(() => h.read(), `round ${r} to be read`);
    }
    // B joins the moment A's stage 1 has read records it has not yet written and committed.
    let b: Worker | undefined;
    a.watch.onPoll = (group) => {
      if (group === STAGE1_GROUP && !b) b = h.start();
    };
    await h.send(round(r++, rand));
    await h.until(() => owned(b).length === PARTITIONS / 2 && owned(b, STAGE1_GROUP).length === PARTITIONS / 2, 'worker B to join both groups');
    await h.until(() => h.read(), `round ${r - 1} to be read`);
    for (; r < ROUNDS; r++) {
      await h.send(round(r, rand));
      await h.until(() => h.read(), `round ${r} to be read`);
    }
    b!.stop();
    const bCounts = await b!.done;
    const { want, counts: aCounts } = await h.finish(a);

    expect(await h.views()).toEqual(want);
    expect(aCounts.windows.late + bCounts.windows.late).toBe(0);
    expectStage1(h.sent, [aCounts, bCounts], { readOnce: false });
  });

  it('should leave both groups when its windows stage fails, so that other workers can take its partitions', { timeout: 30_000 }, async () => {
    const h = await setUp();
    // A row the sink refuses (text in a bigint column) fails the windows stage at its next checkpoint.
    const worker = h.start((r) => ({ ...viewsRow(r), views: `${r.result} views` }));
    await h.send([...round(0, random(1)), ...endMarkers()]);
    await expect(worker.done).rejects.toMatchObject({ code: 'SINK_REJECTED' });
    expect([...worker.watch.closed].sort()).toEqual([STAGE1_GROUP, WINDOWS_GROUP]);
  });
});
