/**
 * The e-commerce example end to end on embedded defaults. `tributary dev` runs the shop (SQLite),
 * the extracts, the windowed jobs and the archiver; three clicks ten minutes old are then appended,
 * and a second `dev` without the emulator lets the extracts catch up and the windows see the late
 * clicks. Then each stage's counts are reconciled, the window tables are checked against counts
 * made here from the log, the warehouse against the shop's database, and the batch view of the
 * product views against the stream's.
 */
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { openEmbeddedLog } from '../../../src/log/embedded/embedded-log.ts';
import { tempDir } from '../../../test/support/cli.ts';
import { startCliProcess } from '../../../test/support/worker-process.ts';
import { allRecords, chartRows, countsOf, lakeRows, lastCounts, ok, tableRows } from '../../random-users/test/example-run.ts';
import { shopDashboard } from '../dashboards.ts';
import { perWindow, WINDOW, type Click } from './windows.ts';

const EXAMPLE = path.resolve(import.meta.dirname, '..');
const LATE = 3;

type Counts = Map<string, Record<string, number>>;

/** dev until the shop has made enough clicks for the checks (however slow the machine), then SIGTERM. */
async function runDevUntilClicks(cwd: string, env: Record<string, string>): Promise<Counts> {
  const dev = startCliProcess(['dev', EXAMPLE, '--port', '0', '--status-ms', '1000', '--drain', '30', '--log-level', 'error'], env, cwd);
  await dev.seen(/shop-emulator[^\n]*emitted ([3-9]\d{2}|\d{4,})/, 180_000);
  dev.kill('SIGTERM');
  expect(await dev.exited, dev.output().stderr).toBe(0);
  return lastCounts(dev.output().stdout);
}

async function runDev(cwd: string, env: Record<string, string>, seconds: number): Promise<Counts> {
  const dev = startCliProcess(['dev', EXAMPLE, '--port', '0', '--status-ms', '1000', '--duration', String(seconds), '--drain', '30', '--log-level', 'error'], env, cwd);
  expect(await dev.exited, dev.output().stderr).toBe(0);
  return lastCounts(dev.output().stdout);
}

/** A part's count summed over both runs (a part absent from a run counts 0 there). */
const total = (runs: Counts[], part: string, count: string) => runs.reduce((n, run) => n + (run.get(part)?.[count] ?? 0), 0);


