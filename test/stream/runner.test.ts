import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';
import type { LogRecord } from '../../src/log/log.ts';
import { Pipeline } from '../../src/stream/pipeline.ts';
import { runStreamJob } from '../../src/stream/runner.ts';
import { pollUntil } from '../log/log-contract.ts';
import { tempDir } from '../support/cli.ts';

const click = z.object({ user: z.number().int(), product: z.number().int() });

describe('runStreamJob', () => {
  it('should route every record to the output, a filter or the dead-letter topic, and count them', async () => {
    const log = await openEmbeddedLog({ dir: await tempDir() });
    await log.admin().createTopic('clicks', { partitions: 2 });
    const values = [
      ...Array.from({ length: 40 }, (_, i) => JSON.stringify({ user: i, product: i % 4 })),
      '{"user": "nobody", "product": 1}',
      'not json',
      JSON.stringify({ user: 666, product: 1 }),
    ];
    await log.producer().send(values.map((v, i) => ({ topic: 'clicks', key: Buffer.from(`k${i}`), value: Buffer.from(v) })));

    const pipeline = Pipeline.from('clicks', click)
      .filter((c) => c.product !== 0, 'skip-product-0')
      .map((c) => {
        if (c.user === 666) throw new Error('cursed user');
        return { ...c, seen: true };
      }, 'mark');
    const controller = new AbortController();
    const run = runStreamJob(
      { name: 'mark-clicks', pipeline, output: { kind: 'topic', topic: 'clicks-marked' }, batchRecords: 10, batchMs: 20 },
      { log, signal: controller.signal, onBatch: (c) => c.in === values.length && controller.abort() },
    );
    const counts = await run;

    expect({ in: counts.in, out: counts.out, filtered: counts.filtered, deadLettered: counts.deadLettered }).toEqual({ in: 43, out: 30, filtered: 10, deadLettered: 3 });
    expect(counts.in).toBe(counts.out + counts.filtered + counts.deadLettered);
    const reader = log.consumer({ group: 'check', topics: ['clicks-marked', 'mark-clicks.dlq'] });
    const got = await pollUntil(reader, (all) => all.length >= 33);
    const dlq = got.filter((r) => r.topic === 'mark-clicks.dlq');
    const header = (r: LogRecord, name: string) => r.headers[name]?.toString('utf8');
    expect(dlq.map((r) => header(r, 'tributary.step')).sort()).toEqual(['mark', 'schema', 'schema']);
    const cursed = dlq.find((r) => header(r, 'tributary.step') === 'mark')!;
    expect(header(cursed, 'tributary.error')).toBe('cursed user');
    expect(header(cursed, 'tributary.error.stack')).toContain('runner.test.ts');
    expect(header(cursed, 'tributary.source')).toMatch(/^clicks\/[01]\/\d+$/);
    expect(cursed.value?.toString('utf8')).toBe(JSON.stringify({ user: 666, product: 1 }));
    expect(got.filter((r) => r.topic === 'clicks-marked').every((r) => (JSON.parse(r.value!.toString('utf8')) as { seen: boolean }).seen)).toBe(true);
    // Everything read was committed for the job's group.
    expect((await log.admin().groupLag('job.mark-clicks')).every((l) => l.lag === 0)).toBe(true);
    await reader.close();
    await log.close();
  });
});
