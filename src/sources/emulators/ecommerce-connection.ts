/**
 * The e-commerce emulator's database connection: MariaDB/MySQL (mysql2) for the real engines, or a
 * SQLite file (node:sqlite, `sqlite:<file>`) on embedded defaults, each loaded only when used. SQLite
 * is opened in WAL mode with a busy timeout, so the db-extract source can read while it writes.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { TributaryError } from '../../errors.ts';
import type { Dialect, Execute } from './ecommerce-tables.ts';

export interface ShopConnection {
  dialect: Dialect;
  execute: Execute;
  /** The first column of the first row, as a number (a count). */
  scalar: (sql: string) => Promise<number>;
  end: () => Promise<void>;
}

export async function connectShop(url: string, password?: string): Promise<ShopConnection> {
  try {
    if (url.startsWith('sqlite:')) {
      const { DatabaseSync } = await import('node:sqlite');
      const file = url.replace(/^sqlite:(\/\/)?/, '');
      // The emulator makes the shop: its file, and the directory it goes in.
      await mkdir(path.dirname(file), { recursive: true });
      const db = new DatabaseSync(file);
      db.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000');
      return {
        dialect: 'sqlite',
        execute: (sql, values) => Promise.resolve(db.prepare(sql).run(...(values as (string | number | null)[]))),
        scalar: (sql) => Promise.resolve(Number(Object.values(db.prepare(sql).get() ?? {})[0] ?? 0)),
        end: () => Promise.resolve(db.close()),
      };
    }
    const { default: mysql } = await import('mysql2/promise');
    const conn = await mysql.createConnection({ uri: url, ...(password ? { password } : {}) });
    return {
      dialect: 'mysql',
      execute: (sql, values) => conn.query(sql, values),
      async scalar(sql) {
        const [rows] = await conn.query(sql);
        return Number(Object.values((rows as Record<string, unknown>[])[0] ?? {})[0] ?? 0);
      },
      end: () => conn.end(),
    };
  } catch (error) {
    throw new TributaryError('SOURCE_UNAVAILABLE', `e-commerce emulator: cannot connect to ${url.replace(/\/\/[^@/]*@/, '//')}: ${(error as Error).message}`, { cause: error });
  }
}
