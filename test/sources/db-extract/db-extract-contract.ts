/**
 * The suite both databases pass: the e-commerce `orders` and `completed_orders` tables, built from
 * the seed's data (the Airbyte completed orders as they are, orders from the seeded generator), read
 * back through the extract into an embedded log.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { openEmbeddedLog } from '../../../src/log/embedded/embedded-log.ts';
import type { Log, LogRecord } from '../../../src/log/log.ts';
import { createDbExtract, dbExtractConfigSchema, type DbExtractConfig } from '../../../src/sources/db-extract/db-extract.ts';
import { createEcommerceGenerator, sqlTimestamp, type OrderRow } from '../../../src/sources/emulators/ecommerce-data.ts';
import { completedOrdersDdl, insertCompletedOrders, insertOrders, ordersDdl, ordersIndexDdl, parseAirbyteCompletedOrders, updateOrder, type Dialect, type Execute } from '../../../src/sources/emulators/ecommerce-tables.ts';
import { progressNamespace, type Source } from '../../../src/sources/source.ts';
import { openEmbeddedStateStore } from '../../../src/state/embedded/embedded-state.ts';
import type { StateStore } from '../../../src/state/state.ts';
import { tempDir } from '../../support/cli.ts';
import { rejection } from '../../support/errors.ts';
import { uniqueName } from '../../support/services.ts';

const DATA = new URL('../../../../shared/data/ecommerce/', import.meta.url);
const signal = new AbortController().signal;

export interface Database {
  execute: Execute;
  close(): Promise<void>;
}

interface World {
  log: Log;
  state: StateStore;
  topic: string;
  source(overrides?: Partial<DbExtractConfig>): Source;
}

/** Orders 600..600+n-1; `tie` of them (from the 50th on) share one updated_at, and the next is 1 µs later. */
function seedOrders(n: number, tie: number): OrderRow[] {
  const generator = createEcommerceGenerator({ seed: 20230119 });
  const orders = Array.from({ length: n }, () => generator.nextOrder());
  const shared = orders[50]?.updated_at ?? 0;
  for (let i = 50; i < 50 + tie; i++) orders[i] = { ...(orders[i] as OrderRow), created_at: shared, updated_at: shared };
  const after = orders[50 + tie];
  if (after) orders[50 + tie] = { ...after, updated_at: shared + 1 };
  // Later orders must stay later than the group.
  for (let i = 50 + tie + 1; i < n; i++) orders[i] = { ...(orders[i] as OrderRow), updated_at: Math.max(orders[i]?.updated_at ?? 0, shared + 2 + i) };
  return orders;
}

async function consume(log: Log, topic: string): Promise<LogRecord[]> {
  const consumer = log.consumer({ group: uniqueName('check'), topics: [topic] });
  const records: LogRecord[] = [];
  try {
    for (let empty = 0; empty < 3; ) {
      const batch = await consumer.poll(100);
      if (batch.length === 0) empty += 1;
      records.push(...batch);
    }
  } finally {
    await consumer.close();
  }
  return records;
}

const keysOf = (records: LogRecord[]) => records.map((r) => Number(r.key?.toString('utf8')));
const valueOf = (record: LogRecord | undefined) => JSON.parse(record?.value?.toString('utf8') ?? 'null') as Record<string, unknown>;

async function drain(source: Source): Promise<{ polls: number; emitted: number }> {
  let polls = 0;
  let emitted = 0;
  for (;;) {
    const result = await source.poll(signal);
    polls += 1;
    emitted += result.emitted;
    if (result.done) return { polls, emitted };
  }
}

