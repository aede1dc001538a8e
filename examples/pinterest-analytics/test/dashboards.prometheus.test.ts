/**
 * The dashboards against the real thing: the example runs in `tributary dev`, a private Prometheus
 * (the binary `scripts/services` builds) scrapes it with deploy/prometheus.yml (its target pointed
 * at the running example, scraping every second), and every Grafana panel's PromQL query must
 * return series.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { freePort } from '../../../test/support/free-port.ts';
import path from 'node:path';
import { onTestFinished, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { tempDir } from '../../../test/support/cli.ts';
import { endpoint } from '../../../test/support/services.ts';
import { startCliProcess } from '../../../test/support/worker-process.ts';
import { dashboards } from '../deploy/grafana/dashboards.ts';
import { EXAMPLE, until } from './support.ts';

interface ScrapeConfig {
  job_name: string;
  static_configs: { targets: string[]; labels?: Record<string, string> }[];
}

/** deploy/prometheus.yml with the dev job scraping `target` every second, and the worker job left out (no workers run here). */
async function configFor(target: string): Promise<string> {
  const config = parse(await readFile(path.join(EXAMPLE, 'deploy', 'prometheus.yml'), 'utf8')) as { global: Record<string, string>; scrape_configs: ScrapeConfig[] };
  const dev = config.scrape_configs.find((c) => c.job_name === 'tributary-dev');
  expect(dev, 'deploy/prometheus.yml scrapes tributary dev').toBeDefined();
  dev!.static_configs = dev!.static_configs.map((s) => ({ ...s, targets: [target] }));
  return stringify({ ...config, global: { ...config.global, scrape_interval: '1s', evaluation_interval: '1s' }, scrape_configs: [dev] });
}

describe('the Grafana dashboards on a real Prometheus', () => {
  it("should find series for every panel's query while the example runs", async () => {
    const binary = endpoint('TRIBUTARY_PROMETHEUS_BIN');
    const cwd = await tempDir();
    const dev = startCliProcess(['dev', EXAMPLE, '--port', '0', '--status-ms', '0', '--log-level', 'warn'], { PINTEREST_ANALYTICS_RATE: '40', PINTEREST_ANALYTICS_BATCH_EVERY_MS: '2000' }, cwd);
    await dev.seen(/tributary dev: pinterest-analytics on the embedded log; server http:\/\/127\.0\.0\.1:\d+/, 60_000);
    const target = /server http:\/\/(127\.0\.0\.1:\d+)/.exec(dev.output().stdout)![1]!;

    const configFile = path.join(cwd, 'prometheus.yml');
    await writeFile(configFile, await configFor(target));
    const port = await freePort();
    const prometheus = spawn(binary, [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(cwd, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    prometheus.stderr.on('data', (chunk: Buffer) => (log = (log + chunk.toString('utf8')).slice(-4000)));
    const exited = once(prometheus, 'exit');
    onTestFinished(async () => {
      if (prometheus.exitCode === null && prometheus.signalCode === null) {
        prometheus.kill('SIGTERM');
        await exited;
      }
    });
    const base = `http://127.0.0.1:${port}`;
    await until('the private Prometheus to be ready', async () => ((await fetch(`${base}/-/ready`).catch(() => undefined))?.ok ? true : undefined), 60_000).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; its log:\n${log}`);
    });

    const exprOf = (p: NonNullable<(typeof dashboards)[string]['panels']>[number]) => {
      const expr = 'targets' in p ? p.targets?.[0]?.expr : undefined;
      return typeof expr === 'string' ? expr : '';
    };
    const panels = Object.values(dashboards).flatMap((d) => (d.panels ?? []).map((p) => ({ dashboard: d.title, panel: p.title, expr: exprOf(p) })));
    for (const { panel, expr } of panels) expect(expr, `${panel} has a query`).not.toBe('');
    expect(panels.length).toBeGreaterThanOrEqual(10);
    const pending = new Set(panels.map((p) => p.expr));
    const found = new Map<string, number>();
    await until(
      'series for every panel',
      async () => {
        for (const expr of [...pending]) {
          const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`);
          const body = (await response.json()) as { status: string; error?: string; data?: { result: unknown[] } };
          expect(body.status, `${expr}: ${body.error ?? ''}`).toBe('success');
          if ((body.data?.result.length ?? 0) > 0) {
            found.set(expr, body.data!.result.length);
            pending.delete(expr);
          }
        }
        return pending.size === 0 ? true : undefined;
      },
      90_000,
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; still without series: ${[...pending].join(' | ')}`);
    });
    for (const { expr } of panels) expect(found.get(expr), expr).toBeGreaterThan(0);

    dev.kill('SIGTERM');
    expect(await dev.exited).toBe(0);
  }, 180_000);
});
