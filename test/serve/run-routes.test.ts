/**
 * The orchestrator's local API (run-routes.ts) on a real server, an embedded run store and the
 * in-process executor, called through the CLI's client (run-client.ts) as `tributary runs` and the UI do.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { TributaryError } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';
import { openEmbeddedRunStore } from '../../src/metadata/embedded/embedded-run-store.ts';
import { createOrchestrator, type Orchestrator } from '../../src/orchestrator/create-orchestrator.ts';
import { graph, task } from '../../src/orchestrator/define.ts';
import { createInProcessExecutor } from '../../src/orchestrator/in-process/in-process-executor.ts';
import { apiClient, type ApiClient } from '../../src/serve/api/api-client.ts';
import { remoteRuns, type RunsService } from '../../src/serve/api/run-client.ts';
import { runRoutes } from '../../src/serve/api/run-routes.ts';
import { createServer, listen, serverPlugin } from '../../src/serve/server.ts';

const daily = graph({
  id: 'daily',
  schedule: { cron: '0 6 * * *' },
  tasks: [
    task({ id: 'extract', run: (ctx) => { ctx.logger.info('extracting', { day: ctx.logicalDate?.toISOString().slice(0, 10) }); return { rows: 3 }; } }),
    task({ id: 'load', after: ['extract'], run: (_ctx, input) => input.extract ?? null }),
  ],
});
const slow = graph({ id: 'slow', tasks: [task({ id: 'wait', run: (ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error), { once: true })) })] });
let breaks = true;
const flaky = graph({ id: 'flaky', tasks: [task({ id: 'once', retry: { maxAttempts: 1 }, run: () => { if (breaks) throw new TributaryError('BATCH_QUERY_FAILED', 'syntax error'); return 'ok'; } })] });

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(): Promise<{ runs: RunsService; client: ApiClient; orchestrator: Orchestrator; url: string }> {
  const store = await openEmbeddedRunStore({ file: ':memory:' });
  const orchestrator = createOrchestrator({ graphs: [daily, slow, flaky], store, executor: createInProcessExecutor() });
  await orchestrator.start();
  const app = createServer({ server: { ...configSchema.parse({}).server, rateLimitMax: 0 }, logger: await createLogger({ level: 'silent' }), plugins: [serverPlugin(runRoutes, { orchestrator })] });
  const url = await listen(app, '127.0.0.1', 0);
  cleanups.push(async () => {
    await app.close();
    await orchestrator.stop({ abortAfterMs: 0 });
    await store.close();
  });
  const client = apiClient(url);
  return { runs: remoteRuns(client), client, orchestrator, url };
}

/** Every `event: run` of a run's event stream, until the server ends it. */
async function runEvents(url: string, runId: string, onEvent: (status: string) => void): Promise<string[]> {
  const response = await fetch(`${url}/api/runs/${runId}/events`);
  expect(response.headers.get('content-type')).toBe('text/event-stream');
  const statuses: string[] = [];
  let buffer = '';
  for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const data = /^data: (.*)$/m.exec(buffer.slice(0, end))?.[1];
      buffer = buffer.slice(end + 2);
      if (data === undefined) continue;
      const status = (JSON.parse(data) as { run: { status: string } }).run.status;
      statuses.push(status);
      onEvent(status);
    }
  }
  return statuses;
}

