import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { loadPipelines } from '../../src/runtime/load-pipelines.ts';
import { definePipeline } from '../../src/runtime/pipeline.ts';
import { generatorSource } from '../../src/sources/generator/generator.ts';
import { Pipeline } from '../../src/stream/pipeline.ts';
import { statelessJob } from '../../src/stream/jobs.ts';
import { z } from 'zod';
import { tempDir } from '../support/cli.ts';
import { rejection } from '../support/errors.ts';

const root = path.resolve(import.meta.dirname, '../..');
const loaded = (pipelines: string[] = [], file?: string) => ({ config: configSchema.parse({ pipelines }), file, sources: new Map() });
const job = (name: string) => statelessJob({ name, pipeline: Pipeline.from('t', z.unknown()), output: { topic: 'out' } });

describe('definePipeline', () => {
  it('should return the definition frozen, with every part present', () => {
    const p = definePipeline({ name: 'p', streamJobs: [job('a')] });
    expect(Object.isFrozen(p)).toBe(true);
    expect(p.kind).toBe('tributary.pipeline');
    expect(p.streamJobs.map((j) => j.name)).toEqual(['a']);
    expect(p.sources).toEqual([]);
    expect(p.views).toEqual([]);
  });

  it('should refuse duplicate and malformed names, naming the pipeline and the part', () => {
    expect(() => definePipeline({ name: 'p', streamJobs: [job('a'), job('a')] })).toThrow('pipeline "p": stream job "a" is declared twice');
    expect(() => definePipeline({ name: 'bad name' })).toThrow(/pipeline "bad name": its name must be letters/);
    expect(() => definePipeline({ name: 'p', topics: [{ name: 'x y', schema: z.unknown() }] })).toThrow('topic "x y": the name must be letters');
  });

  it("should check a source's config against its component's schema when defined", () => {
    const error = (() => {
      try {
        definePipeline({ name: 'p', sources: [{ name: 'gen', component: generatorSource, config: { name: 'gen', topic: 't', perPoll: 0, record: () => 1 }, schedule: { everyMs: 100 } }] });
      } catch (e) {
        return e as Error & { code?: string };
      }
      return undefined;
    })();
    expect(error?.code).toBe('PIPELINE_INVALID');
    expect(error?.message).toContain('source "gen" (generator): perPoll:');
  });

  it('should refuse a cron schedule that does not parse, and a too-short interval', () => {
    const gen = { name: 'gen', component: generatorSource, config: { name: 'gen', topic: 't', record: () => 1 } };
    expect(() => definePipeline({ name: 'p', sources: [{ ...gen, schedule: { cron: 'every day' } }] })).toThrow(/cron expression/);
    expect(() => definePipeline({ name: 'p', sources: [{ ...gen, schedule: { cron: '61 * * * *' } }] })).toThrow(/not a valid cron expression/);
    expect(() => definePipeline({ name: 'p', sources: [{ ...gen, schedule: { everyMs: 1 } }] })).toThrow(/everyMs must be a number of at least 10/);
  });
});

describe('loadPipelines', () => {
  it('should load a module file, a directory holding pipeline.ts, and a directory of them', async () => {
    const file = await loadPipelines([path.join(root, 'examples/pinterest/pipeline.ts')], loaded(), root);
    expect(file.map((l) => l.pipeline.name)).toEqual(['pinterest']);
    const dir = await loadPipelines(['examples/pinterest'], loaded(), root);
    expect(dir.map((l) => l.module)).toEqual([path.join(root, 'examples/pinterest/pipeline.ts')]);
    const all = await loadPipelines(['examples'], loaded(), root);
    expect(all.map((l) => l.pipeline.name)).toEqual(expect.arrayContaining(['pinterest', 'toronto-kijiji']));
  });

  it('should take the pipelines the config lists, relative to the config file, when none is named', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'conf'));
    const list = await loadPipelines([], loaded([path.relative(path.join(dir, 'conf'), path.join(root, 'examples/pinterest'))], path.join(dir, 'conf', 'tributary.config.json')), '/');
    expect(list.map((l) => l.pipeline.name)).toEqual(['pinterest']);
    await expect(loadPipelines([], loaded(), dir, { required: true })).rejects.toMatchObject({ code: 'PIPELINE_NOT_FOUND', message: expect.stringContaining('tributary dev examples/pinterest') as unknown });
  });

  it('should say what is wrong with a path or a module', async () => {
    const dir = await tempDir();
    expect((await rejection(loadPipelines(['nowhere'], loaded(), dir), 'PIPELINE_NOT_FOUND')).message).toContain('no pipeline at nowhere');
    await writeFile(path.join(dir, 'empty.ts'), 'export default 42;\n');
    expect((await rejection(loadPipelines(['empty.ts'], loaded(), dir), 'PIPELINE_INVALID')).message).toContain('must export default definePipeline');
    await writeFile(path.join(dir, 'broken.ts'), 'throw new Error("boom");\n');
    expect((await rejection(loadPipelines(['broken.ts'], loaded(), dir), 'PIPELINE_INVALID')).message).toContain('boom');
    await mkdir(path.join(dir, 'nothing'));
    expect((await rejection(loadPipelines(['nothing'], loaded(), dir), 'PIPELINE_NOT_FOUND')).message).toContain('no pipeline module in nothing');
  });

  it('should refuse two pipelines with one name', async () => {
    const pinterest = path.join(root, 'examples/pinterest/pipeline.ts');
    const dir = await tempDir();
    await writeFile(path.join(dir, 'twin.ts'), `export { default } from ${JSON.stringify(pinterest)};\n`);
    expect((await rejection(loadPipelines([pinterest, path.join(dir, 'twin.ts')], loaded(), dir), 'PIPELINE_INVALID')).message).toContain('two pipelines are named "pinterest"');
  });

  it('should take a module of stream jobs alone as a pipeline named after its file', async () => {
    const list = await loadPipelines([path.join(root, 'test/stream/fixtures/views-pipeline.ts')], loaded(), root);
    expect(list[0]!.pipeline.name).toBe('views-pipeline');
    expect(list[0]!.pipeline.streamJobs.length).toBeGreaterThan(0);
  });
});
