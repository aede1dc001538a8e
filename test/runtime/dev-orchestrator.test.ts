/**
 * `tributary dev` runs the pipelines' sources and scheduled batch jobs as orchestrator graphs, on the
 * embedded metadata store: their runs are in `tributary runs` beside the running process (through its
 * local API) and after it has stopped (from the store itself).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from '../support/cli.ts';
import { startCliProcess } from '../support/worker-process.ts';

const COUNTER = path.resolve(import.meta.dirname, 'fixtures/counter-pipeline.ts');
const SOURCE_GRAPH = 'counter.source.counter.events-generator';
const ORCHESTRATED = path.resolve(import.meta.dirname, 'fixtures/orchestrated-pipeline.ts');
const BATCH_GRAPH = 'orchestrated.batch.orch-copy';
const OWN_GRAPH = 'orchestrated.lake-files';

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface Part {
  name: string;
  kind: string;
  state: string;
  counts: Record<string, number>;
  info: Record<string, string>;
}

async function api<T>(cwd: string, route: string): Promise<T | undefined> {
  const file = path.join(cwd, '.tributary', 'dev.json');
  if (!existsSync(file)) return undefined;
  const { url } = JSON.parse(readFileSync(file, 'utf8')) as { url: string };
  const response = await fetch(`${url}${route}`).catch(() => undefined);
  return response?.ok ? ((await response.json()) as T) : undefined;
}

/** The run ids of a `tributary runs` table (its first column, under the header). */
const runIds = (table: string) => table.trim().split('\n').slice(1).map((line) => line.split(/\s+/)[0]!);

