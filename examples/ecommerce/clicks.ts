/**
 * The speed half: the click-stream counted in 1-minute tumbling windows of event time (the emulator's
 * timestamps), product views per product and order-status checks (order views) per order, upserted
 * into tables (Cassandra with the real-engine config). A click later than the watermark allows goes
 * to `<job>.late`, the side output, and is counted there, not in a window.
 *
 * Open windows are emitted early every few seconds, so the tables (and the dashboard's "last 10
 * minutes") follow the current minute; the final emission of a window replaces its early rows.
 */
import { count, Pipeline, tumbling, windowedJob, type z } from 'tributary';
import { clickSchema, named, ORDER_VIEWS, PRODUCT_VIEWS } from './shop.ts';

type Click = z.output<typeof clickSchema>;

export const WINDOW_MS = 60_000;
export const PRODUCT_VIEWS_JOB = named('product-views-per-minute', '-');
export const ORDER_CHECKS_JOB = named('order-checks-per-minute', '-');

const timing = { window: tumbling(WINDOW_MS), maxOutOfOrdernessMs: 5000, allowedLatenessMs: 0, idleTimeoutMs: 2000, earlyFiringMs: 2000, checkpointMs: 1000 };

export const productViewsJob = windowedJob({
  name: PRODUCT_VIEWS_JOB,
  pipeline: Pipeline.from(PRODUCT_VIEWS, clickSchema),
  keyBy: ([, product]) => String(product),
  aggregator: count<Click>(),
  ...timing,
  table: { name: named('product_views'), columns: { product_id: 'bigint', window_start: 'bigint', window_end: 'bigint', views: 'bigint', final: 'boolean' }, key: ['product_id', 'window_start'] },
  row: (r) => ({ product_id: Number(r.key), window_start: r.window.start, window_end: r.window.end, views: r.result, final: r.final }),
});

export const orderChecksJob = windowedJob({
  name: ORDER_CHECKS_JOB,
  pipeline: Pipeline.from(ORDER_VIEWS, clickSchema),
  keyBy: ([, order]) => String(order),
  aggregator: count<Click>(),
  ...timing,
  table: { name: named('order_status_checks'), columns: { order_id: 'bigint', window_start: 'bigint', window_end: 'bigint', checks: 'bigint', final: 'boolean' }, key: ['order_id', 'window_start'] },
  row: (r) => ({ order_id: Number(r.key), window_start: r.window.start, window_end: r.window.end, checks: r.result, final: r.final }),
});
