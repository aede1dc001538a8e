/**
 * The e-commerce seed's tables in MariaDB/MySQL, PostgreSQL and SQLite (the embedded stand-in): `orders` (one row per order, updated
 * as it moves on) and `completed_orders` (the seed's Airbyte records: order id, completion time,
 * status "1"). What the emulator writes and what the db-extract source reads.
 *
 * Table names are checked identifiers; every value is a bind value. Drivers are the caller's: a
 * mysql2 connection or a pg client, passed in.
 */
import { TributaryError } from '../../errors.ts';
import { sqlTimestamp, type CompletedOrderRow, type OrderRow } from './ecommerce-data.ts';

export type Dialect = 'mysql' | 'postgres' | 'sqlite';

/** What the order writer needs of a driver: one statement with bind values. */
export type Execute = (sql: string, values: unknown[]) => Promise<unknown>;

const TABLE = /^[a-z_][a-z0-9_]{0,62}$/;

export function table(name: string): string {
  if (!TABLE.test(name)) throw new TributaryError('CONFIG_INVALID', `table name ${JSON.stringify(name)}: expected a lower-case identifier`);
  return name;
}

export function ordersDdl(dialect: Dialect, name = 'orders', ifNotExists = false): string {
  const t = table(name);
  const time = timeType(dialect);
  const index = dialect === 'mysql' ? `, INDEX ${t}_updated (updated_at, order_id)` : '';
  return `CREATE TABLE ${ifNotExists ? 'IF NOT EXISTS ' : ''}${t} (
    order_id BIGINT PRIMARY KEY,
    user_id INT NOT NULL,
    product_id INT NOT NULL,
    quantity INT NOT NULL,
    unit_price DECIMAL(10, 2) NOT NULL,
    status VARCHAR(16) NOT NULL,
    created_at ${time} NOT NULL,
    updated_at ${time} NOT NULL${index}
  )`;
}

/** PostgreSQL and SQLite keep the secondary index in a statement of their own. */
export function ordersIndexDdl(dialect: Dialect, name = 'orders', ifNotExists = false): string | undefined {
  const t = table(name);
  return dialect === 'mysql' ? undefined : `CREATE INDEX ${ifNotExists ? 'IF NOT EXISTS ' : ''}${t}_updated ON ${t} (updated_at, order_id)`;
}

/** SQLite has no timestamp type: the `YYYY-MM-DD HH:MM:SS.ffffff` text sorts as the time does. */
export function timeType(dialect: Dialect): string {
  return dialect === 'mysql' ? 'DATETIME(6)' : dialect === 'postgres' ? 'TIMESTAMP(6)' : 'TEXT';
}

export function completedOrdersDdl(dialect: Dialect, name = 'completed_orders', ifNotExists = false): string {
  const t = table(name);
  const time = timeType(dialect);
  return `CREATE TABLE ${ifNotExists ? 'IF NOT EXISTS ' : ''}${t} (
    order_id BIGINT PRIMARY KEY,
    completed_at ${time} NOT NULL,
    status VARCHAR(8) NOT NULL,
    airbyte_ab_id CHAR(36) NOT NULL,
    emitted_at ${time} NOT NULL
  )`;
}

export function placeholders(dialect: Dialect, rows: number, columns: number): string {
  let n = 0;
  const one = () => (dialect === 'postgres' ? `$${++n}` : '?');
  return Array.from({ length: rows }, () => `(${Array.from({ length: columns }, one).join(', ')})`).join(', ');
}

export async function insertOrders(execute: Execute, dialect: Dialect, name: string, rows: readonly OrderRow[]): Promise<void> {
  if (rows.length === 0) return;
  const values = rows.flatMap((r) => [r.order_id, r.user_id, r.product_id, r.quantity, r.unit_price, r.status, sqlTimestamp(r.created_at), sqlTimestamp(r.updated_at)]);
  await execute(`INSERT INTO ${table(name)} (order_id, user_id, product_id, quantity, unit_price, status, created_at, updated_at) VALUES ${placeholders(dialect, rows.length, 8)}`, values);
}

export async function updateOrder(execute: Execute, dialect: Dialect, name: string, row: OrderRow): Promise<void> {
  const sql = dialect === 'postgres' ? `UPDATE ${table(name)} SET status = $1, updated_at = $2 WHERE order_id = $3` : `UPDATE ${table(name)} SET status = ?, updated_at = ? WHERE order_id = ?`;
  await execute(sql, [row.status, sqlTimestamp(row.updated_at), row.order_id]);
}

export interface CompletedOrderRecord extends CompletedOrderRow {
  airbyte_ab_id: string;
  /** Milliseconds since the epoch. */
  emitted_at: number;
}

export async function insertCompletedOrders(execute: Execute, dialect: Dialect, name: string, rows: readonly CompletedOrderRecord[]): Promise<void> {
  if (rows.length === 0) return;
  const values = rows.flatMap((r) => [r.order_id, sqlTimestamp(r.completed_at), r.status, r.airbyte_ab_id, sqlTimestamp(r.emitted_at * 1000)]);
  await execute(`INSERT INTO ${table(name)} (order_id, completed_at, status, airbyte_ab_id, emitted_at) VALUES ${placeholders(dialect, rows.length, 5)}`, values);
}

/**
 * The seed's `airbyte_raw_completed_orders.csv` as rows: `"_airbyte_ab_id",_airbyte_emitted_at,
 * _airbyte_data` with `_airbyte_data` a JSON object `{ order_id, completedAt, status }`.
 */
export function parseAirbyteCompletedOrders(csv: string): CompletedOrderRecord[] {
  const lines = csv.split(/\r?\n/).filter((line) => line.trim() !== '');
  return lines.slice(1).map((line, index) => {
    const match = /^"?([0-9a-f-]{36})"?,(\d+),"(.*)"$/.exec(line);
    if (!match) throw new TributaryError('SOURCE_INVALID_RESPONSE', `airbyte completed orders, row ${index + 1}: not "<id>,<emitted_at>,<json>": ${line.slice(0, 80)}`);
    const data = JSON.parse((match[3] ?? '').replace(/""/g, '"')) as { order_id: number; completedAt: string; status: string };
    // completedAt has microseconds ("...16.000000Z"): keep them.
    const [whole = '', fraction = ''] = data.completedAt.replace(/Z$/, '').split('.');
    const micros = Date.parse(`${whole}Z`) * 1000 + Number(fraction.padEnd(6, '0').slice(0, 6));
    return { airbyte_ab_id: match[1] ?? '', emitted_at: Number(match[2]), order_id: data.order_id, completed_at: micros, status: data.status };
  });
}