describe('the run routes', () => {
  it('should stream a run\'s detail on each change and end the stream once it has finished; 404 for no such run', async () => {
    const { runs, url } = await setup();
    const run = (await runs.trigger('slow', {}))!;
    let cancelled = false;
    const statuses = await runEvents(url, run.runId, (status) => {
      if (status === 'running' && !cancelled) {
        cancelled = true;
        void runs.cancel(run.runId);
      }
    });
    expect(statuses.at(-1)).toBe('cancelled');
    expect(statuses).toContain('running');
    const missing = await fetch(`${url}/api/runs/no-such-run/events`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'ORCHESTRATOR_RUN_NOT_FOUND' });
  });

  it('should list the graphs with their tasks, dependencies and schedules', async () => {
    const { client } = await setup();
    const { graphs } = await client.get<{ graphs: { id: string; tasks: { id: string; after: string[] }[]; schedule: unknown }[] }>('/api/graphs');
    expect(graphs.map((g) => g.id)).toEqual(['daily', 'slow', 'flaky']);
    expect(graphs[0]).toMatchObject({ tasks: [{ id: 'extract', after: [] }, { id: 'load', after: ['extract'] }], schedule: { cron: '0 6 * * *' }, maxActiveRuns: 16 });
  });

  it('should trigger a run, wait for it, and show it with its tasks, attempts and log lines, times as dates', async () => {
    const { runs } = await setup();
    const run = (await runs.trigger('daily', { logicalDate: new Date('2026-03-01T06:00:00Z') }))!;
    expect(run.trigger).toBe('manual');
    expect(run.logicalDate).toEqual(new Date('2026-03-01T06:00:00Z'));
    expect(run.interval).toEqual({ start: new Date('2026-03-01T06:00:00Z'), end: new Date('2026-03-02T06:00:00Z') });
    const end = await runs.waitForRun(run.runId, { pollMs: 20 });
    expect(end.status).toBe('succeeded');
    expect(end.finished!.getTime()).toBeGreaterThanOrEqual(end.started!.getTime());
    const detail = (await runs.runDetail(run.runId))!;
    expect(detail.tasks.map((t) => [t.taskId, t.status, t.output])).toEqual([['extract', 'succeeded', { rows: 3 }], ['load', 'succeeded', { rows: 3 }]]);
    expect(detail.attempts.find((a) => a.taskId === 'extract')!.logs).toEqual([expect.objectContaining({ level: 'info', message: 'extracting', fields: { day: '2026-03-01' } })]);
    expect(detail.attempts[0]!.started).toBeInstanceOf(Date);
    const listed = await runs.listRuns({ graph: 'daily', status: 'succeeded' });
    expect(listed.map((r) => r.runId)).toEqual([run.runId]);
    expect(await runs.listRuns({ graph: 'daily', status: 'failed' })).toEqual([]);
    expect(await runs.runDetail('r-none')).toBeUndefined();
  });

  it('should cancel a running run and retry a failed one', async () => {
    const { runs } = await setup();
    const waiting = (await runs.trigger('slow', {}))!;
    for (let i = 0; (await runs.runDetail(waiting.runId))!.run.status !== 'running'; i++) {
      if (i > 500) throw new Error('the slow run never started');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await runs.cancel(waiting.runId)).toBe(true);
    expect((await runs.waitForRun(waiting.runId, { pollMs: 20 })).status).toBe('cancelled');
    expect(await runs.cancel(waiting.runId)).toBe(false);

    breaks = true;
    const failing = (await runs.trigger('flaky', {}))!;
    expect((await runs.waitForRun(failing.runId, { pollMs: 20 })).status).toBe('failed');
    expect((await runs.runDetail(failing.runId))!.tasks[0]!.error).toEqual({ code: 'BATCH_QUERY_FAILED', message: 'syntax error' });
    breaks = false;
    expect(await runs.retry(failing.runId)).toBe(true);
    expect((await runs.waitForRun(failing.runId, { pollMs: 20 })).status).toBe('succeeded');
    expect((await runs.runDetail(failing.runId))!.attempts.map((a) => a.status)).toEqual(['failed', 'succeeded']);
  });

  it('should plan a backfill once, and find its runs there already when it is asked again', async () => {
    const { runs } = await setup();
    const first = await runs.backfill('daily', { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-01-05T23:59:59Z') });
    expect(first).toMatchObject({ planned: 5, created: 5, rerun: 0 });
    const again = await runs.backfill('daily', { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-01-07T23:59:59Z') });
    expect(again).toMatchObject({ planned: 7, created: 2 });
    const byPartition = await runs.backfill('slow', { partitions: ['a'] });
    expect(byPartition).toMatchObject({ planned: 1, created: 1 });
  });

  it('should answer what does not fit with a code: unknown graph or run 404, a bad body or query 400', async () => {
    const { client, runs } = await setup();
    await expect(runs.trigger('nope', {})).rejects.toMatchObject({ code: 'ORCHESTRATOR_GRAPH_NOT_FOUND' });
    await expect(runs.retry('r-none')).rejects.toMatchObject({ code: 'ORCHESTRATOR_RUN_NOT_FOUND' });
    await expect(runs.cancel('r-none')).rejects.toMatchObject({ code: 'ORCHESTRATOR_RUN_NOT_FOUND' });
    await expect(client.get('/api/runs?status=done')).rejects.toMatchObject({ code: 'CLI_USAGE', message: expect.stringContaining('status') as string });
    await expect(client.get('/api/runs?limit=0')).rejects.toMatchObject({ code: 'CLI_USAGE' });
    await expect(client.send('POST', '/api/graphs/daily/runs', { date: 'yesterday' })).rejects.toMatchObject({ code: 'CLI_USAGE', message: expect.stringContaining('date') as string });
    await expect(client.send('POST', '/api/graphs/daily/runs', { when: '2026-01-01' })).rejects.toMatchObject({ code: 'CLI_USAGE' });
    await expect(client.send('POST', '/api/graphs/daily/backfill', { from: '2026-01-01', to: '2026-01-02', partitions: ['a'] })).rejects.toMatchObject({ code: 'CLI_USAGE' });
    await expect(client.send('POST', '/api/graphs/daily/backfill', { from: '2026-01-02', to: '2026-01-01' })).rejects.toMatchObject({ code: 'CLI_USAGE' });
  });
});
