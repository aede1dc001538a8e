/**
 * The shop's names and shapes: the database the emulator writes and the extracts read, the
 * click-stream topics, and the topics the extracts fill (archived into the raw zone).
 *
 * `ECOMMERCE_DB_URL` chooses the database: a SQLite file by default (the embedded stand-in), or
 * MariaDB (`mysql://user@host:port/db`, password from `ECOMMERCE_DB_PASSWORD`). `ECOMMERCE_INSTANCE`
 * suffixes every name the pipeline owns on a shared engine (tables, topics, jobs), so that tests and
 * several copies never meet; unset, the names are the seed's.
 */
import { z } from 'tributary';

const env = process.env;
const instance = env.ECOMMERCE_INSTANCE;
export const named = (name: string, separator = '_') => (instance ? `${name}${separator}${instance}` : name);

export const DB_URL = env.ECOMMERCE_DB_URL ?? 'sqlite:.tributary/ecommerce-shop.sqlite';
export const DB_PASSWORD = env.ECOMMERCE_DB_PASSWORD;
export const DB_DRIVER = DB_URL.startsWith('sqlite:') ? 'sqlite' : 'mysql';

/** The shop's tables, as the seed names them. */
export const TABLES = { users: named('users'), products: named('products'), orders: named('orders'), completed: named('completed_orders') } as const;

/** Click-stream topics: the seed's `productview` and `orderview`, 4 partitions each (log.defaultPartitions). */
export const PRODUCT_VIEWS = named('productview');
export const ORDER_VIEWS = named('orderview');

/** Topics the incremental extracts write; the archiver copies them into the raw zone as datasets of the same names. */
export const EXTRACTED = { users: named('shop_users'), products: named('shop_products'), orders: named('shop_orders'), completed: named('shop_completed_orders') } as const;

/** A click's value is the seed's `json.dumps([user_id, id])`: `[1101, 80]`. */
export const clickSchema = z.tuple([z.number().int().positive(), z.number().int().positive()]);

/** MariaDB sends BIGINT and DECIMAL as text (lossless), SQLite as numbers: both are accepted. */
const numeric = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/)]);
const time = z.string().regex(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$/, 'expected YYYY-MM-DD HH:MM:SS.ffffff');

export const orderRowSchema = z.looseObject({ order_id: numeric, user_id: numeric, product_id: numeric, quantity: numeric, unit_price: numeric, status: z.string(), created_at: time, updated_at: time });
export const completedRowSchema = z.looseObject({ order_id: numeric, completed_at: time, status: z.string() });
export const userRowSchema = z.looseObject({ user_id: numeric, name: z.string(), email: z.string(), country: z.string(), signed_up_at: time });
export const productRowSchema = z.looseObject({ product_id: numeric, category: z.string(), name: z.string(), price: numeric });
