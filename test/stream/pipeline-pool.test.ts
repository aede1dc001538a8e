import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';
import type { Log, LogRecord } from '../../src/log/log.ts';
import { embeddedSink } from '../../src/sinks/embedded/embedded-sink.ts';
import { PipelinePool } from '../../src/stream/pipeline-pool.ts';
import { runStreamJob, type JobCounts } from '../../src/stream/runner.ts';
import { pollUntil } from '../log/log-contract.ts';
import { tempDir } from '../support/cli.ts';
import { rejection } from '../support/errors.ts';
import { marked } from './fixtures/threaded-pipeline.ts';

const module = path.resolve(import.meta.dirname, 'fixtures/threaded-pipeline.ts');
const TOTAL = 6000;

async function clicksLog(): Promise<Log> {
  const log = await openEmbeddedLog({ dir: await tempDir(), fsync: { mode: 'never' } });
  await log.admin().createTopic('clicks', { partitions: 3 });
  const values = Array.from({ length: TOTAL }, (_, i) => (i % 500 === 7 ? 'not json' : JSON.stringify({ user: i, product: i % 5 })));
  await log.producer().send(values.map((v, i) => ({ topic: 'clicks', key: Buffer.from(`k${i % 50}`), value: Buffer.from(v) })));
  return log;
}

/** The job's outputs and dead letters as comparable values, in log order per partition. */
async function outputs(log: Log, topics: string[]) {
  const admin = log.admin();
  let count = 0;
  for (const topic of topics) for (const p of (await admin.describeTopic(topic)).partitions) count += p.endOffset - p.startOffset;
  await admin.close();
  const reader = log.consumer({ group: `check-${topics.join()}`, topics });
  const got = await pollUntil(reader, (all) => all.length >= count);
  await reader.close();
  const header = (r: LogRecord, name: string) => r.headers[name]?.toString('utf8');
  return got
    .map((r) => ({ topic: r.topic, partition: r.partition, offset: r.offset, key: r.key?.toString('utf8'), value: r.value?.toString('utf8'), step: header(r, 'tributary.step'), error: header(r, 'tributary.error'), code: header(r, 'tributary.error.code'), source: header(r, 'tributary.source') }))
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition || a.offset - b.offset);
}

function plain(counts: JobCounts) {
  return { in: counts.in, out: counts.out, filtered: counts.filtered, deadLettered: counts.deadLettered, steps: Object.fromEntries(counts.steps) };
}

describe('pipeline threads', () => {
  it('should give exactly the outputs, dead letters and counts the job gives in its own thread', async () => {
    const runs = [];
    for (const threads of [0, 2]) {
      const log = await clicksLog();
      const pool = threads ? await PipelinePool.start({ module, job: 'marked' }, threads) : undefined;
      const controller = new AbortController();
      const counts = await runStreamJob(
        { name: 'marked', pipeline: marked, output: { kind: 'topic', topic: 'marked', key: (c) => `u${c.user}` }, batchRecords: 700 },
        { log, signal: controller.signal, ...(pool && { pool }), onBatch: (c) => c.in >= TOTAL && controller.abort() },
      );
      await pool?.close();
      runs.push({ counts: plain(counts), records: await outputs(log, ['marked', 'marked.dlq']) });
      await log.close();
    }
    const [own, threaded] = runs;
    expect(own!.counts.in).toBe(TOTAL);
    expect(own!.counts.deadLettered).toBeGreaterThan(10);
    expect(threaded!.counts).toEqual(own!.counts);
    expect(own!.records.length).toBeGreaterThan(own!.counts.out);
    expect(threaded!.records).toEqual(own!.records);
    const cursed = threaded!.records.find((r) => r.step === 'mark')!;
    expect(cursed).toMatchObject({ topic: 'marked.dlq', code: 'CURSED' });
    expect(cursed.error).toMatch(/^cursed user \d+$/);
  });

  it('should write the same rows into a table sink, computed on the threads', async () => {
    const log = await clicksLog();
    const dir = await tempDir();
    const spec = { name: 'per_user', columns: { usr: 'bigint', product: 'bigint' }, key: ['usr', 'product'] } as const;
    const pool = await PipelinePool.start({ module, job: 'per-user' }, 2);
    const controller = new AbortController();
    const counts = await runStreamJob(
      { name: 'per-user', pipeline: marked, output: { kind: 'table', sink: embeddedSink.create(spec, { job: 'per-user' }, { dir }), row: () => ({}) }, batchRecords: 1000 },
      { log, pool, signal: controller.signal, onBatch: (c) => c.in >= TOTAL && controller.abort() },
    );
    await pool.close();
    const reader = embeddedSink.create(spec, { job: 'check' }, { dir });
    await reader.open();
    const rows = await reader.scan();
    await reader.close();
    // Rows came from the module's row function (the partition is in them), not from the one given here.
    expect(rows.length).toBeGreaterThan(3000);
    expect(rows.every((r) => Number(r.product) % 100 >= 1 && Number(r.product) % 100 <= 4)).toBe(true);
    expect(counts.in).toBe(TOTAL);
    await log.close();
  });

  it('should refuse to start when the module has no such stateless job', async () => {
    const error = await rejection(PipelinePool.start({ module, job: 'nope' }, 1), 'CONFIG_INVALID');
    expect(error.message).toContain('no stateless job named nope');
  });
});
