import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import type { DemoSummary } from '../../src/demo/demo.ts';
import { cli, tempDir } from '../support/cli.ts';

function summaryOf(stdout: string): DemoSummary {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines.at(-1)!) as DemoSummary;
}

function viewRows(cwd: string): number {
  const db = new DatabaseSync(path.join(cwd, '.tributary', 'views', 'pinterest_pins.sqlite'), { readOnly: true });
  try {
    return Number((db.prepare('SELECT count(*) AS n FROM pinterest_pins').get() as { n: number | bigint }).n);
  } finally {
    db.close();
  }
}

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('tributary demo', () => {
  it('should run for 10 s with counts that reconcile, and a second run should continue where the first stopped', async () => {
    const cwd = await tempDir();
    const first = await cli(['demo', '--duration', '10', '--rate', '100', '--port', '0', '--json', '--log-level', 'warn'], { cwd });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const a = summaryOf(first.stdout);
    // Live counts, one line a second.
    const progress = first.stdout.split('\n').filter((line) => / accepted [\d,]+ \(\d+\/s\) · job in /.test(line));
    expect(progress.length).toBeGreaterThanOrEqual(9);
    // About 100 pins a second for 10 s.
    expect(a.run.sent).toBeGreaterThan(800);
    expect(a.run.sent).toBeLessThanOrEqual(1030);
    expect(a.drained).toBe(true);
    // emulator sent = ingest accepted = job in = out + filtered + dead-lettered = view rows = archived
    expect(a.run.accepted).toBe(a.run.sent);
    expect(a.run.in).toBe(a.run.accepted);
    expect(a.run.out + a.run.filtered + a.run.deadLettered).toBe(a.run.in);
    expect(a.run.out).toBe(a.run.in);
    expect(viewRows(cwd)).toBe(a.run.out);
    expect(a.totals).toEqual({ accepted: a.run.accepted, in: a.run.in, out: a.run.out, filtered: 0, deadLettered: 0, viewRows: a.run.out });
    expect(a.run.archived).toBe(a.run.accepted);
    expect((await files(path.join(cwd, '.tributary', 'lake', 'raw'))).some((f) => f.endsWith('.parquet'))).toBe(true);

    // Between runs, two records that did not come through the ingest API: one not a pin at all
    // (dead-lettered), one pin whose id is not a UUID (filtered).
    const pin = { category: 'art', index: 1, unique_id: 'not-a-uuid', title: 't', description: 'd', follower_count: '1k', tag_list: 'a,b', is_image_or_video: 'image', image_src: 'x', downloaded: 1, save_location: 's' };
    const produced = await cli(['produce', 'pinterest.pins'], { cwd, stdin: `{"hello":"world"}\n${JSON.stringify(pin)}\n` });
    expect(produced.code).toBe(0);

    const second = await cli(['demo', '--duration', '3', '--rate', '100', '--port', '0', '--json', '--log-level', 'warn'], { cwd });
    expect(second.code).toBe(0);
    const b = summaryOf(second.stdout);
    expect(b.run.accepted).toBe(b.run.sent);
    // The job resumed from its positions: it read only what was new.
    expect(b.run.in).toBe(b.run.accepted + 2);
    expect(b.run.filtered).toBe(1);
    expect(b.run.deadLettered).toBe(1);
    expect(b.run.out + b.run.filtered + b.run.deadLettered).toBe(b.run.in);
    // Totals continue from the first run.
    expect(b.totals).toEqual({
      accepted: a.totals.accepted + 2 + b.run.accepted,
      in: a.totals.in + b.run.in,
      out: a.totals.out + b.run.out,
      filtered: 1,
      deadLettered: 1,
      viewRows: a.totals.out + b.run.out,
    });
    expect(viewRows(cwd)).toBe(b.totals.out);
    expect(b.run.archived).toBe(b.run.accepted + 2);
  }, 90_000);

  it('should print a readable summary without --json and refuse a bad option', async () => {
    const cwd = await tempDir();
    const result = await cli(['demo', '--duration', '1', '--rate', '50', '--port', '0', '--log-level', 'warn'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/this run: sent (\d+), accepted \1; job in \1 = out \1 \+ filtered 0 \+ dead-lettered 0; archived \1/);
    expect(result.stdout).toMatch(/since the first run: accepted \d+; .* view pinterest_pins \d+ rows/);
    const bad = await cli(['demo', '--rate', 'fast'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--rate/);
  }, 30_000);
});
