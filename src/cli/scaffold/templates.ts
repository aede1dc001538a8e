/**
 * The files `tributary init` writes: a project config, one pipeline that uses every kind of part
 * (a generator source, a topic open for ingest, a stream job into a table, a batch job over the
 * archived topic, a merged view), its test, and a README. Each template is a function of the
 * project's name, so the files read as if written by hand.
 */

export function configFile(): string {
  return `import { defineConfig } from 'tributary';

/** The project config: the pipelines \`tributary dev\` and the other commands load, and any settings. */
export default defineConfig({
  pipelines: ['pipelines/orders.ts'],
});
`;
}

export function pipelineFile(): string {
  return `/**
 * Orders: a generator stands in for a shop posting orders; a stream job keeps the valid ones in the
 * table \`orders\`; the archiver keeps every order in the lake, where a batch job sums them per item;
 * the view \`orders-per-item\` merges the batch count with the live one.
 */
import { definePipeline, defineBatchJob, fieldCounts, generatorSource, Pipeline, source, statelessJob, topic, z, type TableSpec } from 'tributary';

export const orderSchema = z.object({
  id: z.string(),
  item: z.string(),
  quantity: z.number().int(),
  at: z.iso.datetime(),
});
export type Order = z.output<typeof orderSchema>;

const ITEMS = ['tea', 'coffee', 'cake', 'scone'];

/** The i-th generated order: every 7th has quantity 0, which the stream job filters out. */
export function order(i: number): Order {
  return { id: \`order-\${i}\`, item: ITEMS[i % ITEMS.length]!, quantity: i % 7 === 3 ? 0 : 1 + (i % 3), at: new Date().toISOString() };
}

export const ordersTable: TableSpec = {
  name: 'orders',
  key: ['id'],
  columns: { id: 'text', item: 'text', quantity: 'integer', at: 'timestamp' },
};

export const cleanOrders = Pipeline.from('orders', orderSchema).filter((o) => o.quantity > 0, 'has-quantity');

const perItem = fieldCounts({ name: 'orders-per-item', topic: 'orders', field: 'item', countColumn: 'orders' });

export default definePipeline({
  name: 'orders',
  description: 'Generated orders: stream job into a table, batch totals in the lake, a merged view',
  topics: [topic({ name: 'orders', schema: orderSchema, ingest: true, keyField: 'id', timeField: 'at' })],
  sources: [
    source({ name: 'order-generator', component: generatorSource, config: { name: 'order-generator', topic: 'orders', perPoll: 5, record: order, key: (o) => (o as Order).id }, schedule: { everyMs: 1000 } }),
  ],
  streamJobs: [statelessJob({ name: 'orders-clean', pipeline: cleanOrders, output: { table: ordersTable, row: (o) => ({ ...o, at: new Date(o.at) }) } })],
  batchJobs: [
    {
      job: defineBatchJob({
        name: 'orders-daily',
        inputs: [{ kind: 'dataset', name: 'orders', zone: 'raw', dataset: 'orders' }],
        transform: {
          sql: \`SELECT json_extract_string(value, '$.item') AS item, sum(json_extract(value, '$.quantity')::INTEGER) AS quantity, "timestamp"::DATE AS day
                FROM orders GROUP BY ALL\`,
        },
        output: { zone: 'curated', dataset: 'orders_daily', mode: 'overwrite-partitions', partitionBy: { column: 'dt', expr: 'day' } },
      }),
      schedule: { everyMs: 60_000 },
    },
  ],
  views: [perItem.view],
  services: perItem.services,
});
`;
}

export function testFile(): string {
  return `/** Tests of the orders pipeline, with Node's own test runner (npm test). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pipeline, { cleanOrders, order, orderSchema } from '../pipelines/orders.ts';

test('every generated order fits the topic schema', () => {
  for (let i = 0; i < 100; i++) assert.equal(orderSchema.safeParse(order(i)).success, true);
});

test('the pipeline declares its parts', () => {
  assert.equal(pipeline.name, 'orders');
  assert.deepEqual(pipeline.streamJobs.map((j) => j.name), ['orders-clean']);
  assert.deepEqual(pipeline.views.map((v) => v.name), ['orders-per-item']);
});

test('the stream job reads the orders topic', () => {
  assert.equal(cleanOrders.topic, 'orders');
});
`;
}

export function readmeFile(name: string): string {
  return `# ${name}

A Tributary project. \`pipelines/orders.ts\` is one pipeline: a generator source posts orders to
the \`orders\` topic, a stream job keeps the valid ones in the table \`orders\`, the archiver copies the
topic into the lake, a batch job sums the orders per item and day, and the view \`orders-per-item\`
merges the batch count with the live one.

\`\`\`sh
npm install
npx tributary dev                      # runs every pipeline in tributary.config.ts; Ctrl-C stops
npx tributary query orders-per-item    # in a second terminal, while dev runs
npx tributary tail orders -n 5 --from earliest
npx tributary lag
npm test
\`\`\`

Everything is kept under \`.tributary/\`; a second \`tributary dev\` continues where the first stopped.
The same pipeline runs on Kafka, PostgreSQL, Redis and S3 by configuration alone: see the
configuration reference in Tributary's docs.
`;
}

export function gitignoreFile(): string {
  return 'node_modules/\n.tributary/\n';
}
