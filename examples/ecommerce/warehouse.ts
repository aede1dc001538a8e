/**
 * The batch half, the seed's Hive warehouse as DuckLake tables. The extracts' topics land in the raw
 * zone (one record per inserted or changed row); from there:
 *
 * - `processed/dim_users`, `processed/dim_products`: the latest row of each user and product;
 * - `processed/fact_orders`: the latest row of each order (its status now), with the time it
 *   completed from `completed_orders`, its amount and its day;
 * - `curated/daily_revenue_by_category`: per order day and product category, the orders, the
 *   completed ones and the revenue of those not cancelled.
 *
 * The tables are not partitioned, so each run recomputes them from all current inputs (docs/batch.md,
 * "The incremental rule"): a row changed after it was first extracted is counted once, as it is now.
 */
import { defineBatchJob } from 'tributary';
import { WINDOW_MS } from './clicks.ts';
import { EXTRACTED, named, PRODUCT_VIEWS } from './shop.ts';

export const FACT_ORDERS = named('fact_orders');
export const DIM_USERS = named('dim_users');
export const DIM_PRODUCTS = named('dim_products');
export const DAILY = named('daily_revenue_by_category');
export const VIEWS_BATCH = named('product_views_by_minute');

const field = (name: string, type: string) => `CAST(json_extract_string(value, '$.${name}') AS ${type}) AS ${name}`;
/** The latest record of each key: a changed row is extracted again, later in its partition (records are keyed by the row's key). */
const latest = (columns: string, input: string, key: string) =>
  `SELECT * EXCLUDE (_n) FROM (SELECT ${columns}, row_number() OVER (PARTITION BY json_extract_string(value, '$.${key}') ORDER BY "timestamp" DESC, "offset" DESC) AS _n FROM ${input}) WHERE _n = 1`;

export const dimUsersJob = defineBatchJob({
  name: named('ecommerce-dim-users', '-'),
  description: 'the latest row of each user',
  inputs: [{ kind: 'dataset', name: 'users', zone: 'raw', dataset: EXTRACTED.users }],
  transform: { sql: latest([field('user_id', 'INTEGER'), field('name', 'VARCHAR'), field('email', 'VARCHAR'), field('country', 'VARCHAR'), field('signed_up_at', 'TIMESTAMP')].join(', '), 'users', 'user_id') },
  output: { zone: 'processed', dataset: DIM_USERS, mode: 'overwrite-partitions' },
});

export const dimProductsJob = defineBatchJob({
  name: named('ecommerce-dim-products', '-'),
  description: 'the latest row of each product',
  inputs: [{ kind: 'dataset', name: 'products', zone: 'raw', dataset: EXTRACTED.products }],
  transform: { sql: latest([field('product_id', 'INTEGER'), field('category', 'VARCHAR'), field('name', 'VARCHAR'), field('price', 'DECIMAL(10, 2)')].join(', '), 'products', 'product_id') },
  output: { zone: 'processed', dataset: DIM_PRODUCTS, mode: 'overwrite-partitions' },
});

const orderColumns = [
  field('order_id', 'BIGINT'),
  field('user_id', 'INTEGER'),
  field('product_id', 'INTEGER'),
  field('quantity', 'INTEGER'),
  field('unit_price', 'DECIMAL(10, 2)'),
  field('status', 'VARCHAR'),
  field('created_at', 'TIMESTAMP'),
  field('updated_at', 'TIMESTAMP'),
].join(', ');

export const factOrdersJob = defineBatchJob({
  name: named('ecommerce-fact-orders', '-'),
  description: 'the latest row of each order, with its completion time, amount and day',
  inputs: [
    { kind: 'dataset', name: 'orders', zone: 'raw', dataset: EXTRACTED.orders },
    { kind: 'dataset', name: 'completed', zone: 'raw', dataset: EXTRACTED.completed },
  ],
  transform: {
    sql: `WITH o AS (${latest(orderColumns, 'orders', 'order_id')}),
      c AS (${latest(`${field('order_id', 'BIGINT')}, ${field('completed_at', 'TIMESTAMP')}`, 'completed', 'order_id')})
      SELECT o.*, CAST(o.quantity * o.unit_price AS DECIMAL(12, 2)) AS amount, c.completed_at, CAST(o.created_at AS DATE) AS order_date
      FROM o LEFT JOIN c USING (order_id)`,
  },
  output: { zone: 'processed', dataset: FACT_ORDERS, mode: 'overwrite-partitions' },
});

export const dailyRevenueJob = defineBatchJob({
  name: named('ecommerce-daily-revenue', '-'),
  description: 'orders, completed orders and revenue per order day and product category',
  inputs: [
    { kind: 'dataset', name: 'facts', zone: 'processed', dataset: FACT_ORDERS },
    { kind: 'dataset', name: 'products', zone: 'processed', dataset: DIM_PRODUCTS },
  ],
  transform: {
    sql: `SELECT f.order_date AS day, p.category,
        count(*) AS orders,
        count(*) FILTER (WHERE f.status = 'completed') AS completed,
        coalesce(sum(f.amount) FILTER (WHERE f.status <> 'cancelled'), 0) AS revenue
      FROM facts f JOIN products p USING (product_id)
      GROUP BY ALL`,
  },
  output: { zone: 'curated', dataset: DAILY, mode: 'overwrite-partitions' },
});

/**
 * The batch view of the product views: the raw zone's copy of `productview` counted per product and
 * minute of event time, the windows the stream job counts. Where both have a window they must agree.
 */
export const productViewsBatchJob = defineBatchJob({
  name: named('ecommerce-product-views', '-'),
  description: 'product views per product per minute, from the raw zone',
  inputs: [{ kind: 'dataset', name: 'views', zone: 'raw', dataset: PRODUCT_VIEWS }],
  transform: {
    sql: `SELECT CAST(json_extract(value, '$[1]') AS BIGINT) AS product_id,
        (epoch_ms("timestamp") // ${WINDOW_MS}) * ${WINDOW_MS} AS window_start,
        count(*) AS views
      FROM views GROUP BY ALL`,
  },
  output: { zone: 'curated', dataset: VIEWS_BATCH, mode: 'overwrite-partitions' },
});

/** In dependency order: the dimensions and facts before the daily rollup that joins them. */
export const warehouseJobs = [dimUsersJob, dimProductsJob, factOrdersJob, dailyRevenueJob, productViewsBatchJob];
