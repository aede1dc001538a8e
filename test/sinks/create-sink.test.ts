import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { createSink, sinkComponents } from '../../src/sinks/create-sink.ts';

const spec = { name: 'pins', columns: { id: 'text' }, key: ['id'] } as const;

describe('createSink', () => {
  it('should put the embedded sink\'s files under <dataDir>/views', async () => {
    const cwd = await mkdtemp(path.join(tmpdir(), 'tributary-create-sink-'));
    onTestFinished(() => rm(cwd, { recursive: true, force: true }));
    const sink = createSink(configSchema.parse({ dataDir: 'data' }), spec, { job: 'j' }, { cwd });
    expect(sink.guarantee).toBe('exactly-once');
    await sink.open();
    await sink.close();
    expect((await stat(path.join(cwd, 'data', 'views', 'pins.sqlite'))).isFile()).toBe(true);
  });

  it('should build the backend the config names without connecting', () => {
    const postgres = createSink(configSchema.parse({ sinks: { backend: 'postgres' }, postgres: { url: 'postgres://u@127.0.0.1:1/db' } }), spec, { job: 'j' });
    expect(postgres.guarantee).toBe('exactly-once');
    const cassandra = createSink(configSchema.parse({ sinks: { backend: 'cassandra' }, cassandra: { contactPoints: ['127.0.0.1:1'] } }), spec, { job: 'j' });
    expect(cassandra.guarantee).toBe('idempotent');
    expect(Object.keys(sinkComponents)).toEqual(['embedded', 'postgres', 'cassandra']);
  });
});
