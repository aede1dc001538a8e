import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';
import { embeddedSink } from '../../src/sinks/embedded/embedded-sink.ts';
import { clicks, expectedViews } from '../stream/fixtures/clicks.ts';
import { cli, tempDir } from '../support/cli.ts';
import { startWorker } from '../support/worker-process.ts';

const pipeline = path.resolve(import.meta.dirname, '../stream/fixtures/views-pipeline.ts');

describe('tributary worker', () => {
  it('should run every job of a pipeline module on the embedded log until interrupted, and stop cleanly', async () => {
    const dir = await tempDir();
    const log = await openEmbeddedLog({ dir: `${dir}/log` });
    await log.admin().createTopic('clicks', { partitions: 2 });
    const all = clicks();
    await log.producer().send(all.map((c) => ({ topic: 'clicks', key: Buffer.from(c.product), value: Buffer.from(JSON.stringify(c)) })));
    await log.close();

    const worker = startWorker(pipeline, ['--data-dir', dir, '--metrics-port', '0'], {});
    await worker.seen(/^views: in 3001 /m);
    await worker.seen(/^p0-clicks: in 3001 /m);
    const metricsUrl = /metrics at (\S+)/.exec(worker.output().stdout)![1]!;
    // The watermark comes on the job's next watermark tick after its records, which a busy machine
    // can delay past the progress line: scrape until the gauge has it.
    const lag = /tributary_stream_watermark_lag_seconds\{job="views"\} \d+/;
    const deadline = Date.now() + 20_000;
    let metrics = await (await fetch(metricsUrl)).text();
    while (!lag.test(metrics) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      metrics = await (await fetch(metricsUrl)).text();
    }
    expect(metrics).toContain('tributary_stream_records_total{job="p0-clicks",step="only-p0",outcome="out"} 600');
    expect(metrics).toMatch(lag);
    worker.kill('SIGINT');
    expect(await worker.exited).toBe(0);
    expect(worker.output().stdout).toMatch(/stopped\n$/);

    const views = embeddedSink.create({ name: 'views_per_product', columns: { product: 'text', window_start: 'bigint', window_end: 'bigint', views: 'bigint' }, key: ['product', 'window_start'] }, { job: 'check' }, { dir: `${dir}/views` });
    await views.open();
    expect((await views.scan()).filter((r) => r.product !== 'end')).toEqual(expectedViews(all));
    await views.close();
    const p0 = embeddedSink.create({ name: 'p0_clicks', columns: { at: 'bigint', usr: 'bigint' }, key: ['at', 'usr'] }, { job: 'check' }, { dir: `${dir}/views` });
    await p0.open();
    expect((await p0.scan()).length).toBe(new Set(all.filter((c) => c.product === 'p0').map((c) => `${c.at}|${c.user}`)).size);
    await p0.close();
  });

  it('should say which jobs a module defines when asked for one it lacks', async () => {
    const dir = await tempDir();
    const result = await cli(['worker', pipeline, '--job', 'nope', '--data-dir', dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no stream job named nope');
    expect(result.stderr).toContain('the loaded pipelines have views, p0-clicks');
  });

  it('should refuse a module that does not export its jobs', async () => {
    const dir = await tempDir();
    const result = await cli(['worker', path.resolve(import.meta.dirname, '../stream/fixtures/clicks.ts'), '--data-dir', dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('must export default definePipeline');
  });
});