export function describeDbExtract(dialect: Dialect, url: () => string, connect: () => Promise<Database>): void {
  describe(`db-extract on ${dialect}`, () => {
    let db: Database;
    const orders = uniqueName('orders');
    const completed = uniqueName('completed_orders');
    const seeded = seedOrders(500, 250);

    beforeAll(async () => {
      db = await connect();
      await db.execute(ordersDdl(dialect, orders), []);
      const index = ordersIndexDdl(dialect, orders);
      if (index) await db.execute(index, []);
      await db.execute(completedOrdersDdl(dialect, completed), []);
      for (let i = 0; i < seeded.length; i += 100) await insertOrders(db.execute, dialect, orders, seeded.slice(i, i + 100));
      const airbyte = parseAirbyteCompletedOrders(await readFile(new URL('airbyte_raw_completed_orders.csv', DATA), 'utf8'));
      await insertCompletedOrders(db.execute, dialect, completed, airbyte);
    });

    afterAll(async () => {
      await db.execute(`DROP TABLE IF EXISTS ${orders}`, []);
      await db.execute(`DROP TABLE IF EXISTS ${completed}`, []);
      await db.close();
    });

    async function world(base: Partial<DbExtractConfig>): Promise<World> {
      const dir = await tempDir('tributary-extract-');
      const log = await openEmbeddedLog({ dir: path.join(dir, 'log') });
      const state = await openEmbeddedStateStore({ file: path.join(dir, 'state.sqlite') });
      const topic = uniqueName('rows');
      // One partition: the records keep the order the extract sent them in.
      const admin = log.admin();
      await admin.createTopic(topic, { partitions: 1 });
      await admin.close();
      const sources: Source[] = [];
      onTestFinished(async () => {
        for (const source of sources) await source.close();
        await state.close();
        await log.close();
      });
      return {
        log,
        state,
        topic,
        source(overrides = {}) {
          const config = dbExtractConfigSchema.parse({ driver: dialect, url: url(), table: orders, cursor: 'updated_at', batchSize: 40, topic, ...base, ...overrides });
          const source = createDbExtract('orders-extract', config, { log, state, logger: pino({ level: 'silent' }) });
          sources.push(source);
          return source;
        },
      };
    }

    it('rows sharing one updated_at across batch boundaries should each be extracted exactly once', async () => {
      const w = await world({ batchSize: 40 });
      const { polls, emitted } = await drain(w.source());
      expect(emitted).toBe(500);
      // 500 rows at 40 a batch: 13 polls, the last one short.
      expect(polls).toBe(13);
      const records = await consume(w.log, w.topic);
      expect(keysOf(records).sort((a, b) => a - b)).toEqual(seeded.map((o) => o.order_id));
      // The group of 250 is read in key order, and the row 1 µs after it comes after it.
      const tied = records.filter((r) => valueOf(r).updated_at === valueOf(records[50]).updated_at);
      expect(tied).toHaveLength(250);
      // Microseconds survive: the row 1 µs after the group reads back with its own time.
      const next = records[300];
      expect(Number(next?.key?.toString())).toBe(seeded[300]?.order_id);
      expect(String(valueOf(next).updated_at).replace(/0+$/, '')).toBe(sqlTimestamp(seeded[300]?.updated_at ?? 0).replace(/0+$/, ''));
      expect(keysOf(records)).toEqual(seeded.map((o) => o.order_id));
      expect(valueOf(records[0])).toMatchObject({ order_id: expect.anything() as unknown, status: 'created', quantity: seeded[0]?.quantity });
    });

    it('rows inserted and updated between polls should be picked up, and nothing else', async () => {
      const w = await world({ batchSize: 100 });
      const source = w.source();
      await drain(source);
      const generator = createEcommerceGenerator({ seed: 99, firstOrderId: 10_000, startMicros: (seeded.at(-1)?.updated_at ?? 0) + 10_000_000 });
      const added = Array.from({ length: 30 }, () => generator.nextOrder());
      await insertOrders(db.execute, dialect, orders, added);
      onTestFinished(async () => {
        // Put the table back as the other tests expect it.
        await db.execute(`DELETE FROM ${orders} WHERE order_id >= 10000`, []);
        for (const original of [seeded[3], seeded[120], seeded[499]]) await updateOrder(db.execute, dialect, orders, original as OrderRow);
      });
      const changed = [seeded[3], seeded[120], seeded[499]].map((o) => ({ ...(o as OrderRow), status: 'paid' as const, updated_at: generator.now() + 1_000 }));
      for (const row of changed) await updateOrder(db.execute, dialect, orders, row);

      expect(await source.poll(signal)).toEqual({ emitted: 33, skipped: 0, rejected: 0, done: true });
      const records = (await consume(w.log, w.topic)).slice(500);
      expect(keysOf(records).sort((a, b) => a - b)).toEqual([...changed, ...added].map((o) => o.order_id).sort((a, b) => a - b));
      expect(records.filter((r) => valueOf(r).status === 'paid').map((r) => Number(r.key?.toString()))).toEqual(changed.map((o) => o.order_id).sort((a, b) => a - b));
      expect(await source.poll(signal)).toMatchObject({ emitted: 0, done: true });

    });

    it('a restarted source (new instance, same state store) should resume without duplicates', async () => {
      const w = await world({ batchSize: 45 });
      const first = w.source();
      for (let i = 0; i < 3; i++) await first.poll(signal);
      await first.close();
      const { emitted } = await drain(w.source());
      expect(emitted).toBe(500 - 3 * 45);
      const keys = keysOf(await consume(w.log, w.topic));
      expect(keys).toHaveLength(500);
      expect(new Set(keys).size).toBe(500);
    });

    it('a failed cursor write should re-send that one batch, keyed so that a dedup by key sees every row once', async () => {
      const w = await world({ batchSize: 60 });
      const source = w.source();
      await source.poll(signal);
      const commit = w.state.commit.bind(w.state);
      let fail = true;
      w.state.commit = async (namespace, changes) => {
        if (fail && namespace === progressNamespace('orders-extract')) {
          fail = false;
          throw new Error('disk full');
        }
        await commit(namespace, changes);
      };
      await expect(source.poll(signal)).rejects.toThrow('disk full');
      await drain(source);
      const keys = keysOf(await consume(w.log, w.topic));
      expect(keys).toHaveLength(560);
      expect(new Set(keys).size).toBe(500);
      // The repeat is exactly the second batch.
      expect(keys.slice(60, 120)).toEqual(keys.slice(120, 180));
    });

    it('completed_orders by completed_at, which does not follow order_id, should arrive whole and in completion order', async () => {
      const w = await world({ table: completed, cursor: 'completed_at', batchSize: 5 });
      expect((await drain(w.source())).emitted).toBe(43);
      const records = await consume(w.log, w.topic);
      const times = records.map((r) => String(valueOf(r).completed_at));
      expect([...times].sort()).toEqual(times);
      expect(new Set(keysOf(records)).size).toBe(43);
      expect(keysOf(records)).not.toEqual([...keysOf(records)].sort((a, b) => a - b));
      expect(valueOf(records.find((r) => r.key?.toString() === '662'))).toMatchObject({ status: '1', airbyte_ab_id: 'e9748882-9ffd-441a-8c49-2c391b367d04' });
    });

    it('an id cursor with selected columns should send those columns, keyed by order_id', async () => {
      const w = await world({ cursor: 'order_id', columns: ['status'], batchSize: 200 });
      expect((await drain(w.source())).emitted).toBe(500);
      const records = await consume(w.log, w.topic);
      expect(Object.keys(valueOf(records[0])).sort()).toEqual(['order_id', 'status']);
      expect(keysOf(records)).toEqual(seeded.map((o) => o.order_id));
    });

    it('a table or column that does not exist should fail with SOURCE_NOT_FOUND naming it', async () => {
      const w = await world({});
      const noTable = await rejection(w.source({ table: 'no_such_orders' }).poll(signal), 'SOURCE_NOT_FOUND');
      expect(noTable.message).toContain('no_such_orders');
      const noColumn = await rejection(w.source({ cursor: 'modified_at' }).poll(signal), 'SOURCE_NOT_FOUND');
      expect(noColumn.message).toContain('"modified_at"');
      expect(noColumn.message).toContain('updated_at');
      const noKey = await rejection(w.source({ key: ['ordr_id'] }).poll(signal), 'SOURCE_NOT_FOUND');
      expect(noKey.message).toContain('"ordr_id"');
    });

    it('a name that is not an identifier should be refused by the config schema before any SQL', () => {
      const result = dbExtractConfigSchema.safeParse({ driver: dialect, url: url(), table: 'orders; DROP TABLE orders', cursor: 'updated_at', topic: 't' });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(['table']);
      expect(dbExtractConfigSchema.safeParse({ driver: dialect, url: url(), table: orders, cursor: 'updated_at"--', topic: 't' }).success).toBe(false);
    });
  });
}
