import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { cassandraSink, type CassandraSinkOptions } from '../../src/sinks/cassandra/cassandra-sink.ts';
import { rejection } from '../support/errors.ts';
import { endpoint, uniqueName } from '../support/services.ts';
import { describeSinkContract } from './sink-contract.ts';

const connection = () => ({
  contactPoints: endpoint('TRIBUTARY_CASSANDRA_CONTACT_POINTS').split(','),
  datacenter: process.env.TRIBUTARY_CASSANDRA_DATACENTER ?? 'datacenter1',
});

/** An admin client for dropping what the tests made; the sinks create the keyspace themselves. */
async function adminClient(): Promise<cassandra.Client> {
  const { contactPoints, datacenter } = connection();
  const client = new cassandra.Client({ contactPoints, localDataCenter: datacenter });
  await client.connect();
  return client;
}

describeSinkContract('cassandra', 'idempotent', async () => {
  const admin = await adminClient();
  const keyspace = uniqueName('sinks');
  const options: CassandraSinkOptions = { ...connection(), keyspace };
  return {
    create: (spec, ctx) => cassandraSink.create(spec, ctx, options),
    drop: async (table) => {
      await admin.execute(`DROP TABLE IF EXISTS "${keyspace}"."${table}"`);
    },
    cleanup: async () => {
      await admin.execute(`DROP KEYSPACE IF EXISTS "${keyspace}"`);
      await admin.shutdown();
    },
  };
});

describe('the cassandra sink', () => {
  it('should create its keyspace with the given replication and the table with the first key column as partition key', async () => {
    const admin = await adminClient();
    const keyspace = uniqueName('sinks');
    const spec = { name: uniqueName('pk'), columns: { a: 'text', b: 'bigint', c: 'timestamp', d: 'json', e: 'boolean', f: 'double', g: 'integer' }, key: ['a', 'b', 'c'] } as const;
    const sink = cassandraSink.create(spec, { job: 'j' }, { ...connection(), keyspace, replication: { class: 'SimpleStrategy', replication_factor: 1 }, maxBatchRows: 3, concurrency: 2 });
    try {
      await sink.open();
      const replication = (await admin.execute('SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?', [keyspace], { prepare: true })).first().get('replication') as Record<string, string>;
      expect(replication).toMatchObject({ class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: '1' });
      const columns = await admin.execute('SELECT column_name, kind, type FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?', [keyspace, spec.name], { prepare: true });
      const byName = Object.fromEntries(columns.rows.map((r) => [r.get('column_name') as string, `${r.get('kind') as string} ${r.get('type') as string}`]));
      expect(byName).toEqual({ a: 'partition_key text', b: 'clustering bigint', c: 'clustering timestamp', d: 'regular text', e: 'regular boolean', f: 'regular double', g: 'regular int' });

      // Small batches and low concurrency still store every row of a large partition.
      const rows = Array.from({ length: 50 }, (_, n) => ({ a: 'one', b: n, c: new Date(n), d: { n }, e: n % 2 === 0, f: n / 4, g: -n - 1 }));
      await sink.write({ rows, positions: [] });
      expect(await sink.scan()).toEqual(rows);
    } finally {
      await sink.close();
      await admin.execute(`DROP KEYSPACE IF EXISTS "${keyspace}"`);
      await admin.shutdown();
    }
  });

  it('should fail with a retryable SINK_UNAVAILABLE when no contact point can be reached', async () => {
    const sink = cassandraSink.create({ name: 'unreachable', columns: { id: 'text' }, key: ['id'] }, { job: 'j' }, { contactPoints: ['127.0.0.1:1'], datacenter: 'datacenter1', keyspace: 'nowhere', connectTimeoutMs: 1000 });
    const error = await rejection(sink.open(), 'SINK_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    await sink.close();
  });

  it('should refuse a replication setting that is not a plain name or number', () => {
    expect(() =>
      cassandraSink.create({ name: 't', columns: { id: 'text' }, key: ['id'] }, { job: 'j' }, { ...connection(), keyspace: 'k', replication: { class: "SimpleStrategy'} AND durable_writes = false --" } }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
