/**
 * `tributary dag test` over every graph of every example, as a user tries a graph before scheduling
 * it: each source graph (with the pipeline's emulators started around the run) and each scheduled
 * batch job's graph, in one project directory per example, sources first. Every run must succeed,
 * and in the Toronto example the batch graph must find what the CKAN source graph put in the raw zone.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { DefinedPipeline } from '../../src/runtime/pipeline.ts';
import { cli, tempDir } from '../support/cli.ts';

// The modules read these when imported. The random-users emulator gets a port of its own, away from
// other tests running the example at the same time; the e-commerce shop a file of its own, since its
// default (relative to the working directory) would be relative to this process's, not the project's.
vi.hoisted(() => {
  const unique = `${process.pid}-${Math.random().toString(16).slice(2, 10)}`;
  process.env.RANDOM_USERS_EMULATOR_PORT = String(20_000 + Math.floor(Math.random() * 20_000));
  process.env.ECOMMERCE_DB_URL = `sqlite:${process.env.TMPDIR ?? '/tmp'}/tributary-dag-test-shop-${unique}.sqlite`;
});

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples');
const NAMES = ['toronto-kijiji', 'pinterest', 'pinterest-analytics', 'random-users', 'ecommerce'];

/** The example's graph ids: its sources' first, then its scheduled batch jobs' and its own. */
async function graphIds(example: string): Promise<string[]> {
  const pipeline = ((await import(path.join(EXAMPLES, example, 'pipeline.ts'))) as { default: DefinedPipeline }).default;
  return [
    ...pipeline.sources.map((s) => `${pipeline.name}.source.${s.name}`),
    ...pipeline.batchJobs.filter((b) => b.schedule).map((b) => `${pipeline.name}.batch.${b.job.name}`),
    ...pipeline.graphs.map((g) => g.id),
  ];
}

describe('tributary dag test on the examples', () => {
  afterAll(() => rm(process.env.ECOMMERCE_DB_URL!.slice('sqlite:'.length), { force: true }));

  it.each(NAMES)('should run every graph of %s once, here and now, to success', async (example) => {
    const cwd = await tempDir();
    const ids = await graphIds(example);
    expect(ids.length).toBeGreaterThan(0);
    const outputs = new Map<string, string>();
    for (const id of ids) {
      const result = await cli(['dag', 'test', id, '--pipeline', path.join(EXAMPLES, example), '--log-level', 'error'], { cwd });
      expect(result.code, `dag test ${id}:\n${result.stdout}\n${result.stderr.slice(-3000)}`).toBe(0);
      expect(result.stdout).toMatch(/ succeeded /);
      outputs.set(id, result.stdout);
    }
    if (example === 'toronto-kijiji') {
      expect(outputs.get('toronto-kijiji.source.toronto-abe')).toMatch(/"emitted":[1-9]/);
      expect(outputs.get('toronto-kijiji.batch.toronto-apartments')).toMatch(/"written":[1-9]/);
    }
  }, 240_000);

  it('should name the graphs there are when asked for one that is not', async () => {
    const result = await cli(['dag', 'test', 'pinterest.batch.nope', '--pipeline', path.join(EXAMPLES, 'pinterest')], { cwd: await tempDir() });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('error [ORCHESTRATOR_GRAPH_NOT_FOUND]: no graph "pinterest.batch.nope"; the loaded pipelines declare: pinterest.batch.pinterest-clean-batch');
  });
});
