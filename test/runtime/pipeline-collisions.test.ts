import { describe, expect, it } from 'vitest';
import { checkCollisions } from '../../src/runtime/pipeline-collisions.ts';
import { definePipeline } from '../../src/runtime/pipeline.ts';
import { importPipelines, resolvePipelineModules } from '../../src/runtime/load-pipelines.ts';
import { Pipeline } from '../../src/stream/pipeline.ts';
import { statelessJob } from '../../src/stream/jobs.ts';
import { z } from 'zod';
import path from 'node:path';

const job = (name: string, table: string) =>
  statelessJob({ name, pipeline: Pipeline.from('events', z.object({ id: z.string() })), output: { table: { name: table, key: ['id'], columns: { id: 'text' } }, row: (e) => e } });

describe('pipelines loaded together', () => {
  it('should refuse two pipelines sharing a stream job or a table, naming both', () => {
    const a = definePipeline({ name: 'a', streamJobs: [job('keep', 'events_a')] });
    const b = definePipeline({ name: 'b', streamJobs: [job('keep', 'events_b')] });
    expect(() => checkCollisions([{ pipeline: a, module: 'a.ts' }, { pipeline: b, module: 'b.ts' }])).toThrow(
      'pipelines loaded together must not share names: stream job "keep" is in pipeline "a" (a.ts) and in "b" (b.ts); rename one of each',
    );
    const c = definePipeline({ name: 'c', streamJobs: [job('keep-c', 'events_a')] });
    expect(() => checkCollisions([{ pipeline: a, module: 'a.ts' }, { pipeline: c, module: 'c.ts' }])).toThrow('view or table "events_a" is in pipeline "a" (a.ts) and in "c" (c.ts)');
  });

  it('should let pipelines read one topic, each with its own jobs', () => {
    const a = definePipeline({ name: 'a', streamJobs: [job('keep-a', 'events_a')] });
    const b = definePipeline({ name: 'b', streamJobs: [job('keep-b', 'events_b')] });
    expect(() => checkCollisions([{ pipeline: a, module: 'a.ts' }, { pipeline: b, module: 'b.ts' }])).not.toThrow();
  });

  it('should load every example in examples/ together', async () => {
    const modules = resolvePipelineModules(['examples'], path.resolve(import.meta.dirname, '../..'));
    const loaded = await importPipelines(modules);
    expect(loaded.map((l) => l.pipeline.name)).toEqual(expect.arrayContaining(['pinterest', 'toronto-kijiji']));
  });
});