describe('tributary dev with the orchestrator', () => {
  it('should poll a source as the runs of its graph, listed by tributary runs beside dev and after it, one succeeded run per poll', { timeout: 120_000 }, async () => {
    const cwd = await tempDir();
    const dev = startCliProcess(['dev', COUNTER, '--port', '0', '--status-ms', '0', '--drain', '30', '--json', '--log-level', 'warn'], { COUNTER_PER_POLL: '5' }, cwd);
    const graphs = await until('the graphs on the local API', () => api<{ graphs: { id: string; schedule: unknown; maxActiveRuns: number }[] }>(cwd, '/api/graphs'));
    expect(graphs.graphs).toEqual([{ id: SOURCE_GRAPH, tasks: [{ id: 'poll', after: [] }], schedule: { everyMs: 100, catchup: false, skipWhileActive: true }, maxActiveRuns: 1, pool: null, on: [] }]);

    const beside = await until('five succeeded polls in tributary runs', async () => {
      const listed = await cli(['runs', '--graph', SOURCE_GRAPH, '--status', 'succeeded', '--limit', '5'], { cwd });
      return listed.code === 0 && runIds(listed.stdout).length === 5 ? listed : undefined;
    });
    expect(beside.stderr).toBe('');
    expect(beside.stdout).toMatch(new RegExp(`^r\\w+ +${SOURCE_GRAPH.replaceAll('.', '\\.')} +succeeded +schedule +\\d{4}-\\d{2}-\\d{2}T`, 'm'));
    const shown = await cli(['runs', 'show', runIds(beside.stdout)[0]!], { cwd });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^poll +succeeded +1 +\S+ +\{"emitted":5,"skipped":0,"rejected":0\}$/m);
    expect(shown.stdout).toContain('--- poll attempt 1 (succeeded');

    const manual = await cli(['run', SOURCE_GRAPH], { cwd });
    expect(manual.code).toBe(0);
    expect(manual.stdout).toMatch(/queued in the running process at http:\/\/127\.0\.0\.1:\d+/);
    expect(manual.stdout).toContain('status    succeeded');

    dev.kill('SIGTERM');
    expect(await dev.exited).toBe(0);
    const summary = JSON.parse(dev.output().stdout) as { parts: Part[] };
    const source = summary.parts.find((p) => p.kind === 'source')!;
    const job = summary.parts.find((p) => p.kind === 'stream-job')!;
    expect(source.info.graph).toBe(SOURCE_GRAPH);
    expect(source.counts.failedPolls).toBe(0);

    // From the store itself, now that dev has stopped: every poll is one succeeded run, and every record one row.
    const after = await cli(['runs', '--graph', SOURCE_GRAPH, '--limit', '1000000'], { cwd });
    expect(after.code).toBe(0);
    const rows = after.stdout.trim().split('\n').slice(1);
    expect(rows.filter((r) => !/ succeeded /.test(r))).toEqual([]);
    expect(rows.length).toBe(source.counts.polls);
    expect(rows.filter((r) => / manual /.test(r))).toHaveLength(1);
    expect(source.counts.emitted).toBe(5 * source.counts.polls!);
    expect(job.counts.out).toBe(source.counts.emitted);
  });

  it("should run a batch job on its schedule and by hand, and a pipeline's own graph, as orchestrator runs with their outputs", { timeout: 120_000 }, async () => {
    const cwd = await tempDir();
    const dev = startCliProcess(['dev', ORCHESTRATED, '--port', '0', '--status-ms', '0', '--log-level', 'warn'], {}, cwd);
    await dev.seen(/tributary dev: orchestrated/);
    // The hourly schedule's latest interval has ended when dev starts: its run comes at once.
    const scheduled = await until('the scheduled batch run', async () => {
      const listed = await cli(['runs', '--graph', BATCH_GRAPH, '--status', 'succeeded'], { cwd });
      return runIds(listed.stdout).length >= 1 && listed.stdout.includes(' schedule ') ? listed : undefined;
    });
    expect(scheduled.stdout).toMatch(/ schedule +\d{4}-\d{2}-\d{2}T\d{2}:00:00\.000Z/);
    await until('an archived file of pins', async () => {
      const status = await api<{ parts: Part[] }>(cwd, '/api/status');
      return (status?.parts.find((p) => p.kind === 'archiver')?.counts.files ?? 0) >= 1 ? true : undefined;
    });

    const ran = await cli(['run', BATCH_GRAPH], { cwd });
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    const output = /^run +succeeded +1 +\S+ +(\{.*\})$/m.exec(ran.stdout);
    expect(output, ran.stdout).not.toBeNull();
    const counts = JSON.parse(output![1]!) as { units: number; failed: number; read: number; written: number; quarantined: number; filtered: number };
    expect(counts.failed, ran.stdout).toBe(0);
    expect(counts.read).toBeGreaterThan(0);
    expect(counts.written + counts.quarantined + counts.filtered).toBe(counts.read);

    const own = await cli(['run', OWN_GRAPH], { cwd });
    expect(own.code).toBe(0);
    const files = /^report +succeeded +1 +\S+ +\{"files":(\d+)\}$/m.exec(own.stdout);
    expect(files, own.stdout).not.toBeNull();
    expect(Number(files![1])).toBeGreaterThanOrEqual(1);
    expect(own.stdout).toMatch(/INFO {2}raw files: \{"files":\d+\}/);

    const backfilled = await cli(['backfill', OWN_GRAPH, '--from', '2026-01-01', '--to', '2026-01-03'], { cwd });
    expect(backfilled.stderr).toBe('');
    expect(backfilled.stdout).toContain('3 runs planned, 3 new, 0 cleared to run again, 0 there already (run by the running tributary dev)');
    expect(backfilled.stdout).toContain(`done, 0 failed runs of ${OWN_GRAPH}`);
    const days = await cli(['runs', '--graph', OWN_GRAPH, '--status', 'succeeded'], { cwd });
    expect(days.stdout.match(/ backfill +2026-01-0[123]T00:00:00\.000Z/g)).toHaveLength(3);

    const status = await api<{ parts: Part[]; orchestrator: { backend: string; leading: boolean } }>(cwd, '/api/status');
    expect(status?.orchestrator).toMatchObject({ backend: 'embedded', leading: true });
    const part = status!.parts.find((p) => p.kind === 'batch-job')!;
    expect(part.info.graph).toBe(BATCH_GRAPH);
    expect(part.counts.read).toBeGreaterThanOrEqual(counts.read);
    dev.kill('SIGTERM');
    expect(await dev.exited).toBe(0);
  });
});
