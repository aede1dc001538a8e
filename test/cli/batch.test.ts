import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir, TORONTO_EXAMPLE } from '../support/cli.ts';
import { head, toronto } from '../batch/batch-support.ts';

describe('tributary batch', () => {
  it('run should print progress and a summary, then skip unchanged inputs; history should list the runs', async () => {
    const cwd = await tempDir();
    const raw = path.join(cwd, '.tributary/lake/raw/apartment-building-evaluation/dt=2026-11-01');
    await mkdir(raw, { recursive: true });
    await writeFile(path.join(raw, 'current.csv'), await head(toronto.current, 3000));
    const first = await cli(['batch', 'run', 'toronto-apartments', '--pipeline', TORONTO_EXAMPLE, '--error-budget', '5'], { cwd });
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/toronto-apartments: 1 resource new or changed, 0 removed\n/);
    expect(first.stderr).toMatch(/done in [\d.]+ s: 3,000 read, 2,997 written to all partitions, 2 quarantined, 1 filtered; snapshot \d+/);
    expect(first.stdout).toMatch(/^toronto-apartments: succeeded in [\d.]+ s, snapshot \d+\nrows: 3,000 in, 2,997 out, 2 quarantined, 1 filtered; files: \d+\nquarantine: lake\.quarantine\.processed_toronto_apartments\n$/);
    const second = await cli(['batch', 'run', 'toronto-apartments', '--pipeline', TORONTO_EXAMPLE], { cwd });
    expect(second.stdout).toBe('toronto-apartments: skipped, inputs unchanged\n');
    const history = await cli(['batch', 'history', 'toronto-apartments', '--pipeline', TORONTO_EXAMPLE], { cwd });
    expect(history.stdout.split('\n')[1]).toMatch(/^r\S+\s+\*\s+succeeded\s+\S+\s+[\d.]+ s\s+3000\s+2997\s+2/);
  });

  it('run should exit non-zero with the error when the run fails, and refuse an unknown job', async () => {
    const cwd = await tempDir();
    const raw = path.join(cwd, '.tributary/lake/raw/apartment-building-evaluation/dt=2026-11-01');
    await mkdir(raw, { recursive: true });
    await writeFile(path.join(raw, 'current.csv'), await head(toronto.current, 3000));
    const failed = await cli(['batch', 'run', 'toronto-apartments', '--pipeline', TORONTO_EXAMPLE, '--error-budget', '0'], { cwd });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/BATCH_ERROR_BUDGET.*2 of 3000 rows .*exceeded by 2. Nothing was published/);
    const unknown = await cli(['batch', 'run', 'nope', '--pipeline', TORONTO_EXAMPLE], { cwd });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No batch job "nope"; known jobs: kijiji-listings-clean, kijiji-listings-per-area, toronto-apartments, toronto-scores-by-ward');
  });
  it('run with no input should say where the input comes from, and exit non-zero', async () => {
    const cwd = await tempDir();
    const result = await cli(['batch', 'run', 'toronto-apartments', '--pipeline', TORONTO_EXAMPLE], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error \[BATCH_INPUT_INVALID\]: toronto-apartments has no input: it reads raw\/apartment-building-evaluation\/ \(csv files\) in the lake at \S+\/\.tributary\/lake, and there is nothing there yet\. A pipeline's source or the archiver puts it there/m);
  });
});
