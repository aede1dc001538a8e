/**
 * The e-commerce emulator, as a source: each poll writes the click events (and, when configured,
 * the order rows) that have come due at the configured rates.
 *
 * - Clicks: `eventsPerSecond` events to the `productview` and `orderview` topics in the seed's wire
 *   format (ecommerce-data.ts); one in `orderViewEvery` events is an order view, as in the seed (300
 *   product views to 100 order views). Key null, timestamp the emulator's clock.
 * - Orders (optional): `orders.perSecond` changes to the `orders` table in MariaDB/MySQL (or a SQLite
 *   file, the embedded stand-in, ecommerce-connection.ts): a new order
 *   (INSERT), or, for `orders.updateShare` of them, an open order moved one status on (UPDATE, new
 *   `updated_at`). A completed order also gets its `completed_orders` row. This is what the
 *   db-extract source reads back. With `orders.createTables` the first connection creates the missing
 *   tables and fills the `users` and `products` catalogue (ecommerce-catalog.ts).
 *
 * Rate: token buckets (token-bucket.ts) holding at most a quarter of a second of events, so a late
 * poll catches up a little but a stalled one does not flood. Over any stretch the events written stay
 * within rate × time + capacity. A seed makes the values deterministic; the clock is injectable.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { TributaryError } from '../../errors.ts';
import type { ProducerRecord } from '../../log/log.ts';
import type { PollResult, Source, SourceComponent, SourceContext } from '../source.ts';
import { ensureShopTables } from './ecommerce-catalog.ts';
import { connectShop, type ShopConnection } from './ecommerce-connection.ts';
import { createEcommerceGenerator, type OrderRow } from './ecommerce-data.ts';
import { insertCompletedOrders, insertOrders, updateOrder } from './ecommerce-tables.ts';
import { TokenBucket } from './token-bucket.ts';

const identifier = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case identifier');

export const ecommerceConfigSchema = z.strictObject({
  name: z.string().min(1).default('ecommerce-emulator').describe('Source name.'),
  seed: z.number().int().default(20230119).describe('Seed of the generator: one seed, one sequence of values.'),
  eventsPerSecond: z.number().positive().max(1_000_000).default(10).describe('Click events per second, both topics together.'),
  orderViewEvery: z.number().int().min(1).default(4).describe('One in this many events is an order view; the rest are product views.'),
  productViewTopic: z.string().min(1).default('productview').describe('Topic of product views.'),
  orderViewTopic: z.string().min(1).default('orderview').describe('Topic of order views.'),
  maxBatch: z.number().int().min(1).default(5000).describe('Most events (or order changes) one poll writes.'),
  productIds: z.array(z.number().int().positive()).min(1).optional().describe("Product ids to use; default 1..304, the seed's product_list.csv."),
  orders: z
    .strictObject({
      url: z.string().regex(/^(mysql:\/\/|sqlite:)/, 'expected mysql://user@host:port/database or sqlite:<file>').describe('MariaDB/MySQL to write orders into, or a SQLite file (relative to the working directory).'),
      password: z.string().optional().describe('Password for the user in url; from the environment.'),
      table: identifier.default('orders'),
      completedTable: identifier.default('completed_orders'),
      perSecond: z.number().positive().default(5).describe('Order changes (inserts and updates) per second.'),
      updateShare: z.number().min(0).max(1).default(0.5).describe('Share of changes that move an open order on rather than create one.'),
      firstOrderId: z.number().int().min(1).default(600),
      createTables: z.boolean().default(false).describe('Create the missing tables (and users, products) on the first connection.'),
      usersTable: identifier.default('users'),
      productsTable: identifier.default('products'),
      users: z.number().int().min(1).max(1_000_000).default(10_000).describe('Users 1..users that orders and clicks name (and the users table holds).'),
    })
    .optional()
    .describe('Write orders into MariaDB as well; omit for clicks only.'),
});

export type EcommerceConfig = z.output<typeof ecommerceConfigSchema>;

export interface EcommerceDeps {
  /** Milliseconds; default `Date.now`. Drives the rate and the event timestamps. */
  clock?: () => number;
}

