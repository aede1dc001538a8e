/**
 * The SQLite driver of the extract, through Node's built-in node:sqlite: what a pipeline on embedded
 * defaults extracts from (the e-commerce example's shop database) without a database server.
 *
 * The URL is `sqlite:<file>`, the file relative to the working directory. The connection is opened
 * in WAL mode with a busy timeout, so a writer in the same or another process (the e-commerce
 * emulator) and the extract take turns instead of failing with SQLITE_BUSY. Values come back as
 * SQLite holds them: timestamps written as text stay text, microseconds and all.
 */
import type { StatementSync } from 'node:sqlite';
import { TributaryError } from '../../errors.ts';
import type { ConnectOptions, ExtractDriver } from './extract-driver.ts';

const BUSY_TIMEOUT_MS = 5000;

/** The file of a `sqlite:<file>` URL. */
export function sqliteFile(url: string): string {
  const file = url.replace(/^sqlite:(\/\/)?/, '');
  if (file === '' || file === url) throw new TributaryError('CONFIG_INVALID', `expected sqlite:<file>, got ${JSON.stringify(url)}`);
  return file;
}

export async function connectSqlite(options: ConnectOptions): Promise<ExtractDriver> {
  const { DatabaseSync } = await import('node:sqlite');
  const db = new DatabaseSync(sqliteFile(options.url));
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  const statements = new Map<string, StatementSync>();
  const prepared = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = db.prepare(sql)));
    return statement;
  };
  return {
    dialect: 'sqlite',
    describe(table) {
      const columns = prepared('SELECT name, "notnull" AS not_null, pk FROM pragma_table_info(?, ?) ORDER BY cid').all(table.name, table.schema ?? 'main') as { name: string; not_null: number; pk: number }[];
      if (columns.length === 0) return Promise.resolve(undefined);
      const primaryKey = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
      return Promise.resolve({ columns: columns.map((c) => ({ name: c.name, nullable: c.not_null === 0 && c.pk === 0 })), primaryKey });
    },
    query(sql, values) {
      return Promise.resolve(prepared(sql).all(...(values as (string | number | null)[])));
    },
    close() {
      statements.clear();
      db.close();
      return Promise.resolve();
    },
  };
}