describe('the e-commerce example on embedded defaults', () => {
  it('should reconcile every stage, and match its windows to the log and its warehouse to the shop database', async () => {
    const cwd = await tempDir();
    const env = { ECOMMERCE_EXTRACT_MS: '500', ECOMMERCE_EVENTS_PER_S: '40', ECOMMERCE_ORDERS_PER_S: '20', ECOMMERCE_USERS: '200' };
    const first = await runDevUntilClicks(cwd, env);
    expect(countsOf(first, 'source ecommerce/shop-emulator').failedPolls).toBe(0);

    // Three product views ten minutes old: later than the windows' watermark allows.
    const log = await openEmbeddedLog({ dir: path.join(cwd, '.tributary', 'log') });
    const lateAt = Date.now() - 10 * WINDOW;
    const producer = log.producer();
    await producer.send(Array.from({ length: LATE }, () => ({ topic: 'productview', key: null, value: Buffer.from('[7, 42]'), timestamp: lateAt })));
    await producer.close();
    await log.close();

    const second = await runDev(cwd, { ...env, ECOMMERCE_EMULATOR: 'off' }, 4);
    expect(second.has('source ecommerce/shop-emulator')).toBe(false);
    const runs = [first, second];

    // Clicks: every record of each topic reached its windowed job once; the late ones went to the side output.
    const views = await allRecords<Click>(cwd, env, 'productview');
    const checks = await allRecords<Click>(cwd, env, 'orderview');
    expect(views.length).toBeGreaterThan(100);
    for (const clicks of ['productview', 'orderview']) {
      const described = await ok(['topics', 'describe', clicks], cwd, env);
      expect([...described.matchAll(/^\d+\s+\d+\s+\d+\s+\d+$/gm)], described).toHaveLength(4);
    }
    const viewsJob = 'stream-job ecommerce/product-views-per-minute';
    const checksJob = 'stream-job ecommerce/order-checks-per-minute';
    expect(total(runs, viewsJob, 'in')).toBe(views.length);
    expect(total(runs, viewsJob, 'late')).toBe(LATE);
    expect(total(runs, checksJob, 'in')).toBe(checks.length);
    expect(total(runs, checksJob, 'late')).toBe(0);
    const sideOutput = await allRecords<Click>(cwd, env, 'product-views-per-minute.late');
    expect(sideOutput.map((r) => [r.value, r.timestamp])).toEqual(Array.from({ length: LATE }, () => [[7, 42], lateAt]));

    // The window tables hold exactly the counts of the log's clicks per key and minute (the late ones aside).
    const onTime = views.filter((r) => r.timestamp !== lateAt);
    const viewRows = (await tableRows(cwd, env, EXAMPLE, 'product_views')).rows;
    expect(new Map(viewRows.map((r) => [`${String(r.product_id)}@${String(r.window_start)}`, Number(r.views)]))).toEqual(perWindow(onTime));
    const checkRows = (await tableRows(cwd, env, EXAMPLE, 'order_status_checks')).rows;
    expect(new Map(checkRows.map((r) => [`${String(r.order_id)}@${String(r.window_start)}`, Number(r.checks)]))).toEqual(perWindow(checks));

    // The extracts: every row of the shop's database reached its topic, and the archiver copied every record.
    const shop = new DatabaseSync(path.join(cwd, '.tributary', 'ecommerce-shop.sqlite'), { readOnly: true });
    const rowsOf = <T>(sql: string) => shop.prepare(sql).all() as T[];
    const topics = { users: 'shop_users', products: 'shop_products', orders: 'shop_orders', completed: 'shop_completed_orders' } as const;
    let extracted = 0;
    for (const [table, topicName] of Object.entries(topics)) {
      const records = await allRecords<Record<string, unknown>>(cwd, env, topicName);
      expect(total(runs, `source ecommerce/extract-${table}`, 'emitted'), topicName).toBe(records.length);
      expect(total(runs, `source ecommerce/extract-${table}`, 'rejected')).toBe(0);
      extracted += records.length;
    }
    const orders = rowsOf<{ order_id: number; status: string; quantity: number; unit_price: number; completed_at: string | null; day: string; category: string }>(
      `SELECT o.order_id, o.status, o.quantity, o.unit_price, c.completed_at, substr(o.created_at, 1, 10) AS day, p.category
         FROM orders o LEFT JOIN completed_orders c USING (order_id) JOIN products p USING (product_id) ORDER BY o.order_id`,
    );
    expect(orders.length).toBeGreaterThan(20);
    expect(orders.some((o) => o.status === 'completed')).toBe(true);
    expect(total(runs, 'archiver archiver', 'records')).toBe(views.length + checks.length + extracted);

    // The warehouse, run in dependency order after the raw zone is complete. A job whose schedule
    // already ran it over these inputs during dev skips them; the tables are checked below either way.
    for (const job of ['ecommerce-dim-users', 'ecommerce-dim-products', 'ecommerce-fact-orders', 'ecommerce-daily-revenue', 'ecommerce-product-views']) {
      expect(await ok(['batch', 'run', job, '--pipeline', EXAMPLE], cwd, env)).toMatch(/0 quarantined|skipped, inputs unchanged/);
    }
    expect(await lakeRows(cwd, env, 'processed', 'dim_users', 'SELECT count(*)::INTEGER AS n, count(DISTINCT user_id)::INTEGER AS ids FROM t')).toEqual([{ n: 200, ids: 200 }]);
    expect(await lakeRows(cwd, env, 'processed', 'dim_products', 'SELECT count(*)::INTEGER AS n FROM t')).toEqual([{ n: 304 }]);
    // fact_orders is the shop's orders as they are now, each once, with its completion time.
    const facts = await lakeRows(
      cwd,
      env,
      'processed',
      'fact_orders',
      "SELECT order_id::INTEGER AS order_id, status, quantity, unit_price::VARCHAR AS unit_price, strftime(completed_at, '%Y-%m-%d %H:%M:%S.%f') AS completed_at, order_date::VARCHAR AS day, amount::VARCHAR AS amount FROM t ORDER BY order_id",
    );
    expect(facts).toEqual(
      orders.map((o) => ({ order_id: o.order_id, status: o.status, quantity: o.quantity, unit_price: o.unit_price.toFixed(2), completed_at: o.completed_at, day: o.day, amount: (Math.round(o.quantity * o.unit_price * 100) / 100).toFixed(2) })),
    );
    // The daily rollup, computed here from the shop's database.
    const expected = new Map<string, { orders: number; completed: number; revenue: number }>();
    for (const o of orders) {
      const key = `${o.day}/${o.category}`;
      const sum = expected.get(key) ?? { orders: 0, completed: 0, revenue: 0 };
      sum.orders += 1;
      if (o.status === 'completed') sum.completed += 1;
      if (o.status !== 'cancelled') sum.revenue += Math.round(o.quantity * o.unit_price * 100);
      expected.set(key, sum);
    }
    const daily = await lakeRows(cwd, env, 'curated', 'daily_revenue_by_category', 'SELECT day::VARCHAR AS day, category, orders::INTEGER AS orders, completed::INTEGER AS completed, (revenue * 100)::BIGINT AS revenue FROM t');
    expect(new Map(daily.map((d) => [`${String(d.day)}/${String(d.category)}`, { orders: d.orders, completed: d.completed, revenue: Number(d.revenue) }]))).toEqual(expected);
    shop.close();

    // The dashboard's charts, run over the same tables, answer what the shop's database and the log say.
    const chart = async (title: string) => {
      const found = shopDashboard.charts.find((c) => c.title === title);
      if (!found) throw new Error(`no chart ${title}`);
      const rows = await chartRows(cwd, env, found.sql, { product_views: { columns: { product_id: 'BIGINT', window_start: 'BIGINT', window_end: 'BIGINT', views: 'BIGINT', final: 'BOOLEAN' }, rows: viewRows } });
      for (const column of [found.x, ...[found.y ?? []].flat()]) if (column !== undefined) expect(Object.keys(rows[0] ?? {}), title).toContain(column);
      return rows;
    };
    expect((await chart('Orders per day')).reduce((n, r) => n + Number(r.orders), 0)).toBe(orders.length);
    expect(await chart('Completion rate')).toEqual([{ completion_rate: Math.round((orders.filter((o) => o.status === 'completed').length / orders.length) * 10_000) / 10_000 }]);
    const recent = new Map<number, number>();
    for (const [id, n] of perWindow(onTime)) {
      const [product, start] = id.split('@').map(Number) as [number, number];
      if (start + WINDOW > Date.now() - 600_000) recent.set(product, (recent.get(product) ?? 0) + n);
    }
    const top = [...recent].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 10);
    expect((await chart('Top products by views, last 10 minutes')).map((r) => [Number(r.product_id), Number(r.views)])).toEqual(top);
    expect((await chart('Revenue per day by category')).length).toBe(expected.size);

    // The batch view of product views agrees with the stream's windows, and has the late clicks' window besides.
    const batchViews = await lakeRows(cwd, env, 'curated', 'product_views_by_minute', 'SELECT product_id::INTEGER AS product_id, window_start, views::INTEGER AS views FROM t');
    const lateWindow = `42@${Math.floor(lateAt / WINDOW) * WINDOW}`;
    expect(new Map(batchViews.map((r) => [`${String(r.product_id)}@${String(r.window_start)}`, r.views]))).toEqual(new Map([...perWindow(onTime), [lateWindow, (perWindow(onTime).get(lateWindow) ?? 0) + LATE]]));
  }, 300_000);
});
