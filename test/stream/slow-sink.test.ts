import { describe, expect, it, onTestFinished } from 'vitest';
import { z } from 'zod';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';
import type { RecordPosition } from '../../src/log/log.ts';
import type { Row, Sink, SinkWrite } from '../../src/sinks/sink.ts';
import { Pipeline } from '../../src/stream/pipeline.ts';
import { runStreamJob } from '../../src/stream/runner.ts';
import { tempDir } from '../support/cli.ts';

/** 1,000,000 records take about 2 s to produce and 15 s to run through the job on a 2-core machine. */
const RECORDS = 1_000_000;
const BATCH = 1000;
/** 10 ms per batch of 1,000: the sink takes 10 s in all, far slower than reading, so reading has to wait for it. */
const WRITE_MS = 10;
/**
 * Peak RSS over RSS after producing. The job should hold a few batches (up to three sealed batches
 * of 1,000 records of ~200 bytes waiting for their writes, their parsed values and rows: a few MB)
 * and up to 1 MiB read per partition per poll; the rest is V8 heap slack that depends on when the GC
 * runs. Measured on a 2-core machine: 6–36 MiB alone, up to 87 MiB with the other stream tests
 * running beside it. A runner that kept reading while writes queued up (no backpressure) grew by
 * 210–232 MiB in this same test, holding nearly every row. 150 MB sits between the two: ~1.7x the
 * worst healthy run, ~60 MB under the best broken one.
 */
const MAX_GROWTH = 150 * 1024 * 1024;

const event = z.object({ id: z.number().int(), kind: z.string(), pad: z.string() });
type Event = z.infer<typeof event>;

/** A value of ~200 bytes. */
function value(id: number): Buffer {
  const json = JSON.stringify({ id, kind: 'view', pad: '' });
  return Buffer.from(JSON.stringify({ id, kind: 'view', pad: 'x'.repeat(200 - json.length) }));
}

/** A sink as slow as a remote store on a bad day: every write sleeps. It keeps one bit per id, not the rows. */
class SlowSink implements Sink {
  readonly guarantee = 'idempotent';
  readonly seen = new Uint8Array(RECORDS);
  received = 0;
  repeated = 0;
  writes = 0;
  largestWrite = 0;
  inFlight = 0;
  mostInFlight = 0;
  peakRss = 0;

  open(): Promise<void> {
    return Promise.resolve();
  }

  positions(): Promise<RecordPosition[]> {
    return Promise.resolve([]);
  }

  async write(batch: SinkWrite): Promise<void> {
    this.inFlight++;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    this.peakRss = Math.max(this.peakRss, process.memoryUsage().rss);
    try {
      await new Promise((resolve) => setTimeout(resolve, WRITE_MS));
      for (const row of batch.rows) {
        const id = row.id as number;
        if (this.seen[id]) this.repeated++;
        this.seen[id] = 1;
      }
      this.received += batch.rows.length;
      this.writes++;
      this.largestWrite = Math.max(this.largestWrite, batch.rows.length);
    } finally {
      this.inFlight--;
    }
  }

  scan(): Promise<Row[]> {
    return Promise.resolve([]);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('a stream job into a slow sink', () => {
  it('should read no faster than the sink writes, keeping memory bounded, and deliver every record', { timeout: 120_000 }, async () => {
    const log = await openEmbeddedLog({ dir: await tempDir(), fsync: { mode: 'never' } });
    onTestFinished(() => log.close());
    await log.admin().createTopic('events', { partitions: 4 });
    const producer = log.producer();
    // In small sends, so that producing leaves little heap behind to hide growth in.
    for (let i = 0; i < RECORDS; i += 2000) {
      await producer.send(Array.from({ length: Math.min(2000, RECORDS - i) }, (_, j) => ({ topic: 'events', key: Buffer.from(String(i + j)), value: value(i + j) })));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    const baseline = process.memoryUsage().rss;

    const sink = new SlowSink();
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    onTestFinished(() => clearInterval(sampler));
    const controller = new AbortController();
    const counts = await runStreamJob<Event>(
      { name: 'slow', pipeline: Pipeline.from('events', event), output: { kind: 'table', sink, row: (e) => ({ ...e }) }, batchRecords: BATCH, batchMs: 1000 },
      { log, signal: controller.signal, onBatch: (c) => c.in >= RECORDS && controller.abort() },
    );
    clearInterval(sampler);
    peak = Math.max(peak, sink.peakRss);

    expect({ in: counts.in, out: counts.out, filtered: counts.filtered, deadLettered: counts.deadLettered }).toEqual({ in: RECORDS, out: RECORDS, filtered: 0, deadLettered: 0 });
    expect({ received: sink.received, repeated: sink.repeated, missing: sink.seen.indexOf(0) }).toEqual({ received: RECORDS, repeated: 0, missing: -1 });
    // One sink write at a time, never more than the batch size.
    expect(sink.mostInFlight).toBe(1);
    expect(sink.largestWrite).toBeLessThanOrEqual(BATCH);
    expect(sink.writes).toBeGreaterThanOrEqual(RECORDS / BATCH);
    expect(peak - baseline, `RSS grew by ${Math.round((peak - baseline) / 2 ** 20)} MiB`).toBeLessThan(MAX_GROWTH);
  });
});
