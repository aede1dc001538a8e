/** `tributary runs`, `run`, `backfill` and `dag test` in-process, on the embedded metadata store, with graphs given as the runtime gives them. */
import { describe, expect, it } from 'vitest';
import type { GraphProvider } from '../../src/cli/orchestrator-cli.ts';
import { TributaryError } from '../../src/errors.ts';
import { graph, task } from '../../src/orchestrator/define.ts';
import { tempDir } from '../support/cli.ts';
import { tributaryWith } from './orchestrator-cli.ts';

const daily = graph({
  id: 'daily-load',
  schedule: { cron: '0 6 * * *', timezone: 'UTC' },
  tasks: [
    task({ id: 'extract', run: (ctx) => { ctx.logger.info('extracting', { day: ctx.logicalDate!.toISOString().slice(0, 10) }); return { rows: 3 }; } }),
    task({ id: 'load', after: ['extract'], run: (ctx, input) => { ctx.logger.info(`loading ${(input.extract as { rows: number }).rows} rows`); return (input.extract as { rows: number }).rows; } }),
  ],
});
const broken = graph({ id: 'broken', tasks: [task({ id: 'fails', retry: { maxAttempts: 1 }, run: () => { throw new TributaryError('BATCH_QUERY_FAILED', 'syntax error at "FORM"'); } })] });
const provider: GraphProvider = () => Promise.resolve({ graphs: [daily, broken] });

const tributary = (cwd: string, argv: string[]) => tributaryWith(provider, cwd, argv);

const runIdOf = (text: string) => /run (r\w+)/.exec(text)![1]!;

describe('orchestrator commands', () => {
  it('should run a graph, list the run and show it with its tasks and log lines', async () => {
    const cwd = await tempDir();
    const ran = await tributary(cwd, ['run', 'daily-load', '--date', '2026-03-01']);
    expect(ran.code).toBe(0);
    const id = runIdOf(ran.stdout);
    expect(ran.stdout).toContain('status    succeeded');
    const list = await tributary(cwd, ['runs', '--graph', 'daily-load']);
    expect(list.stdout).toMatch(new RegExp(`^${id} +daily-load +succeeded +manual +2026-03-01T00:00:00.000Z`, 'm'));
    const shown = await tributary(cwd, ['runs', 'show', id]);
    expect(shown.stdout).toMatch(/^load +succeeded +1 +\S+ +3$/m);
    expect(shown.stdout).toContain('--- extract attempt 1 (succeeded');
    expect(shown.stdout).toMatch(/INFO {2}extracting \{"day":"2026-03-01"\}/);
    expect(shown.stdout).toContain('INFO  loading 3 rows');
  });

  it('should exit 1 when a run fails, list it by status, and retry it', async () => {
    const cwd = await tempDir();
    const ran = await tributary(cwd, ['run', 'broken']);
    expect(ran.code).toBe(1);
    expect(ran.stdout).toContain('BATCH_QUERY_FAILED: syntax error at "FORM"');
    const id = runIdOf(ran.stdout);
    expect((await tributary(cwd, ['runs', '--status', 'failed'])).stdout).toContain(id);
    expect((await tributary(cwd, ['runs', '--status', 'succeeded'])).stdout).toBe('no runs\n');
    expect((await tributary(cwd, ['runs', 'retry', id])).stdout).toBe(`run ${id} queued again\n`);
    expect((await tributary(cwd, ['runs', 'cancel', id])).stdout).toBe(`run ${id} cancelled\n`);
    expect((await tributary(cwd, ['runs', 'show', 'r-none'])).stderr).toContain('error [ORCHESTRATOR_RUN_NOT_FOUND]');
  });

  it("should backfill a range of the schedule's intervals and make nothing twice when run again", async () => {
    const cwd = await tempDir();
    const first = await tributary(cwd, ['backfill', 'daily-load', '--from', '2026-01-01', '--to', '2026-01-05', '--concurrency', '2']);
    expect(first.stdout).toContain('5 runs planned, 5 new');
    expect(first.stdout).toContain('done, 0 failed runs');
    const again = await tributary(cwd, ['backfill', 'daily-load', '--from', '2026-01-01', '--to', '2026-01-07']);
    expect(again.stdout).toContain('7 runs planned, 2 new, 0 cleared to run again, 5 there already');
    const list = await tributary(cwd, ['runs', '--graph', 'daily-load', '--status', 'succeeded']);
    expect(list.stdout.trim().split('\n')).toHaveLength(8);
    expect(list.stdout).toContain('2026-01-01T06:00:00.000Z');
  });

  it('should test a graph in-process with its logs on the terminal and nothing recorded', async () => {
    const cwd = await tempDir();
    const tested = await tributary(cwd, ['dag', 'test', 'daily-load', '--date', '2026-02-02']);
    expect(tested.code).toBe(0);
    expect(tested.stderr).toMatch(/\[extract#1\] \S+ INFO {2}extracting \{"day":"2026-02-02"\}/);
    expect(tested.stdout).toContain('status    succeeded');
    expect((await tributary(cwd, ['runs'])).stdout).toBe('no runs\n');
  });

  it('should name the graphs there are when asked for one that does not exist', async () => {
    const cwd = await tempDir();
    const result = await tributary(cwd, ['dag', 'test', 'nope']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error [ORCHESTRATOR_GRAPH_NOT_FOUND]: no graph "nope"; the loaded pipelines declare: daily-load, broken');
  });
});
