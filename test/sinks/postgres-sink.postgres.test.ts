import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresSink, type PostgresSinkOptions } from '../../src/sinks/postgres/postgres-sink.ts';
import type { Sink, TableSpec } from '../../src/sinks/sink.ts';
import { rejection } from '../support/errors.ts';
import { endpoint, uniqueName } from '../support/services.ts';
import { crashTest } from './crash-harness.ts';
import { countingSpec } from './fixtures/counting-job.ts';
import { describeSinkContract } from './sink-contract.ts';

const writer = new URL('./fixtures/pg-writer.ts', import.meta.url).pathname;

/** An admin connection for the test's own setup and checks, and a schema of its own, dropped at the end. */
async function adminSchema(): Promise<{ client: pg.Client; schema: string; drop(): Promise<void> }> {
  const client = new pg.Client({ connectionString: endpoint('TRIBUTARY_POSTGRES_URL') });
  await client.connect();
  const schema = uniqueName('sinks');
  return {
    client,
    schema,
    drop: async () => {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}

describeSinkContract('postgres', 'exactly-once', async () => {
  const admin = await adminSchema();
  const options: PostgresSinkOptions = { url: endpoint('TRIBUTARY_POSTGRES_URL'), schema: admin.schema };
  return {
    create: (spec, ctx) => postgresSink.create(spec, ctx, options),
    drop: async (table) => {
      await admin.client.query(`DROP TABLE IF EXISTS "${admin.schema}"."${table}"`);
      await admin.client.query(`DELETE FROM "${admin.schema}".tributary_sink_positions WHERE tbl = $1`, [table]).catch(() => undefined);
    },
    cleanup: () => admin.drop(),
    breakInserts: async (table) => {
      await admin.client.query(`CREATE OR REPLACE FUNCTION "${admin.schema}".refuse_inserts() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'inserts refused by the test'; END$$`);
      await admin.client.query(`CREATE TRIGGER refuse_inserts BEFORE INSERT ON "${admin.schema}"."${table}" FOR EACH ROW EXECUTE FUNCTION "${admin.schema}".refuse_inserts()`);
    },
  };
});

describe('the postgres sink', () => {
  let admin: Awaited<ReturnType<typeof adminSchema>>;
  const open: Sink[] = [];
  const url = () => endpoint('TRIBUTARY_POSTGRES_URL');
  const openSink = async (spec: TableSpec, options: Partial<PostgresSinkOptions> = {}, job = 'pg-job') => {
    const sink = postgresSink.create(spec, { job }, { url: url(), schema: admin.schema, ...options });
    open.push(sink);
    await sink.open();
    return sink;
  };
  const table = (columns: TableSpec['columns'] = { id: 'text', v: 'text' }): TableSpec => ({ name: uniqueName('pg'), columns, key: ['id'] });

  beforeAll(async () => {
    admin = await adminSchema();
  });
  afterAll(async () => {
    for (const sink of open) await sink.close();
    await admin.drop();
  });

  it('should create its schema, the table and the positions table with the mapped types', async () => {
    const spec: TableSpec = { name: uniqueName('types'), columns: { id: 'text', i: 'integer', b: 'bigint', d: 'double', f: 'boolean', ts: 'timestamp', j: 'json' }, key: ['id'] };
    await openSink(spec);
    const { rows } = await admin.client.query<{ column_name: string; data_type: string }>(
      'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
      [admin.schema, spec.name],
    );
    expect(rows).toEqual([
      { column_name: 'id', data_type: 'text' },
      { column_name: 'i', data_type: 'integer' },
      { column_name: 'b', data_type: 'bigint' },
      { column_name: 'd', data_type: 'double precision' },
      { column_name: 'f', data_type: 'boolean' },
      { column_name: 'ts', data_type: 'timestamp with time zone' },
      { column_name: 'j', data_type: 'jsonb' },
    ]);
    const positions = await admin.client.query("SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'tributary_sink_positions'", [admin.schema]);
    expect(positions.rowCount).toBe(1);
  });

  it('should pass job names, topics and text as bind values or COPY data, never as SQL', async () => {
    const hostile = `x'); DROP TABLE pg_class; --\t"\\`;
    const spec = table();
    const sink = await openSink(spec, {}, hostile);
    await sink.write({ rows: [{ id: hostile, v: hostile }], positions: [{ topic: hostile, partition: 0, offset: 1 }] });
    expect(await sink.scan()).toEqual([{ id: hostile, v: hostile }]);
    expect(await sink.positions()).toEqual([{ topic: hostile, partition: 0, offset: 1 }]);
  });

  it('should reject a value PostgreSQL refuses, naming the table, the row and the column, and store nothing of the write', async () => {
    const spec = table();
    const sink = await openSink(spec);
    // PostgreSQL text cannot hold NUL; no check before the server catches it, so this tests the error mapping.
    const error = await rejection(sink.write({ rows: [{ id: 'a', v: 'fine' }, { id: 'b', v: 'nul \u0000 inside' }], positions: [{ topic: 'in', partition: 0, offset: 2 }] }), 'SINK_REJECTED');
    expect(error.message).toContain(spec.name);
    expect(error.message).toContain('row 1');
    expect(error.retryable).toBe(false);
    expect(await sink.scan()).toEqual([]);
    expect(await sink.positions()).toEqual([]);
    await sink.write({ rows: [{ id: 'c', v: 'after' }], positions: [] });
    expect(await sink.scan()).toEqual([{ id: 'c', v: 'after' }]);
  });

  it('should fail with a retryable SINK_UNAVAILABLE when the server cannot be reached', async () => {
    const sink = postgresSink.create(table(), { job: 'j' }, { url: 'postgres://tributary@127.0.0.1:1/postgres', connectTimeoutMs: 2000 });
    const error = await rejection(sink.open(), 'SINK_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    await sink.close();
  });

  it('should replace a connection the server closed, on the next call', async () => {
    const spec = table();
    const sink = await openSink(spec);
    await sink.write({ rows: [{ id: 'a', v: '1' }], positions: [] });
    await admin.client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [`tributary sink ${spec.name}`]);
    // The first call may see the dead connection (SINK_UNAVAILABLE, retryable); the one after it must work.
    const first = await sink.write({ rows: [{ id: 'b', v: '2' }], positions: [] }).then(
      () => undefined,
      (error: unknown) => error,
    );
    if (first !== undefined) expect(first).toMatchObject({ code: 'SINK_UNAVAILABLE', retryable: true });
    await sink.write({ rows: [{ id: 'b', v: '2' }], positions: [] });
    expect(await sink.scan()).toEqual([
      { id: 'a', v: '1' },
      { id: 'b', v: '2' },
    ]);
  });

  it('should reflect every record exactly once across 20 SIGKILLs of a non-idempotent job', { timeout: 60_000 }, async () => {
    const name = uniqueName('crash');
    const end = 10_000;
    const { progress, killedInWrite, killedInTransaction } = await crashTest({
      script: writer,
      args: [url(), name, admin.schema, String(end)],
      openSink: async () => {
        const sink = postgresSink.create(countingSpec(name), { job: 'crash-job' }, { url: url(), schema: admin.schema });
        await sink.open();
        return sink;
      },
      kills: 20,
      end,
      maxKillDelayMs: 60,
    });
    // The kills found the job unfinished (it pauses short of the end until the last run), and half
    // of them came from inside a write's transaction.
    expect(progress.at(-1)!.some((offset) => offset < end)).toBe(true);
    expect(killedInTransaction, 'the kills from inside a write').toBe(10);
    expect(killedInWrite).toBeGreaterThanOrEqual(killedInTransaction);
  });
});
