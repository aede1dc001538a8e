/**
 * `tributary dev` as a user runs it: a child process on embedded defaults, with the other commands
 * run beside it from this process (a second process, as a user's second terminal would be).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { QueryResult } from '../../src/serve/query/view.ts';
import { cli, PINTEREST_EXAMPLE, tempDir } from '../support/cli.ts';
import { startCliProcess } from '../support/worker-process.ts';

const COUNTER = path.resolve(import.meta.dirname, 'fixtures/counter-pipeline.ts');

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The accepted count the running process reports, once it has a server. */
async function status(cwd: string): Promise<{ parts: { name: string; kind: string; counts: Record<string, number> }[] } | undefined> {
  const file = path.join(cwd, '.tributary', 'dev.json');
  if (!existsSync(file)) return undefined;
  const { url } = JSON.parse(readFileSync(file, 'utf8')) as { url: string };
  const response = await fetch(`${url}/api/status`).catch(() => undefined);
  return response?.ok ? ((await response.json()) as { parts: { name: string; kind: string; counts: Record<string, number> }[] }) : undefined;
}

describe('tributary dev', () => {
  it('should run the Pinterest example while tail, topics, lag, query and produce work from a second process', async () => {
    const cwd = await tempDir();
    const dev = startCliProcess(['dev', PINTEREST_EXAMPLE, '--port', '0', '--status-ms', '0', '--drain', '60', '--log-level', 'warn'], { PINTEREST_RATE: '100' }, cwd);
    await dev.seen(/tributary dev: pinterest on the embedded log; server http:\/\/127\.0\.0\.1:\d+/);
    await until('100 pins through the cleaning job', async () => {
      const s = await status(cwd);
      const job = s?.parts.find((p) => p.name === 'pinterest-clean');
      return (job?.counts.out ?? 0) >= 100 ? job : undefined;
    });

    const topics = await cli(['topics', 'list'], { cwd });
    expect(topics.stderr).toBe('');
    expect(topics.stdout.split('\n')).toEqual(expect.arrayContaining(['pinterest.pins', 'pinterest.geo', 'pinterest.users']));

    const tail = await cli(['tail', 'pinterest.pins', '--from', 'earliest', '-n', '3'], { cwd });
    expect(tail.code).toBe(0);
    const records = tail.stdout.trim().split('\n').map((line) => JSON.parse(line) as { offset: number; value: { unique_id: string } });
    expect(records).toHaveLength(3);
    for (const r of records) expect(r.value.unique_id).toMatch(/^[0-9a-f-]{36}$/);

    const lag = await cli(['lag', 'pinterest-clean'], { cwd });
    expect(lag.code).toBe(0);
    expect(lag.stdout).toMatch(/^pinterest\.pins\s+0\s+\d+\s+\d+\s+\d+$/m);
    expect(lag.stdout).toMatch(/^total lag \d+$/m);
    const all = await cli(['lag'], { cwd });
    expect(all.stdout).toContain('group job.pinterest-clean');

    const perCategory = JSON.parse((await cli(['query', 'posts-per-category', '--json'], { cwd })).stdout) as QueryResult;
    expect(perCategory.columns).toEqual(['category', 'posts']);
    expect(perCategory.rows.reduce((n, r) => n + Number(r.posts), 0)).toBeGreaterThan(0);
    const pins = JSON.parse((await cli(['query', 'pinterest_pins', '--param', 'limit=5', '--json'], { cwd })).stdout) as QueryResult;
    expect(pins.rows).toHaveLength(5);
    expect(Object.values(pins.asOf.realtime).reduce((n, o) => n + o, 0)).toBeGreaterThanOrEqual(100);

    const produced = await cli(['produce', 'pinterest.pins'], { cwd, stdin: '{"not":"a pin"}\n' });
    expect(produced.code).toBe(0);
    await until('the dead letter of the record produced beside dev', async () => {
      const s = await status(cwd);
      return (s?.parts.find((p) => p.name === 'pinterest-clean')?.counts.deadLettered ?? 0) >= 1 ? true : undefined;
    });

    dev.kill('SIGTERM');
    expect(await dev.exited).toBe(0);
    expect(dev.output().stdout).toMatch(/tributary dev stopped after [\d.]+ s/);
    // Everything closed: the lock and the local API's file are gone.
    expect(existsSync(path.join(cwd, '.tributary', 'log', 'lock'))).toBe(false);
    expect(existsSync(path.join(cwd, '.tributary', 'dev.json'))).toBe(false);

    // The counts reconcile, each counted where it happened: what the ingest API accepted and the one
    // record produced beside it are the topic; the job read all of it (it drained before stopping);
    // in = out + filtered + dead-lettered; the table holds one row per record out.
    const final = dev.output().stdout;
    const accepted = Number(/server ingest \[stopped\]: accepted ([\d,]+)/.exec(final)![1]!.replaceAll(',', ''));
    const [, jobIn, out, filtered, dead] = /stream-job pinterest\/pinterest-clean \[stopped\]: in ([\d,]+), out ([\d,]+), filtered ([\d,]+), deadLettered ([\d,]+)/.exec(final)!.map((n) => Number(n.replaceAll(',', '')));
    const described = await cli(['topics', 'describe', 'pinterest.pins'], { cwd });
    const inTopic = [...described.stdout.matchAll(/^\d+\s+\d+\s+(\d+)\s+\d+$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    expect(inTopic).toBe(accepted + 1);
    expect(jobIn).toBe(inTopic);
    expect(out! + filtered! + dead!).toBe(jobIn);
    expect(dead).toBe(1);
    const rows = JSON.parse((await cli(['query', 'pinterest_pins', '--pipeline', PINTEREST_EXAMPLE, '--param', 'limit=10000', '--json'], { cwd })).stdout) as QueryResult;
    expect(rows.rows.length).toBe(out);
  }, 180_000);

  it('should stop on SIGTERM with every area closed, and a restart should continue with nothing lost or counted twice', async () => {
    const cwd = await tempDir();
    const env = { COUNTER_PER_POLL: '25' };
    const args = ['dev', COUNTER, '--port', '0', '--status-ms', '0', '--drain', '30', '--log-level', 'warn'];
    for (let round = 0; round < 2; round++) {
      const dev = startCliProcess(args, env, cwd);
      await dev.seen(/tributary dev: counter/);
      await until('events in the table', async () => {
        const s = await status(cwd);
        return (s?.parts.find((p) => p.kind === 'stream-job')?.counts.out ?? 0) >= 100 ? true : undefined;
      });
      dev.kill('SIGTERM');
      expect(await dev.exited).toBe(0);
      expect(existsSync(path.join(cwd, '.tributary', 'log', 'lock'))).toBe(false);
    }
    // Every generated event is in the log once, and in the table once: the generator continued its
    // numbering, the job its positions.
    const described = await cli(['topics', 'describe', 'counter.events'], { cwd });
    const records = [...described.stdout.matchAll(/^\d+\s+\d+\s+(\d+)\s+\d+$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    expect(records).toBeGreaterThanOrEqual(200);
    const table = JSON.parse((await cli(['query', 'counter_events', '--pipeline', COUNTER, '--param', 'limit=10000', '--json'], { cwd })).stdout) as QueryResult;
    const ids = table.rows.map((r) => Number(r.n)).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: records }, (_, i) => i));
    expect(Object.values(table.asOf.realtime).reduce((n, o) => n + o, 0)).toBe(records);
  }, 180_000);
});
