import cassandra from 'cassandra-driver';
import { describe, expect, it, onTestFinished } from 'vitest';
import { z } from 'zod';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';
import type { Log } from '../../src/log/log.ts';
import { cassandraSink } from '../../src/sinks/cassandra/cassandra-sink.ts';
import type { Row, TableSpec } from '../../src/sinks/sink.ts';
import { Pipeline } from '../../src/stream/pipeline.ts';
import { runStreamJob, type JobCounts } from '../../src/stream/runner.ts';
import { tempDir } from '../support/cli.ts';
import { endpoint, uniqueName } from '../support/services.ts';

const connection = () => ({
  contactPoints: endpoint('TRIBUTARY_CASSANDRA_CONTACT_POINTS').split(','),
  datacenter: process.env.TRIBUTARY_CASSANDRA_DATACENTER ?? 'datacenter1',
});

const order = z.object({ id: z.number().int(), customer: z.string(), amount: z.number(), status: z.string(), at: z.number().int() });
type Order = z.infer<typeof order>;
const spec: TableSpec = { name: 'orders', columns: { id: 'bigint', customer: 'text', amount: 'double', status: 'text', placed_at: 'timestamp' }, key: ['id'] };
const toRow = (o: Order): Row => ({ id: o.id, customer: o.customer, amount: o.amount, status: o.status, placed_at: new Date(o.at) });

const ORDERS = 3000;
/**
 * 3,000 orders, then an update of every fifth one (a later status and amount: the last write for an
 * id must win), test orders (filtered) and malformed records (dead-lettered). A record's log key is
 * its order id, so an order and its update share a partition and keep their order.
 */
function input(): { values: { key: string; value: string }[]; expected: Row[]; filtered: number; deadLettered: number } {
  const values: { key: string; value: string }[] = [];
  const latest = new Map<number, Order>();
  const add = (o: Order) => {
    values.push({ key: String(o.id), value: JSON.stringify(o) });
    if (o.status !== 'test') latest.set(o.id, o);
  };
  for (let id = 0; id < ORDERS; id++) add({ id, customer: `c${id % 37}`, amount: (id * 13) / 4, status: id % 50 === 7 ? 'test' : 'placed', at: 1_700_000_000_000 + id * 1000 });
  for (let id = 0; id < ORDERS; id += 5) if (id % 50 !== 7) add({ id, customer: `c${id % 37}`, amount: (id * 13) / 4 + 1, status: 'shipped', at: 1_700_000_000_000 + id * 1000 + 60_000 });
  const bad = ['{"id": "seven"}', 'not json', JSON.stringify({ id: 1.5, customer: 'c', amount: 1, status: 'placed', at: 0 })];
  bad.forEach((value, i) => values.push({ key: `bad${i}`, value }));
  const expected = [...latest.values()].sort((a, b) => a.id - b.id).map(toRow);
  return { values, expected, filtered: values.filter((v) => v.value.includes('"status":"test"')).length, deadLettered: bad.length };
}

/** Run the job as `name` (its consumer group is `job.<name>`) until it has read `total` records. */
async function run(log: Log, name: string, keyspace: string, total: number): Promise<JobCounts> {
  const sink = cassandraSink.create(spec, { job: name }, { ...connection(), keyspace });
  const controller = new AbortController();
  return runStreamJob(
    {
      name,
      pipeline: Pipeline.from('orders', order).filter((o) => o.status !== 'test', 'no-test-orders'),
      output: { kind: 'table', sink, row: toRow },
      batchRecords: 500,
      batchMs: 50,
    },
    { log, signal: controller.signal, onBatch: (c) => c.in >= total && controller.abort() },
  );
}

describe('a stream job into Cassandra', () => {
  it('should store every row, and leave the table unchanged when replayed under a fresh consumer group', { timeout: 120_000 }, async () => {
    const keyspace = uniqueName('runner');
    const admin = new cassandra.Client({ contactPoints: connection().contactPoints, localDataCenter: connection().datacenter });
    await admin.connect();
    onTestFinished(async () => {
      await admin.execute(`DROP KEYSPACE IF EXISTS "${keyspace}"`);
      await admin.shutdown();
    });
    const dir = await tempDir();
    const log = await openEmbeddedLog({ dir, fsync: { mode: 'never' } });
    onTestFinished(() => log.close());
    await log.admin().createTopic('orders', { partitions: 3 });
    const { values, expected, filtered, deadLettered } = input();
    await log.producer().send(values.map(({ key, value }) => ({ topic: 'orders', key: Buffer.from(key), value: Buffer.from(value) })));

    const first = await run(log, 'orders-to-cassandra', keyspace, values.length);
    expect({ in: first.in, out: first.out, filtered: first.filtered, deadLettered: first.deadLettered }).toEqual({ in: values.length, out: values.length - filtered - deadLettered, filtered, deadLettered });
    expect(first.in).toBe(first.out + first.filtered + first.deadLettered);
    const reader = cassandraSink.create(spec, { job: 'check' }, { ...connection(), keyspace });
    await reader.open();
    onTestFinished(() => reader.close());
    const afterFirst = await reader.scan();
    expect(afterFirst).toHaveLength(expected.length);
    expect(afterFirst).toEqual(expected);

    // The same records again from the start: every row is written again, and none changes.
    const replay = await run(log, 'orders-to-cassandra-replay', keyspace, values.length);
    expect({ in: replay.in, out: replay.out, filtered: replay.filtered, deadLettered: replay.deadLettered }).toEqual({ in: first.in, out: first.out, filtered: first.filtered, deadLettered: first.deadLettered });
    expect(replay.in).toBe(replay.out + replay.filtered + replay.deadLettered);
    expect(await reader.scan()).toEqual(afterFirst);
    const { rows } = await admin.execute(`SELECT count(*) AS n FROM "${keyspace}"."${spec.name}"`);
    expect(Number(rows[0]?.get('n'))).toBe(expected.length);
  });
});
