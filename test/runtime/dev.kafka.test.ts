/**
 * `tributary dev` on the real engines by configuration alone: the log on Kafka, the tables and the
 * metadata on PostgreSQL. SIGTERM stops it with every area closed; a restart continues from what was
 * committed, with nothing lost and nothing counted twice.
 */
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { QueryResult } from '../../src/serve/query/view.ts';
import { cli, tempDir } from '../support/cli.ts';
import { endpoint, uniqueName } from '../support/services.ts';
import { startCliProcess } from '../support/worker-process.ts';

const COUNTER = path.resolve(import.meta.dirname, 'fixtures/counter-pipeline.ts');

describe('tributary dev on Kafka and PostgreSQL', () => {
  it('should stop on SIGTERM and continue on restart with every event once in the log and once in the table', async () => {
    const cwd = await tempDir();
    const name = uniqueName('counter');
    const env = {
      TRIBUTARY_LOG_BACKEND: 'kafka',
      TRIBUTARY_KAFKA_BROKERS: endpoint('TRIBUTARY_KAFKA_BROKERS'),
      TRIBUTARY_SINKS_BACKEND: 'postgres',
      TRIBUTARY_METADATA_BACKEND: 'postgres',
      TRIBUTARY_POSTGRES_URL: endpoint('TRIBUTARY_POSTGRES_URL'),
      COUNTER_TOPIC: `${name}.events`,
      COUNTER_TABLE: name,
      COUNTER_PER_POLL: '25',
    };
    // The pipeline module reads its names from the environment when it is imported, here as in the child.
    Object.assign(process.env, { COUNTER_TOPIC: env.COUNTER_TOPIC, COUNTER_TABLE: env.COUNTER_TABLE });
    onTestFinished(() => {
      delete process.env.COUNTER_TOPIC;
      delete process.env.COUNTER_TABLE;
    });
    onTestFinished(async () => {
      await cli(['topics', 'delete', `${name}.events`], { cwd, env });
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: env.TRIBUTARY_POSTGRES_URL });
      await client.connect();
      await client.query(`DROP TABLE IF EXISTS "${name}"`);
      await client.query('DELETE FROM tributary_sink_positions WHERE tbl = $1', [name]);
      await client.end();
    });
    for (let round = 0; round < 2; round++) {
      const dev = startCliProcess(['dev', COUNTER, '--port', '0', '--status-ms', '500', '--drain', '60', '--log-level', 'warn'], env, cwd);
      await dev.seen(/tributary dev: counter on the kafka log/, 90_000);
      await dev.seen(/stream-job counter\/\S+-keep: in \d+, out (\d{3,}|[1-9]\d{2})/, 90_000);
      dev.kill('SIGTERM');
      expect(await dev.exited).toBe(0);
      expect(dev.output().stdout).toMatch(/tributary dev stopped/);
    }
    const described = await cli(['topics', 'describe', `${name}.events`], { cwd, env });
    expect(described.code).toBe(0);
    const records = [...described.stdout.matchAll(/^\d+\s+\d+\s+(\d+)\s+\d+$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    expect(records).toBeGreaterThanOrEqual(200);
    const queried = await cli(['query', name, '--pipeline', COUNTER, '--param', 'limit=10000', '--json'], { cwd, env });
    expect(queried.stderr).toBe('');
    const table = JSON.parse(queried.stdout) as QueryResult;
    const ns = table.rows.map((r) => Number(r.n)).sort((a, b) => a - b);
    expect(ns).toEqual(Array.from({ length: records }, (_, i) => i));
    expect(Object.values(table.asOf.realtime).reduce((n, o) => n + o, 0)).toBe(records);
  }, 300_000);
});
