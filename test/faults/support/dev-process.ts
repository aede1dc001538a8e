/** `tributary dev` of the Pinterest example as the fault scenarios run it: no poster, the test posts. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startCliProcess, type WorkerProcess } from '../../support/worker-process.ts';
import { PINTEREST_DIR } from './pins.ts';
import { until } from './until.ts';

export interface DevProcess {
  process: WorkerProcess;
  url: string;
}

export async function startDev(cwd: string, env: Record<string, string> = {}): Promise<DevProcess> {
  const devFile = path.join(env.TRIBUTARY_DATA_DIR ?? path.join(cwd, '.tributary'), 'dev.json');
  const child = startCliProcess(['dev', PINTEREST_DIR, '--port', '0', '--status-ms', '0', '--drain', '30', '--log-level', 'warn'], { PINTEREST_RATE: '0', ...env }, cwd, { outlive: true });
  await child.seen(/tributary dev: pinterest on the \S+ log; server http:\/\/127\.0\.0\.1:\d+/, 90_000);
  const url = /server (http:\/\/127\.0\.0\.1:\d+)/.exec(child.output().stdout)![1]!;
  await until('the dev server to answer', async () => ((await fetch(`${url}/health`).catch(() => undefined))?.ok ? true : undefined));
  if (!existsSync(devFile) || !readFileSync(devFile, 'utf8').includes(url)) throw new Error(`dev wrote no ${devFile} naming ${url}`);
  return { process: child, url };
}

/** POSTs pins as NDJSON; the status and the parsed body. */
export async function postPins(url: string, pins: readonly unknown[]): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/ingest/pinterest.pins`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: pins.map((p) => JSON.stringify(p)).join('\n'),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The unique ids in the example's `pinterest_pins` table, as its query API answers them. */
export async function tableIds(url: string): Promise<string[]> {
  const response = await fetch(`${url}/query/pinterest_pins?limit=10000`);
  if (!response.ok) throw new Error(`query pinterest_pins: ${response.status} ${await response.text()}`);
  const { rows } = (await response.json()) as { rows: Array<{ unique_id: string }> };
  return rows.map((r) => r.unique_id);
}
