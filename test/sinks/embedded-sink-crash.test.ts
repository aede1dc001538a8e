import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { embeddedSink } from '../../src/sinks/embedded/embedded-sink.ts';
import { crashTest } from './crash-harness.ts';
import { countingSpec } from './fixtures/counting-job.ts';

const writer = new URL('./fixtures/embedded-writer.ts', import.meta.url).pathname;

describe('the embedded sink under SIGKILL', () => {
  it('should reflect every record exactly once across 20 kills of a non-idempotent job', { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tributary-sink-crash-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const table = 'counts';
    const end = 30_000;
    const { progress, killedInWrite, killedInTransaction } = await crashTest({
      script: writer,
      args: [dir, table, String(end)],
      openSink: async () => {
        const sink = embeddedSink.create(countingSpec(table), { job: 'crash-job' }, { dir });
        await sink.open();
        return sink;
      },
      kills: 20,
      end,
      maxKillDelayMs: 20,
    });
    // The kills found the job unfinished (it pauses short of the end until the last run), and half
    // of them came from inside a write's transaction.
    expect(progress.at(-1)!.some((offset) => offset < end)).toBe(true);
    expect(killedInTransaction, 'the kills from inside a write').toBe(10);
    expect(killedInWrite).toBeGreaterThanOrEqual(killedInTransaction);
  });
});
