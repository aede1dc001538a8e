/**
 * The Pinterest example end to end on embedded defaults: `tributary dev examples/pinterest` in a child
 * process (the batch job every 3 s instead of hourly), a bad record and a pin without a UUID produced
 * beside it, then every count and the merged view checked against a brute force over the log.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { QueryResult } from '../../../src/serve/query/view.ts';
import { cli, tempDir } from '../../../test/support/cli.ts';
import { tableRows } from '../../../test/support/lake-tables.ts';
import { startCliProcess } from '../../../test/support/worker-process.ts';
import { cleanPin } from '../clean-pin.ts';
import { loadPins } from '../emulator.ts';
import { rawPinSchema } from '../pins.ts';

const EXAMPLE = path.resolve(import.meta.dirname, '..');

type Status = { parts: { name: string; counts: Record<string, number> }[] };

async function status(cwd: string): Promise<Status | undefined> {
  const file = path.join(cwd, '.tributary', 'dev.json');
  if (!existsSync(file)) return undefined;
  const { url } = JSON.parse(readFileSync(file, 'utf8')) as { url: string };
  const response = await fetch(`${url}/api/status`).catch(() => undefined);
  return response?.ok ? ((await response.json()) as Status) : undefined;
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const count = (s: Status | undefined, part: string, counter: string) => s?.parts.find((p) => p.name === part)?.counts[counter] ?? 0;

describe('the pinterest example on embedded defaults', () => {
  it('should reconcile every count and merge the batch and stream cleanings into posts per category', async () => {
    const cwd = await tempDir();
    const dev = startCliProcess(['dev', EXAMPLE, '--port', '0', '--status-ms', '0', '--drain', '60', '--log-level', 'warn'], { PINTEREST_RATE: '100', PINTEREST_BATCH_EVERY_MS: '3000' }, cwd);
    await dev.seen(/tributary dev: pinterest on the embedded log/, 60_000);
    let batchWritten = 0;
    await until('a batch run over some pins', async () => (batchWritten = count(await status(cwd), 'pinterest-clean-batch', 'written')) > 0);
    await until('pins cleaned by the stream job after that run', async () => count(await status(cwd), 'pinterest-clean', 'out') >= batchWritten + 100);
    // One record that is not a pin (a dead letter), one pin whose id is not a UUID (filtered).
    const [sample] = await loadPins();
    expect((await cli(['produce', 'pinterest.pins'], { cwd, stdin: `{"not":"a pin"}\n${JSON.stringify({ ...sample, unique_id: 'not-a-uuid' })}\n` })).code).toBe(0);
    await until('the produced records through the job', async () => count(await status(cwd), 'pinterest-clean', 'deadLettered') >= 1 && count(await status(cwd), 'pinterest-clean', 'filtered') >= 1);
    dev.kill('SIGTERM');
    expect(await dev.exited).toBe(0);
    const stdout = dev.output().stdout;

    // The log is what the ingest API accepted and the two produced records; the job read all of it.
    const tail = await cli(['tail', 'pinterest.pins', '--from', 'earliest', '-n', '1000000', '--no-follow'], { cwd });
    const records = tail.stdout.trim().split('\n').map((line) => JSON.parse(line) as { partition: number; offset: number; value: unknown });
    const accepted = Number(/server ingest \[stopped\]: accepted ([\d,]+)/.exec(stdout)![1]!.replaceAll(',', ''));
    expect(records.length).toBe(accepted + 2);
    const [, jobIn, out, filtered, dead] = /stream-job pinterest\/pinterest-clean \[stopped\]: in ([\d,]+), out ([\d,]+), filtered ([\d,]+), deadLettered ([\d,]+)/.exec(stdout)!.map((n) => Number(n.replaceAll(',', '')));
    expect(jobIn).toBe(records.length);
    expect(out! + filtered! + dead!).toBe(jobIn);
    // Brute force: the records that are pins and keep a UUID after cleaning.
    const kept = records.flatMap((r) => {
      if (!rawPinSchema.safeParse(r.value).success) return [];
      const pin = cleanPin(r.value);
      return pin && pin.unique_id !== null ? [{ ...r, category: pin.category, unique_id: pin.unique_id }] : [];
    });
    expect(dead).toBe(records.filter((r) => !rawPinSchema.safeParse(r.value).success).length);
    expect(out).toBe(kept.length);
    const noUuid = records.filter((r) => rawPinSchema.safeParse(r.value).success && cleanPin(r.value)?.unique_id === null).length;
    expect(noUuid).toBeGreaterThanOrEqual(1);
    expect(filtered).toBe(noUuid);

    // The merged view equals the brute-force count per category; the batch half covers part of the log, the stream job the rest.
    const view = JSON.parse((await cli(['query', 'posts-per-category', '--pipeline', EXAMPLE, '--json'], { cwd })).stdout) as QueryResult;
    const expected = new Map<string, number>();
    for (const pin of kept) expected.set(pin.category, (expected.get(pin.category) ?? 0) + 1);
    expect(new Map(view.rows.map((r) => [String(r.category), Number(r.posts)]))).toEqual(expected);
    const batchCovered = Object.values(view.asOf.batch.offsets).reduce((n, t) => n + t, 0);
    expect(batchCovered).toBeGreaterThan(0);
    expect(batchCovered).toBeLessThan(records.length);

    // Where the halves overlap they agree: the batch job's pins are the stream job's, field for field.
    const processed = await tableRows(cwd, 'processed', 'pinterest_pins', 'SELECT unique_id, category, follower_count, title, source FROM t');
    const streamed = JSON.parse((await cli(['query', 'pinterest_pins', '--pipeline', EXAMPLE, '--param', 'limit=10000', '--json'], { cwd })).stdout) as QueryResult;
    const byId = new Map(streamed.rows.map((r) => [String(r.unique_id), r]));
    expect(processed.length).toBeGreaterThan(0);
    for (const row of processed) {
      const twin = byId.get(String(row.unique_id));
      expect({ category: twin?.category, follower_count: twin?.follower_count, title: twin?.title, source: twin?.source }).toEqual({
        category: row.category,
        follower_count: row.follower_count === null ? null : Number(row.follower_count),
        title: row.title,
        source: row.source,
      });
    }
  }, 180_000);
});
