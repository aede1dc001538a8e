/**
 * The e-commerce example on the real engines by configuration alone (tributary.real.yaml: Kafka,
 * Cassandra, Redis, PostgreSQL, MinIO) with the shop in MariaDB, and a second worker SIGKILLed
 * midway. A second `dev` without the shop lets the extracts and windows catch up; then the window
 * tables in Cassandra must hold exactly the counts of the clicks in Kafka, the warehouse exactly the
 * shop's orders, and the batch view of product views the stream's windows.
 */
import path from 'node:path';
import mysql from 'mysql2/promise';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { tempDir } from '../../../test/support/cli.ts';
import { testBucket } from '../../../test/support/s3.ts';
import { endpoint } from '../../../test/support/services.ts';
import { startCliProcess } from '../../../test/support/worker-process.ts';
import { allRecords, countsOf, lakeRows, lastCounts, ok, tableRows } from '../../random-users/test/example-run.ts';
import { cleanUpRealEngines, realEngineEnv } from '../../random-users/test/real-engines.ts';
import { perWindow, type Click } from './windows.ts';

// The modules read their names from the environment when imported, so the instance is set before any import.
const instance = vi.hoisted(() => {
  const name = `ec_${Date.now().toString(36)}_${Math.random().toString(16).slice(2, 10)}`;
  process.env.ECOMMERCE_INSTANCE = name;
  return name;
});

const EXAMPLE = path.resolve(import.meta.dirname, '..');
const CONFIG = path.join(EXAMPLE, 'tributary.real.yaml');
const bucket = await testBucket('ecommerce');


describe('the e-commerce example on the real engines with two workers', () => {
  it('should count every click once and hold every order in the warehouse when one worker is killed midway', async () => {
    const cwd = await tempDir();
    const env = {
      ...realEngineEnv(CONFIG, instance, bucket),
      ECOMMERCE_INSTANCE: instance,
      ECOMMERCE_DB_URL: endpoint('TRIBUTARY_MYSQL_URL'),
      ECOMMERCE_EXTRACT_MS: '500',
      ECOMMERCE_EVENTS_PER_S: '40',
      ECOMMERCE_ORDERS_PER_S: '20',
      ECOMMERCE_USERS: '200',
    };
    const shop = await mysql.createConnection(env.ECOMMERCE_DB_URL);
    const topics = ['productview', 'orderview', 'shop_users', 'shop_products', 'shop_orders', 'shop_completed_orders'].map((t) => `${t}_${instance}`);
    cleanUpRealEngines(cwd, env, instance, [...topics, `product-views-per-minute-${instance}.repartition`, `order-checks-per-minute-${instance}.repartition`]);
    onTestFinished(async () => {
      for (const t of ['users', 'products', 'orders', 'completed_orders']) await shop.query(`DROP TABLE IF EXISTS ${t}_${instance}`);
      await shop.end();
    });

    const pipeline = `ecommerce-${instance}`;
    const dev = startCliProcess(['dev', '--port', '0', '--status-ms', '500', '--drain', '60', '--log-level', 'warn'], env, cwd);
    await dev.seen(new RegExp(`tributary dev: ${pipeline} on the kafka log`), 90_000);
    const worker = startCliProcess(['worker', '--progress-ms', '200', '--log-level', 'warn'], env, cwd);
    await worker.seen(new RegExp(`product-views-per-minute-${instance}: in [1-9]\\d*`), 90_000);
    worker.kill('SIGKILL');
    await worker.exited;
    // The shop goes on after the kill until it has made enough clicks for the checks below (however
    // slow the machine), then stops.
    await dev.seen(/shop-emulator[^\n]*emitted ([3-9]\d{2}|\d{4,})/, 180_000);
    dev.kill('SIGTERM');
    expect(await dev.exited).toBe(0);

    // Without the shop: the extracts catch up with the database, the windows with the topics.
    const second = startCliProcess(['dev', '--port', '0', '--status-ms', '500', '--duration', '6', '--drain', '60', '--log-level', 'warn'], { ...env, ECOMMERCE_EMULATOR: 'off' }, cwd);
    expect(await second.exited, second.output().stderr).toBe(0);
    const parts = lastCounts(second.output().stdout);
    for (const table of ['users', 'products', 'orders', 'completed']) expect(countsOf(parts, `source ${pipeline}/extract-${table}-${instance}`).failedPolls).toBe(0);

    const views = await allRecords<Click>(cwd, env, `productview_${instance}`);
    const checks = await allRecords<Click>(cwd, env, `orderview_${instance}`);
    expect(views.length).toBeGreaterThan(100);
    const viewRows = (await tableRows(cwd, env, EXAMPLE, `product_views_${instance}`)).rows;
    expect(new Map(viewRows.map((r) => [`${String(r.product_id)}@${String(r.window_start)}`, Number(r.views)]))).toEqual(perWindow(views));
    const checkRows = (await tableRows(cwd, env, EXAMPLE, `order_status_checks_${instance}`)).rows;
    expect(new Map(checkRows.map((r) => [`${String(r.order_id)}@${String(r.window_start)}`, Number(r.checks)]))).toEqual(perWindow(checks));

    // A job whose schedule already ran it over these inputs during dev skips them; the tables are checked below either way.
    for (const job of ['ecommerce-dim-products', 'ecommerce-fact-orders', 'ecommerce-product-views']) {
      expect(await ok(['batch', 'run', `${job}-${instance}`, '--pipeline', EXAMPLE], cwd, env)).toMatch(/0 quarantined|skipped, inputs unchanged/);
    }
    const [orders] = await shop.query(
      `SELECT o.order_id, o.status, o.quantity, o.unit_price, DATE_FORMAT(c.completed_at, '%Y-%m-%d %H:%i:%s.%f') AS completed_at
         FROM orders_${instance} o LEFT JOIN completed_orders_${instance} c USING (order_id) ORDER BY o.order_id`,
    );
    const expected = (orders as { order_id: number; status: string; quantity: number; unit_price: string; completed_at: string | null }[]).map((o) => ({ ...o, order_id: Number(o.order_id), unit_price: String(o.unit_price) }));
    expect(expected.length).toBeGreaterThan(20);
    const facts = await lakeRows(cwd, env, 'processed', `fact_orders_${instance}`, "SELECT order_id::INTEGER AS order_id, status, quantity, unit_price::VARCHAR AS unit_price, strftime(completed_at, '%Y-%m-%d %H:%M:%S.%f') AS completed_at FROM t ORDER BY order_id");
    expect(facts).toEqual(expected);
    const batchViews = await lakeRows(cwd, env, 'curated', `product_views_by_minute_${instance}`, 'SELECT product_id::INTEGER AS product_id, window_start, views::INTEGER AS views FROM t');
    expect(new Map(batchViews.map((r) => [`${String(r.product_id)}@${String(r.window_start)}`, r.views]))).toEqual(perWindow(views));
  }, 240_000);
});
