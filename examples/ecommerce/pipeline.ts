/**
 * The e-commerce pipeline (the seed's MySQL orders + click-stream → HDFS/Hive + Spark → Cassandra +
 * Metabase project, in one module):
 *
 *   shop emulator ─┬─► users, products, orders, completed_orders (SQLite by default, MariaDB by config)
 *                  │       └─ incremental extracts ─► shop_* topics ─► archiver ─► raw zone
 *                  │              ─► dim_users, dim_products, fact_orders ─► daily_revenue_by_category
 *                  └─► productview, orderview (4 partitions)
 *                          ─► 1-minute windows ─► product_views, order_status_checks (late clicks → <job>.late)
 *
 * Run it: `npx tributary dev examples/ecommerce`.
 */
import { archiveCompactionTask, dbExtractSource, definePipeline, ecommerceEmulator, graph, source, topic, type TaskAreas } from 'tributary';
import { orderChecksJob, productViewsJob } from './clicks.ts';
import { shopDashboard } from './dashboards.ts';
import { clickSchema, completedRowSchema, DB_DRIVER, DB_PASSWORD, DB_URL, EXTRACTED, named, ORDER_VIEWS, orderRowSchema, PRODUCT_VIEWS, productRowSchema, TABLES, userRowSchema } from './shop.ts';
import { warehouseJobs } from './warehouse.ts';

const env = process.env;
/** Click events per second (both topics), order changes per second, users in the shop; `ECOMMERCE_EMULATOR=off` stops the emulator. */
const eventsPerSecond = Number(env.ECOMMERCE_EVENTS_PER_S ?? 20);
const ordersPerSecond = Number(env.ECOMMERCE_ORDERS_PER_S ?? 4);
const users = Number(env.ECOMMERCE_USERS ?? 2000);
const extractEveryMs = Number(env.ECOMMERCE_EXTRACT_MS ?? 5000);
const password = DB_PASSWORD ? { password: DB_PASSWORD } : {};

export const EMULATOR = named('shop-emulator', '-');

const extract = (table: keyof typeof TABLES, cursor: string) =>
  source({
    name: named(`extract-${table}`, '-'),
    component: dbExtractSource,
    config: { name: named(`extract-${table}`, '-'), driver: DB_DRIVER, url: DB_URL, ...password, table: TABLES[table], cursor, topic: EXTRACTED[table], batchSize: 2000, waitForTable: true },
    schedule: { everyMs: extractEveryMs },
  });

export default definePipeline({
  name: named('ecommerce', '-'),
  description: 'A shop: orders extracted incrementally into a warehouse of fact and dimension tables, click-stream counted in 1-minute windows, dashboards over both',
  topics: [
    topic({ name: PRODUCT_VIEWS, schema: clickSchema, description: '[user_id, product_id] per product view' }),
    topic({ name: ORDER_VIEWS, schema: clickSchema, description: '[user_id, order_id] per order-status check' }),
    topic({ name: EXTRACTED.orders, schema: orderRowSchema, keyField: 'order_id' }),
    topic({ name: EXTRACTED.completed, schema: completedRowSchema, keyField: 'order_id' }),
    topic({ name: EXTRACTED.users, schema: userRowSchema, keyField: 'user_id' }),
    topic({ name: EXTRACTED.products, schema: productRowSchema, keyField: 'product_id' }),
  ],
  sources: [
    ...(env.ECOMMERCE_EMULATOR === 'off'
      ? []
      : [
          source({
            name: EMULATOR,
            component: ecommerceEmulator,
            config: {
              name: EMULATOR,
              seed: Number(env.ECOMMERCE_SEED ?? 20230119),
              eventsPerSecond,
              productViewTopic: PRODUCT_VIEWS,
              orderViewTopic: ORDER_VIEWS,
              orders: { url: DB_URL, ...password, createTables: true, users, perSecond: ordersPerSecond, table: TABLES.orders, completedTable: TABLES.completed, usersTable: TABLES.users, productsTable: TABLES.products },
            },
            schedule: { everyMs: 250 },
          }),
        ]),
    extract('users', 'user_id'),
    extract('products', 'product_id'),
    extract('orders', 'updated_at'),
    extract('completed', 'completed_at'),
  ],
  streamJobs: [productViewsJob, orderChecksJob],
  // Every minute, 10 s apart, in dependency order: runs that attach the lake's tables at the same moment would contend for its catalog.
  batchJobs: warehouseJobs.map((job, i) => ({ job, schedule: { cron: `${i * 10} * * * * *` } })),
  // The extracts and the clicks roll a small archive range every minute: once an hour, each hour's small files are merged.
  graphs: [graph<TaskAreas>({ id: 'ecommerce.compact-raw', schedule: { cron: '20 * * * *' }, tasks: [archiveCompactionTask({ topics: [PRODUCT_VIEWS, ORDER_VIEWS, ...Object.values(EXTRACTED)] })] })],
  dashboards: [shopDashboard],
});
