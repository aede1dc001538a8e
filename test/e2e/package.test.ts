/**
 * Tributary as a user gets it: the package packed (`npm pack`) and installed into a project outside
 * this repository, `tributary init` there, a pipeline of the user's own beside the scaffold's, then
 * `tributary dev` for a few seconds, `tributary query`, `batch run` and the project's own tests.
 * Nothing here reaches into src/: the project sees only the package's exports and its bin.
 */
import { execFile } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/cli.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
// The project's commands run on this test's Node (24), found first on PATH by npm and npx.
const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

async function sh(cwd: string, command: string, args: string[], timeout = 300_000): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(command, args, { cwd, env, timeout, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}: ${e.message}\nstdout:\n${e.stdout ?? ''}\nstderr:\n${e.stderr ?? ''}`, { cause: error });
  }
}

const CLICKS = `import { definePipeline, defineBatchJob, generatorSource, Pipeline, source, statelessJob, topic, z } from 'tributary';

const click = z.object({ id: z.string(), page: z.string(), ms: z.number().int() });
const pages = ['home', 'cart', 'checkout'];

export default definePipeline({
  name: 'clicks',
  topics: [topic({ name: 'clicks', schema: click, keyField: 'id' })],
  sources: [source({ name: 'clicker', component: generatorSource, config: { name: 'clicker', topic: 'clicks', perPoll: 10, record: (i) => ({ id: 'c' + i, page: pages[i % 3], ms: i * 7 }), key: (c) => (c as { id: string }).id }, schedule: { everyMs: 200 } })],
  streamJobs: [statelessJob({ name: 'clicks-keep', pipeline: Pipeline.from('clicks', click).filter((c) => c.page !== 'home', 'not-home'), output: { table: { name: 'clicks', key: ['id'], columns: { id: 'text', page: 'text', ms: 'bigint' } }, row: (c) => c } })],
  batchJobs: [{ job: defineBatchJob({ name: 'clicks-per-page', inputs: [{ kind: 'dataset', name: 'clicks', zone: 'raw', dataset: 'clicks' }], transform: { sql: "SELECT json_extract_string(value, '$.page') AS page, count(*) AS clicks FROM clicks GROUP BY ALL" }, output: { zone: 'curated', dataset: 'clicks_per_page', mode: 'overwrite-partitions' } }) }],
});
`;

describe('the package in a project of its own', () => {
  it('should pack, install, init, run dev, answer queries and pass the project tests', async () => {
    const work = await tempDir('tributary-e2e-');
    const packed = await sh(root, 'npm', ['pack', '--pack-destination', work, '--silent']);
    const tarball = path.join(work, packed.stdout.trim().split('\n').at(-1)!);
    expect(tarball).toMatch(/tributary-\d+\.\d+\.\d+\.tgz$/);

    const project = path.join(work, 'my-project');
    await sh(work, 'mkdir', [project]);
    await sh(project, 'npm', ['init', '-y']);
    await sh(project, 'npm', ['install', tarball, '--loglevel=error'], 600_000);
    const init = await sh(project, 'npx', ['tributary', 'init']);
    expect(init.stdout).toContain('tributary init: wrote tributary.config.ts, pipelines/orders.ts, test/orders.test.ts, README.md, .gitignore, package.json');
    expect((await readdir(path.join(project, 'pipelines'))).sort()).toEqual(['orders.ts']);

    // The user's own pipeline beside the scaffold's, both in the config.
    await writeFile(path.join(project, 'pipelines', 'clicks.ts'), CLICKS);
    await writeFile(path.join(project, 'tributary.config.ts'), "import { defineConfig } from 'tributary';\nexport default defineConfig({ pipelines: ['pipelines/orders.ts', 'pipelines/clicks.ts'] });\n");

    const dev = await sh(project, 'npx', ['tributary', 'dev', '--duration', '8', '--drain', '20', '--port', '0', '--status-ms', '0', '--log-level', 'warn']);
    expect(dev.stdout).toMatch(/tributary dev: orders, clicks on the embedded log; server http:\/\/127\.0\.0\.1:\d+/);
    expect(dev.stdout).toMatch(/stream-job clicks\/clicks-keep \[stopped\]: in [1-9][\d,]*, out [1-9][\d,]*, filtered [1-9][\d,]*, deadLettered 0/);

    const perItem = JSON.parse((await sh(project, 'npx', ['tributary', 'query', 'orders-per-item', '--json'])).stdout) as { columns: string[]; rows: Record<string, unknown>[] };
    expect(perItem.columns).toEqual(['item', 'orders']);
    expect(perItem.rows.map((r) => r.item).sort()).toEqual(['cake', 'coffee', 'scone', 'tea']);
    const clicks = JSON.parse((await sh(project, 'npx', ['tributary', 'query', 'clicks', '--param', 'limit=10000', '--json'])).stdout) as { rows: Record<string, unknown>[] };
    expect(clicks.rows.length).toBeGreaterThan(0);
    expect(clicks.rows.every((r) => r.page !== 'home')).toBe(true);

    const batch = await sh(project, 'npx', ['tributary', 'batch', 'run', 'clicks-per-page']);
    expect(batch.stdout).toMatch(/^clicks-per-page: succeeded in [\d.]+ s/m);

    const tests = await sh(project, 'npm', ['test']);
    expect(tests.stdout).toMatch(/^\S+ pass 3$/m);
    expect(tests.stdout).toMatch(/^\S+ fail 0$/m);
  }, 900_000);
});
