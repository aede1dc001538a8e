/**
 * `/metrics` of the long-running processes as Prometheus's own tools see it: `promtool check metrics`
 * (built by scripts/services from the Prometheus module) accepts the page of `tributary dev` running
 * the Pinterest example and of a `tributary worker`, and the real Prometheus scrapes dev's page.
 */
import { execFile } from 'node:child_process';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { PINTEREST_EXAMPLE, tempDir } from '../support/cli.ts';
import { endpoint, uniqueName } from '../support/services.ts';
import { startCliProcess } from '../support/worker-process.ts';

/** promtool's verdict on a metrics page: its exit code and what it printed. */
function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(endpoint('TRIBUTARY_PROMTOOL_BIN'), ['check', 'metrics'], (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as NodeJS.ErrnoException & { code?: unknown }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
    child.stdin!.end(text);
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('/metrics under promtool and Prometheus', () => {
  it('should pass promtool check metrics on dev and be scraped by Prometheus', async () => {
    const cwd = await tempDir();
    const dev = startCliProcess(['dev', PINTEREST_EXAMPLE, '--port', '0', '--status-ms', '0', '--log-level', 'warn'], { PINTEREST_RATE: '50' }, cwd);
    await dev.seen(/server (http:\/\/127\.0\.0\.1:\d+)/, 90_000);
    const url = /server (http:\/\/127\.0\.0\.1:\d+)/.exec(dev.output().stdout)![1]!;
    // Once pins went through, the page has the ingest, log, stream, part and orchestrator series.
    const page = await until('metrics with ingested pins', async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      const through = /tributary_stream_records_total\{[^}]*outcome="out"[^}]*\} [1-9]/.test(text);
      // The sources poll as orchestrator tasks, so the orchestrator's series are there too.
      return through && /tributary_orchestrator_task_wait_seconds_count\{graph="[^"]+"\} [1-9]/.test(text) ? text : undefined;
    });
    const checked = await promtoolCheck(page);
    expect(checked.output).toBe('');
    expect(checked.code).toBe(0);

    const run = uniqueName('promtool');
    const targets = path.join(endpoint('TRIBUTARY_PROMETHEUS_TARGETS_DIR'), `${run}.json`);
    onTestFinished(() => rm(targets, { force: true }));
    await writeFile(`${targets}.tmp`, JSON.stringify([{ targets: [new URL(url).host], labels: { run } }]));
    await rename(`${targets}.tmp`, targets);
    const prometheus = endpoint('TRIBUTARY_PROMETHEUS_URL');
    const series = await until('Prometheus to scrape dev', async () => {
      const body = (await (await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(`tributary_stream_records_total{run="${run}",outcome="in"}`)}`)).json()) as { data: { result: unknown[] } };
      return body.data.result.length > 0 ? body.data.result : undefined;
    });
    expect(series.length).toBeGreaterThan(0);
    const up = (await (await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(`up{run="${run}"}`)}`)).json()) as { data: { result: Array<{ value: [number, string] }> } };
    expect(up.data.result[0]?.value[1]).toBe('1');
  }, 180_000);

  it('should pass promtool check metrics on a worker', async () => {
    const worker = startCliProcess(['worker', PINTEREST_EXAMPLE, '--data-dir', await tempDir(), '--metrics-port', '0', '--progress-ms', '60000'], {});
    await worker.seen(/metrics at (http:\/\/\S+)/, 90_000);
    const url = /metrics at (http:\/\/\S+)/.exec(worker.output().stdout)![1]!;
    const page = await (await fetch(url)).text();
    expect(page).toMatch(/^# HELP tributary_/m);
    const checked = await promtoolCheck(page);
    expect(checked.output).toBe('');
    expect(checked.code).toBe(0);
  }, 120_000);
});
