/**
 * The shop's dashboards (the seed's Metabase questions), as the UI renders them: each chart a
 * read-only DuckDB query over the pipeline's tables, by the names `tributary query` knows.
 */
import { productViewsJob } from './clicks.ts';
import { DAILY, FACT_ORDERS } from './warehouse.ts';

export interface Chart {
  title: string;
  sql: string;
  kind: 'bar' | 'line' | 'area' | 'pie' | 'scatter' | 'table' | 'number';
  x?: string;
  y?: string | string[];
}

export interface Dashboard {
  name: string;
  title: string;
  charts: Chart[];
}

const views = productViewsJob.table.name;

export const shopDashboard: Dashboard = {
  name: 'ecommerce',
  title: 'E-commerce: orders, revenue and product views',
  charts: [
    { title: 'Orders per day', kind: 'line', x: 'day', y: 'orders', sql: `SELECT day, sum(orders) AS orders FROM curated.${DAILY} GROUP BY day ORDER BY day` },
    { title: 'Revenue per day by category', kind: 'bar', x: 'day', y: 'revenue', sql: `SELECT day, category, revenue FROM curated.${DAILY} ORDER BY day, category` },
    {
      title: 'Top products by views, last 10 minutes',
      kind: 'bar',
      x: 'product_id',
      y: 'views',
      sql: `SELECT product_id, sum(views) AS views FROM ${views} WHERE window_end > epoch_ms(now()) - 600000 GROUP BY product_id ORDER BY views DESC, product_id LIMIT 10`,
    },
    {
      title: 'Completion rate',
      kind: 'number',
      y: 'completion_rate',
      sql: `SELECT round(count(*) FILTER (WHERE status = 'completed') / greatest(count(*), 1), 4) AS completion_rate FROM processed.${FACT_ORDERS}`,
    },
  ],
};