export function createEcommerceEmulator(config: EcommerceConfig, ctx: SourceContext, deps: EcommerceDeps = {}): Source {
  const clock = deps.clock ?? Date.now;
  const productIds = config.productIds ?? Array.from({ length: 304 }, (_, i) => i + 1);
  const generatorFrom = (firstOrderId: number | undefined) =>
    createEcommerceGenerator({ seed: config.seed, productIds, ...(config.orders ? { firstOrderId: firstOrderId ?? config.orders.firstOrderId, users: config.orders.users } : {}), startMicros: clock() * 1000 });
  let generator = generatorFrom(undefined);
  const capacity = (rate: number) => Math.max(1, Math.ceil(rate / 4));
  const events = new TokenBucket(config.eventsPerSecond, capacity(config.eventsPerSecond), clock);
  const changes = config.orders ? new TokenBucket(config.orders.perSecond, capacity(config.orders.perSecond), clock) : undefined;
  const producer = ctx.log.producer();
  const open: OrderRow[] = [];
  let sent = 0;
  let connection: ShopConnection | undefined;

  async function connect(): Promise<ShopConnection> {
    if (connection) return connection;
    const orders = config.orders;
    if (!orders) throw new TributaryError('INTERNAL', 'no orders database configured');
    const opened = await connectShop(orders.url, orders.password);
    try {
      if (orders.createTables) {
        const names = { users: orders.usersTable, products: orders.productsTable, orders: orders.table, completed: orders.completedTable };
        await ensureShopTables(opened.execute, opened.scalar, opened.dialect, names, { seed: config.seed, users: orders.users, productIds, nowMicros: clock() * 1000 });
      }
      // A restarted emulator goes on after the orders already there (the open ones it no longer moves on).
      const last = await opened.scalar(`SELECT coalesce(max(order_id), 0) AS n FROM ${orders.table}`);
      if (last >= orders.firstOrderId) generator = generatorFrom(last + 1);
    } catch (error) {
      await opened.end();
      throw new TributaryError('SOURCE_UNAVAILABLE', `e-commerce emulator: preparing the tables at ${orders.url.replace(/\/\/[^@/]*@/, '//')} failed: ${(error as Error).message}`, { cause: error });
    }
    connection = opened;
    return connection;
  }

  async function writeOrders(n: number): Promise<number> {
    const orders = config.orders;
    if (!orders || n === 0) return 0;
    const { execute, dialect } = await connect();
    const created: OrderRow[] = [];
    for (let i = 0; i < n; i++) {
      const index = open.length > 0 && generator.random() < orders.updateShare ? Math.floor(generator.random() * open.length) : -1;
      const current = index >= 0 ? open[index] : undefined;
      if (!current) {
        const order = generator.nextOrder();
        created.push(order);
        open.push(order);
        continue;
      }
      // New rows first, so an update never targets a row not inserted yet.
      await insertOrders(execute, dialect, orders.table, created.splice(0));
      const next = generator.advance(current);
      await updateOrder(execute, dialect, orders.table, next);
      if (next.status === 'completed' || next.status === 'cancelled') open.splice(index, 1);
      else open[index] = next;
      if (next.status === 'completed') {
        const done = generator.completed(next);
        await insertCompletedOrders(execute, dialect, orders.completedTable, [{ ...done, airbyte_ab_id: randomUUID(), emitted_at: clock() }]);
      }
    }
    await insertOrders(execute, dialect, orders.table, created);
    return n;
  }

  return {
    name: config.name,
    async poll(): Promise<PollResult> {
      const n = events.take(config.maxBatch);
      const now = clock();
      const records: ProducerRecord[] = [];
      for (let i = 0; i < n; i++) {
        const orderView = (sent + i) % config.orderViewEvery === config.orderViewEvery - 1;
        const event = orderView ? generator.orderView(now) : generator.productView(now);
        records.push({ topic: orderView ? config.orderViewTopic : config.productViewTopic, key: null, value: Buffer.from(event.value), timestamp: now });
      }
      if (records.length > 0) await producer.send(records);
      sent += n;
      const written = changes ? await writeOrders(changes.take(config.maxBatch)) : 0;
      return { emitted: n + written, skipped: 0, rejected: 0, done: false };
    },
    async close() {
      await producer.close();
      await connection?.end();
      connection = undefined;
    },
  };
}

export const ecommerceEmulator: SourceComponent<typeof ecommerceConfigSchema> = {
  name: 'ecommerce-emulator',
  configSchema: ecommerceConfigSchema,
  create: (config, ctx) => createEcommerceEmulator(config, ctx),
};
