/** The e-commerce emulator on its embedded stand-in: the shop's four tables in a SQLite file. */
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { pino } from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openEmbeddedLog } from '../../../src/log/embedded/embedded-log.ts';
import { createEcommerceEmulator, ecommerceConfigSchema } from '../../../src/sources/emulators/ecommerce.ts';
import { productPrice } from '../../../src/sources/emulators/ecommerce-data.ts';
import { openEmbeddedStateStore } from '../../../src/state/embedded/embedded-state.ts';
import { tempDir } from '../../support/cli.ts';

describe('e-commerce emulator on SQLite', () => {
  it('should create the tables, fill the catalogue once, and go on after its orders when restarted', async () => {
    const dir = await tempDir('tributary-shop-');
    const log = await openEmbeddedLog({ dir: path.join(dir, 'log') });
    const state = await openEmbeddedStateStore({ file: path.join(dir, 'state.sqlite') });
    onTestFinished(async () => {
      await state.close();
      await log.close();
    });
    const file = path.join(dir, 'shop.sqlite');
    let now = 1_700_000_000_000;
    const config = ecommerceConfigSchema.parse({ seed: 3, eventsPerSecond: 10, orders: { url: `sqlite:${file}`, createTables: true, users: 50, perSecond: 100 } });
    const run = async (polls: number) => {
      const emulator = createEcommerceEmulator(config, { log, state, logger: pino({ level: 'silent' }) }, { clock: () => now });
      for (let i = 0; i < polls; i++) {
        now += 250;
        await emulator.poll(new AbortController().signal);
      }
      await emulator.close();
    };
    await run(20);
    const db = new DatabaseSync(file);
    onTestFinished(() => db.close());
    const count = (sql: string) => Number((db.prepare(sql).get() as { n: number }).n);
    expect(count('SELECT count(*) AS n FROM users')).toBe(50);
    expect(count('SELECT count(*) AS n FROM products')).toBe(304);
    // 20 polls of 0.25 s at 100 changes a second: 500 changes, some of them updates.
    const orders = count('SELECT count(*) AS n FROM orders');
    expect(orders).toBeGreaterThan(100);
    expect(orders).toBeLessThan(500);
    // Every order names a user and a product of the catalogue, at the product's price.
    expect(count('SELECT count(*) AS n FROM orders o LEFT JOIN users u USING (user_id) WHERE u.user_id IS NULL')).toBe(0);
    const priced = db.prepare('SELECT o.product_id, o.unit_price, p.price FROM orders o JOIN products p USING (product_id) LIMIT 20').all() as { product_id: number; unit_price: number; price: number }[];
    expect(priced).toHaveLength(20);
    for (const row of priced) expect([row.unit_price, row.price]).toEqual([productPrice(row.product_id), productPrice(row.product_id)]);
    // A completed_orders row exactly for each completed order.
    expect(count("SELECT count(*) AS n FROM orders WHERE status = 'completed'")).toBe(count('SELECT count(*) AS n FROM completed_orders c JOIN orders o USING (order_id) WHERE o.status = \'completed\''));
    expect(count('SELECT count(*) AS n FROM completed_orders')).toBe(count("SELECT count(*) AS n FROM orders WHERE status = 'completed'"));

    const before = count('SELECT max(order_id) AS n FROM orders');
    await run(8);
    expect(count('SELECT count(*) AS n FROM users')).toBe(50);
    expect(count('SELECT min(order_id) AS n FROM orders WHERE order_id > ' + String(before))).toBe(before + 1);
    expect(count('SELECT count(*) AS n FROM orders')).toBeGreaterThan(orders);
  });
});
