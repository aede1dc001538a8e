import { Registry } from 'prom-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';
import { registerLogSyncMetrics, registerRuntimeMetrics } from '../../src/metrics/runtime-metrics.ts';
import type { MetadataStore, RunRecord } from '../../src/metadata/metadata.ts';
import type { PartStatus } from '../../src/runtime/supervise.ts';

function part(name: string, kind: PartStatus['kind'], counts: Record<string, number>, state: PartStatus['state'] = 'running'): PartStatus {
  return { name, kind, pipeline: 'p', state, restarts: 0, counts, info: {} };
}

async function values(registry: Registry, name: string): Promise<{ labels: Record<string, string | number>; value: number }[]> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []).map((v) => ({ labels: v.labels as Record<string, string | number>, value: v.value }));
}

describe('runtime metrics', () => {
  it("should report each part's counts as counters that follow the status, zeros included", async () => {
    const registry = new Registry();
    const archiver = part('archiver', 'archiver', { records: 0, files: 0 });
    const batch = part('daily', 'batch-job', { runs: 2, written: 40 });
    const parts = [archiver, batch];
    const metrics = await registerRuntimeMetrics(registry, { parts });
    expect(await values(registry, 'tributary_part_events_total')).toEqual(
      expect.arrayContaining([
        { labels: { kind: 'archiver', pipeline: 'p', part: 'archiver', event: 'records' }, value: 0 },
        { labels: { kind: 'batch-job', pipeline: 'p', part: 'daily', event: 'written' }, value: 40 },
      ]),
    );
    archiver.counts.records = 125;
    batch.counts.written = 55;
    const after = await values(registry, 'tributary_part_events_total');
    expect(after.find((v) => v.labels.event === 'records')?.value).toBe(125);
    expect(after.find((v) => v.labels.event === 'written')?.value).toBe(55);
    await metrics.close();
  });

  it('should say a part is down while it restarts, and count its restarts', async () => {
    const registry = new Registry();
    const job = part('clean', 'stream-job', {});
    const metrics = await registerRuntimeMetrics(registry, { parts: [job] });
    expect((await values(registry, 'tributary_part_up'))[0]?.value).toBe(1);
    expect((await values(registry, 'tributary_part_restarts_total'))[0]?.value).toBe(0);
    job.state = 'restarting';
    job.restarts = 3;
    expect((await values(registry, 'tributary_part_up'))[0]?.value).toBe(0);
    expect((await values(registry, 'tributary_part_restarts_total'))[0]?.value).toBe(3);
    await metrics.close();
  });

  it('should count ingested records per topic', async () => {
    const registry = new Registry();
    const metrics = await registerRuntimeMetrics(registry, { parts: [] });
    metrics.ingested('a', 5);
    metrics.ingested('a', 2);
    metrics.ingested('b', 1);
    expect(await values(registry, 'tributary_ingest_records_total')).toEqual([
      { labels: { topic: 'a' }, value: 7 },
      { labels: { topic: 'b' }, value: 1 },
    ]);
    await metrics.close();
  });

  it('should observe each finished batch run once, and report a store that fails its check as down', async () => {
    const registry = new Registry();
    const runs: RunRecord[] = [];
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    let healthy = true;
    const metadata = {
      backend: 'embedded',
      runs: (job: string) => (healthy ? Promise.resolve(job === 'daily' ? [...runs].reverse() : []) : Promise.reject(new Error('metadata store gone'))),
    } as unknown as MetadataStore;
    const metrics = await registerRuntimeMetrics(registry, { parts: [], metadata, batchJobs: ['daily'] });
    runs.push({ runId: 'r1', job: 'daily', status: 'succeeded', started: at(0), finished: at(2) } as RunRecord);
    runs.push({ runId: 'r2', job: 'daily', status: 'failed', started: at(10), finished: at(11) } as RunRecord);
    runs.push({ runId: 'r3', job: 'daily', status: 'running', started: at(20) } as RunRecord);
    const text = await registry.metrics();
    expect(text).toContain('tributary_batch_run_duration_seconds_count{job="daily",status="succeeded"} 1');
    expect(text).toContain('tributary_batch_run_duration_seconds_sum{job="daily",status="succeeded"} 2');
    expect(text).toContain('tributary_batch_run_duration_seconds_count{job="daily",status="failed"} 1');
    expect(text).toContain('tributary_batch_last_run_timestamp_seconds{job="daily"} ' + String(at(11).getTime() / 1000));
    expect(text).toContain('tributary_store_up{store="metadata"} 1');
    healthy = false;
    const down = await registry.metrics();
    expect(down).toContain('tributary_store_up{store="metadata"} 0');
    // Scraped again: the same runs are not observed twice.
    expect(down).toContain('tributary_batch_run_duration_seconds_count{job="daily",status="succeeded"} 1');
    await metrics.close();
  });

  it("should report the embedded log's bytes per partition and time each group fsync with the appends it made durable", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tributary-log-metrics-'));
    const registry = new Registry();
    const onSync = await registerLogSyncMetrics(registry);
    const log = await openEmbeddedLog({ dir, fsync: { mode: 'interval', ms: 5 }, onSync });
    onTestFinished(async () => {
      await log.close();
      await rm(dir, { recursive: true, force: true });
    });
    const metrics = await registerRuntimeMetrics(registry, { parts: [], log });
    const admin = log.admin();
    await admin.createTopic('events', { partitions: 2 });
    const producer = log.producer();
    // Three appends one after another: each waits for its own fsync.
    for (const i of [1, 2, 3]) await producer.send([{ topic: 'events', partition: 0, key: Buffer.from(`k${i}`), value: Buffer.from('x'.repeat(100 * i)) }]);
    const bytes = await values(registry, 'tributary_log_bytes');
    const on0 = bytes.find((v) => v.labels.partition === '0')!.value;
    // The three values (600 bytes) plus each batch's framing, keys and headers: more, but not twice as much.
    expect(on0).toBeGreaterThan(600);
    expect(on0).toBeLessThan(1200);
    expect(bytes.find((v) => v.labels.partition === '1')?.value).toBe(0);
    expect(await values(registry, 'tributary_log_fsync_batches_total')).toEqual([{ labels: { topic: 'events' }, value: 3 }]);
    const syncs = (await registry.getMetricsAsJSON()).find((m) => m.name === 'tributary_log_fsync_seconds')!.values.find((v) => (v as { metricName?: string }).metricName === 'tributary_log_fsync_seconds_count');
    expect(syncs?.value).toBe(3);
    await producer.close();
    await admin.close();
    await metrics.close();
  });
});
