/** The orchestrator's commands with `metadata.backend` postgres: runs go through the graphile-worker queue to a worker, history is in PostgreSQL. */
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { GraphProvider } from '../../src/cli/orchestrator-cli.ts';
import { loadConfig } from '../../src/config/load.ts';
import { graph, task } from '../../src/orchestrator/define.ts';
import { openOrchestrator } from '../../src/orchestrator/open-orchestrator.ts';
import { tempDir } from '../support/cli.ts';
import { endpoint, uniqueName } from '../support/services.ts';
import { tributaryWith } from './orchestrator-cli.ts';

const nightly = graph({
  id: 'nightly',
  tasks: [task({ id: 'count', run: (ctx) => { ctx.logger.info('counting', { partition: ctx.partition }); return 42; } }), task({ id: 'publish', after: ['count'], run: (_ctx, input) => input.count ?? null })],
});
const provider: GraphProvider = () => Promise.resolve({ graphs: [nightly] });

describe('orchestrator commands on PostgreSQL', () => {
  it('should queue a run for the workers, wait for it, and show its history from PostgreSQL', async () => {
    const url = endpoint('TRIBUTARY_POSTGRES_URL');
    const schema = uniqueName('orch_cli');
    const env = { TRIBUTARY_METADATA_BACKEND: 'postgres', TRIBUTARY_POSTGRES_URL: url, TRIBUTARY_POSTGRES_SCHEMA: schema };
    const cwd = await tempDir();
    onTestFinished(async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.query(`DROP SCHEMA IF EXISTS "${schema}_queue" CASCADE`);
      await client.end();
    });
    // A worker, as `tributary worker` opens it from the same config.
    const { config } = await loadConfig({ cwd, env, overrides: {} });
    const worker = await openOrchestrator(config, [nightly], { cwd });
    onTestFinished(() => worker.close());
    await worker.orchestrator.start();
    expect(await worker.leadership.holds()).toBe(true);

    const ran = await tributaryWith(provider, cwd, ['run', 'nightly', '--partition', 'dt=2026-11-21', '--wait'], env);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('status    succeeded');
    expect(ran.stdout).toContain(`worker ${worker.orchestrator.workerId}`);
    const id = /run (r\w+)/.exec(ran.stdout)![1]!;
    const list = await tributaryWith(provider, cwd, ['runs', '--status', 'succeeded'], env);
    expect(list.stdout).toMatch(new RegExp(`^${id} +nightly +succeeded +manual +dt=2026-11-21`, 'm'));
    const shown = await tributaryWith(provider, cwd, ['runs', 'show', id], env);
    expect(shown.stdout).toMatch(/^publish +succeeded +1 +\S+ +42$/m);
    expect(shown.stdout).toContain('INFO  counting {"partition":"dt=2026-11-21"}');
  });
});
