/**
 * `tributary dev examples/`: every example in one process, on one log, lake, state store and server,
 * their emulators each on a free port. Each pipeline's parts run and its stream jobs' counts reconcile.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/cli.ts';
import { startCliProcess } from '../support/worker-process.ts';

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples');

type Status = { parts: { name: string; pipeline?: string; counts: Record<string, number> }[] };

async function status(cwd: string): Promise<Status | undefined> {
  const file = path.join(cwd, '.tributary', 'dev.json');
  if (!existsSync(file)) return undefined;
  const { url } = JSON.parse(readFileSync(file, 'utf8')) as { url: string };
  const response = await fetch(`${url}/api/status`).catch(() => undefined);
  return response?.ok ? ((await response.json()) as Status) : undefined;
}

describe('tributary dev examples/', () => {
  it('should run every example at once, each emulator on its own port, each job reconciling', async () => {
    const cwd = await tempDir();
    const env = { PINTEREST_RATE: '50', KIJIJI_SCRAPE_EVERY_MS: '1000' };
    const dev = startCliProcess(['dev', EXAMPLES, '--port', '0', '--status-ms', '0', '--drain', '60', '--log-level', 'warn'], env, cwd);
    await dev.seen(/tributary dev: (\S+, )*pinterest, (\S+, )*toronto-kijiji\b/, 60_000);
    const count = (s: Status | undefined, part: string, counter: string) => s?.parts.find((p) => p.name === part)?.counts[counter] ?? 0;
    const deadline = Date.now() + 90_000;
    for (;;) {
      const s = await status(cwd);
      if (count(s, 'pinterest-clean', 'out') >= 50 && count(s, 'kijiji-price-history', 'out') > 0 && count(s, 'toronto-abe', 'emitted') >= 1) break;
      if (Date.now() > deadline) throw new Error(`the examples did not all produce within 90 s: ${JSON.stringify(s?.parts.map((p) => [p.name, p.counts]))}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    dev.kill('SIGTERM');
    expect(await dev.exited).toBe(0);
    const stdout = dev.output().stdout;
    expect(stdout).not.toMatch(/failed(Polls|Runs) [1-9]|restarts [1-9]|\[failed\]/);
    const jobs = [...stdout.matchAll(/stream-job (\S+) \[stopped\]: in ([\d,]+), out ([\d,]+), filtered ([\d,]+), deadLettered ([\d,]+)/g)];
    const names = new Set(jobs.map((m) => m[1]));
    expect([...names]).toEqual(expect.arrayContaining(['pinterest/pinterest-clean', 'toronto-kijiji/kijiji-current', 'toronto-kijiji/kijiji-price-history']));
    for (const [, job, i, o, f, d] of jobs) {
      const [jobIn, out, filtered, dead] = [i, o, f, d].map((n) => Number(n!.replaceAll(',', '')));
      expect(out! + filtered! + dead!, job).toBe(jobIn);
      expect(jobIn, job).toBeGreaterThan(0);
    }
  }, 180_000);
});
