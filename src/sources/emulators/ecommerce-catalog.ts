/**
 * The shop's catalogue, the other half of the seed's schema: `users` and `products`, generated
 * from the seed (mulberry32, as the orders are), so that every `user_id` and `product_id` an order or
 * a click names has its row. Products carry the price the orders are made with (`productPrice`), and
 * the seed's four categories.
 *
 * `ensureShopTables` creates the four tables when missing and fills the catalogue once (when `users`
 * is empty): what the e-commerce emulator does on its first connection with `createTables`.
 */
import { productPrice, seededRandom, sqlTimestamp } from './ecommerce-data.ts';
import { completedOrdersDdl, ordersDdl, ordersIndexDdl, placeholders, table, timeType, type Dialect, type Execute } from './ecommerce-tables.ts';

export interface UserRow {
  user_id: number;
  name: string;
  email: string;
  country: string;
  /** Microseconds since the epoch. */
  signed_up_at: number;
}

export interface ProductRow {
  product_id: number;
  category: string;
  name: string;
  /** Decimal text, two places. */
  price: string;
}

const CATEGORIES: Readonly<Record<string, readonly string[]>> = {
  things: ['ring', 'bottle', 'rug', 'lamp', 'mug', 'clock', 'kettle', 'vase'],
  instru: ['trombone', 'violin', 'drum', 'flute', 'ukulele', 'harp'],
  clothes: ['scarf', 'jacket', 'sock', 'hat', 'shirt', 'glove'],
  flowers: ['tulip', 'orchid', 'lily', 'daisy', 'peony', 'iris'],
};
const GIVEN = ['alex', 'bea', 'cai', 'dana', 'eli', 'fay', 'gus', 'hana', 'ivo', 'jun'];
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'IN', 'BR', 'JP', 'CA'];
const YEAR_MICROS = 365 * 86_400_000_000;

export function catalogueProducts(seed: number, productIds: readonly number[]): ProductRow[] {
  const random = seededRandom(seed ^ 0x5eed);
  const categories = Object.keys(CATEGORIES);
  return productIds.map((id) => {
    const category = categories[Math.floor(random() * categories.length)] ?? 'things';
    const names = CATEGORIES[category] ?? [];
    return { product_id: id, category, name: names[Math.floor(random() * names.length)] ?? category, price: productPrice(id).toFixed(2) };
  });
}

export function catalogueUsers(seed: number, users: number, beforeMicros: number): UserRow[] {
  const random = seededRandom(seed ^ 0xc0ffee);
  return Array.from({ length: users }, (_, i) => {
    const name = `${GIVEN[Math.floor(random() * GIVEN.length)] ?? 'user'}${i + 1}`;
    return { user_id: i + 1, name, email: `${name}@example.com`, country: COUNTRIES[Math.floor(random() * COUNTRIES.length)] ?? 'US', signed_up_at: beforeMicros - Math.floor(random() * 3 * YEAR_MICROS) };
  });
}

export function usersDdl(dialect: Dialect, name = 'users'): string {
  return `CREATE TABLE IF NOT EXISTS ${table(name)} (
    user_id INT PRIMARY KEY,
    name VARCHAR(64) NOT NULL,
    email VARCHAR(128) NOT NULL,
    country CHAR(2) NOT NULL,
    signed_up_at ${timeType(dialect)} NOT NULL
  )`;
}

export function productsDdl(name = 'products'): string {
  return `CREATE TABLE IF NOT EXISTS ${table(name)} (
    product_id INT PRIMARY KEY,
    category VARCHAR(32) NOT NULL,
    name VARCHAR(64) NOT NULL,
    price DECIMAL(10, 2) NOT NULL
  )`;
}

const CHUNK = 500;

async function insertRows(execute: Execute, dialect: Dialect, name: string, columns: readonly string[], rows: readonly unknown[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    await execute(`INSERT INTO ${table(name)} (${columns.join(', ')}) VALUES ${placeholders(dialect, chunk.length, columns.length)}`, chunk.flat());
  }
}

export interface ShopTables {
  users: string;
  products: string;
  orders: string;
  completed: string;
}

export interface CatalogueOptions {
  seed: number;
  users: number;
  productIds: readonly number[];
  /** Users signed up before this time (microseconds). */
  nowMicros: number;
}

/** Creates the tables that are missing; fills `users` and `products` when `users` is empty. Returns whether it filled them. */
export async function ensureShopTables(execute: Execute, query: (sql: string) => Promise<number>, dialect: Dialect, names: ShopTables, options: CatalogueOptions): Promise<boolean> {
  await execute(usersDdl(dialect, names.users), []);
  await execute(productsDdl(names.products), []);
  await execute(ordersDdl(dialect, names.orders, true), []);
  const index = ordersIndexDdl(dialect, names.orders, true);
  if (index) await execute(index, []);
  await execute(completedOrdersDdl(dialect, names.completed, true), []);
  if ((await query(`SELECT count(*) AS n FROM ${table(names.users)}`)) > 0) return false;
  const products = catalogueProducts(options.seed, options.productIds);
  await insertRows(execute, dialect, names.products, ['product_id', 'category', 'name', 'price'], products.map((p) => [p.product_id, p.category, p.name, p.price]));
  const users = catalogueUsers(options.seed, options.users, options.nowMicros);
  await insertRows(execute, dialect, names.users, ['user_id', 'name', 'email', 'country', 'signed_up_at'], users.map((u) => [u.user_id, u.name, u.email, u.country, sqlTimestamp(u.signed_up_at)]));
  return true;
}
