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

  it('should serve the UI, the local API and /metrics with --port, behind the API key when one is set', async () => {
    const dir = await tempDir();
    const key = 'k'.repeat(24);
    const log = await openEmbeddedLog({ dir: `${dir}/log` });
    await log.admin().createTopic('clicks', { partitions: 2 });
    await log.producer().send(clicks().map((c) => ({ topic: 'clicks', key: Buffer.from(c.product), value: Buffer.from(JSON.stringify(c)) })));
    await log.close();
    const worker = startWorker(pipeline, ['--data-dir', dir, '--port', '0'], { TRIBUTARY_SERVER_API_KEY: key });
    await worker.seen(/UI, API and metrics at (\S+)/);
    const url = /UI, API and metrics at (\S+)/.exec(worker.output().stdout)![1]!;
    // The page itself is public (it asks for the key); it is the build, or a 503 naming `npm run build`.
    const page = await fetch(`${url}/`);
    expect([200, 503]).toContain(page.status);
    if (page.status === 200) expect(await page.text()).toContain('<div id="root">');
    else expect(await page.text()).toContain('npm run build');
    expect((await fetch(`${url}/api/status`)).status).toBe(401);
    const auth = { authorization: `Bearer ${key}` };
    const status = (await (await fetch(`${url}/api/status`, { headers: auth })).json()) as { pid: number; pipelines: { name: string }[]; parts: { name: string; kind: string }[] };
    expect(status.pid).toBe(worker.pid);
    expect(status.parts).toContainEqual(expect.objectContaining({ kind: 'stream-job', name: 'views, p0-clicks' }));
    expect(status.pipelines.map((p) => p.name)).toEqual(['views-pipeline']);
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    expect(await (await fetch(`${url}/metrics`, { headers: auth })).text()).toContain('tributary_stream_records_total');
    worker.kill('SIGINT');
    expect(await worker.exited).toBe(0);
  });

  it('should refuse --port together with --metrics-port', async () => {
    const result = await cli(['worker', pipeline, '--port', '0', '--metrics-port', '0', '--data-dir', await tempDir()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--port serves /metrics too');
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
