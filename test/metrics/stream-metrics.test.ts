import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';
import { LATENCY_SAMPLE_EVERY, StreamMetrics } from '../../src/metrics/stream-metrics.ts';
import { embeddedSink } from '../../src/sinks/embedded/embedded-sink.ts';
import { Pipeline } from '../../src/stream/pipeline.ts';
import { runStreamJob } from '../../src/stream/runner.ts';
import { count } from '../../src/stream/time/aggregate.ts';
import { tumbling } from '../../src/stream/time/windows.ts';
import { runWindowedJob } from '../../src/stream/windowed-runner.ts';
import { openEmbeddedStateStore } from '../../src/state/embedded/embedded-state.ts';
import { tempDir } from '../support/cli.ts';

const click = z.object({ user: z.number().int(), product: z.number().int() });

/** The value of one series of a scraped metric, found by its labels. */
async function value(registry: Registry, name: string, labels: Record<string, string>, suffix = ''): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const series = (metric?.values ?? []) as { metricName?: string; labels: Record<string, string | number>; value: number }[];
  return series.find((s) => (s.metricName ?? name) === name + suffix && Object.entries(labels).every(([k, v]) => String(s.labels[k]) === v))?.value;
}

describe('StreamMetrics', () => {
  it('should report per-operator counts, consumer lag and event-to-sink latency of a running job', async () => {
    const log = await openEmbeddedLog({ dir: await tempDir() });
    await log.admin().createTopic('clicks', { partitions: 2 });
    const total = 1000;
    const values = Array.from({ length: total }, (_, i) => (i % 100 === 99 ? 'not json' : JSON.stringify({ user: i, product: i % 5 })));
    await log.producer().send(values.map((v, i) => ({ topic: 'clicks', key: Buffer.from(`k${i}`), value: Buffer.from(v) })));

    const registry = new Registry();
    const admin = log.admin();
    const metrics = await StreamMetrics.create(registry, { groupLag: (group) => admin.groupLag(group) });
    // Before the job runs, the whole topic is lag (nothing committed: no series yet).
    const pipeline = Pipeline.from('clicks', click).filter((c) => c.product !== 0, 'skip-product-0').map((c) => ({ ...c, seen: true }), 'mark');
    const controller = new AbortController();
    let scrapedWhileRunning: number | undefined;
    const counts = await runStreamJob(
      { name: 'metered', pipeline, output: { kind: 'topic', topic: 'clicks-out' }, batchRecords: 100, batchMs: 20 },
      {
        log,
        signal: controller.signal,
        metrics,
        onBatch: (c) => {
          if (c.in < total) return;
          void value(registry, 'tributary_stream_records_total', { job: 'metered', step: 'job', outcome: 'in' }).then((v) => {
            scrapedWhileRunning = v;
            controller.abort();
          });
        },
      },
    );

    expect(scrapedWhileRunning).toBe(total);
    expect(counts).toMatchObject({ in: 1000, out: 790, filtered: 200, deadLettered: 10 });
    // The job is gone from the probes, but the counter keeps what it reported.
    const job = (outcome: string, step = 'job') => value(registry, 'tributary_stream_records_total', { job: 'metered', step, outcome });
    expect(await job('in')).toBe(1000);
    expect(await job('out')).toBe(790);
    expect(await job('filtered')).toBe(200);
    expect(await job('dead_lettered')).toBe(10);
    expect(await job('filtered', 'skip-product-0')).toBe(200);
    expect(await job('in', 'mark')).toBe(790);
    const sampled = await value(registry, 'tributary_stream_event_to_sink_seconds', { job: 'metered' }, '_count');
    expect(sampled).toBe(Math.ceil(total / LATENCY_SAMPLE_EVERY));
    const slow = await value(registry, 'tributary_stream_event_to_sink_seconds', { job: 'metered', le: '10' }, '_bucket');
    expect(slow).toBe(sampled);

    // A registered job's group lag is read at scrape time: 300 new records wait for it.
    await log.producer().send(Array.from({ length: 300 }, (_, i) => ({ topic: 'clicks', key: Buffer.from(`n${i}`), value: Buffer.from('{}') })));
    const unregister = metrics.register('metered', { operators: () => [], groups: ['job.metered'] });
    const lag = await Promise.all([0, 1].map((p) => value(registry, 'tributary_stream_consumer_lag_records', { job: 'metered', topic: 'clicks', partition: String(p) })));
    expect(lag.reduce((a, b) => a! + b!, 0)).toBe(300);
    unregister();
    expect(await value(registry, 'tributary_stream_consumer_lag_records', { job: 'metered' })).toBeUndefined();
    await admin.close();
    await log.close();
  });

  it('should report the watermark lag and the window stage of a windowed job', async () => {
    const dir = await tempDir();
    const log = await openEmbeddedLog({ dir });
    const state = await openEmbeddedStateStore({ file: `${dir}/state.sqlite` });
    await log.admin().createTopic('clicks', { partitions: 2 });
    const start = Date.now() - 60_000;
    await log.producer().send(Array.from({ length: 200 }, (_, i) => ({ topic: 'clicks', key: Buffer.from(`k${i}`), value: Buffer.from(JSON.stringify({ user: i, product: i % 3 })), timestamp: start + i * 100 })));
    const registry = new Registry();
    const metrics = await StreamMetrics.create(registry);
    const sink = embeddedSink.create({ name: 'per_product', columns: { product: 'integer', window_start: 'bigint', clicks: 'bigint' }, key: ['product', 'window_start'] }, { job: 'windowed' }, { dir: `${dir}/views` });
    const controller = new AbortController();
    let watermarkLag: number | undefined;
    await runWindowedJob(
      {
        name: 'windowed',
        pipeline: Pipeline.from('clicks', click),
        keyBy: (c) => String(c.product),
        window: tumbling(5_000),
        aggregator: count<z.output<typeof click>>(),
        sink,
        row: (r) => ({ product: Number(r.key), window_start: r.window.start, clicks: r.result }),
        checkpointMs: 50,
        maxOutOfOrdernessMs: 0,
      },
      {
        log,
        state,
        signal: controller.signal,
        metrics,
        onCheckpoint: (c) => {
          if (c.windows.in < 200) return;
          void value(registry, 'tributary_stream_watermark_lag_seconds', { job: 'windowed' }).then((v) => {
            watermarkLag = v;
            controller.abort();
          });
        },
      },
    );
    // The newest event is about 40 s old, so the watermark trails processing time by about that.
    expect(watermarkLag).toBeGreaterThan(35);
    expect(watermarkLag).toBeLessThan(120);
    expect(await value(registry, 'tributary_stream_records_total', { job: 'windowed', step: 'windows', outcome: 'in' })).toBe(200);
    expect(await value(registry, 'tributary_stream_records_total', { job: 'windowed', step: 'job', outcome: 'in' })).toBe(200);
    expect(await value(registry, 'tributary_stream_event_to_sink_seconds', { job: 'windowed' }, '_count')).toBeGreaterThan(0);
    await state.close();
    await log.close();
  });
});
