/**
 * Incremental extract of one table (MariaDB/MySQL, PostgreSQL or SQLite) into a topic, by a cursor column
 * (`id`, `updated_at`, ...) with the primary key as tie-breaker (extract-sql.ts).
 *
 * One poll: read the next `batchSize` rows after the cursor, send them to the topic (keyed by primary
 * key, value the row as JSON), and only then store the cursor (the last row's cursor and key values)
 * in the state store under `source.<name>`, key `cursor`. `done` when the batch was not full.
 *
 * Delivery: at-least-once. A crash (or a failed cursor write) after the send and before the cursor is
 * stored re-sends that one batch on the next poll; the records carry the primary key as their key,
 * so an upserting sink or a keyed dedup downstream sees each row once. Rows are never skipped: a
 * batch boundary inside a group of rows sharing a cursor value continues at the next key.
 *
 * Limits: a row whose cursor value is NULL is never read; a row committed later with a cursor value
 * below one already passed (a long transaction stamping `updated_at` at its start) is missed: use a
 * cursor the database sets at commit, or an id. Deleted rows are not seen.
 */
import { z } from 'zod';
import { TributaryError, isTributaryError } from '../../errors.ts';
import type { ProducerRecord } from '../../log/log.ts';
import { progressNamespace, type PollResult, type Source, type SourceComponent, type SourceContext } from '../source.ts';
import { connectDriver, isConnectionError, jsonSafeRow, type ExtractDriver, type Row } from './extract-driver.ts';
import { IDENTIFIER, buildBatchQuery, parseTableName, quoteTable, type TableName } from './extract-sql.ts';

const identifier = z.string().regex(IDENTIFIER, 'expected an identifier: letters, digits, "_" and "$", not starting with a digit');

export const dbExtractConfigSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/).optional().describe('Source name: the cursor is kept under source.<name>; default: db-extract-<table>.'),
  driver: z.enum(['mysql', 'postgres', 'sqlite']).describe('mysql: MariaDB or MySQL (mysql2); postgres: PostgreSQL (pg); sqlite: a SQLite file (node:sqlite).'),
  url: z.string().regex(/^(mysql:\/\/|postgres:\/\/|postgresql:\/\/|sqlite:)/, 'expected mysql://..., postgres://... or sqlite:<file>').describe('Connection URL without the password; sqlite:<file> relative to the working directory.'),
  password: z.string().min(1).optional().describe('Password for the user in url; from the environment, never a file.'),
  table: z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]{0,63}(\.[A-Za-z_][A-Za-z0-9_$]{0,63})?$/, 'expected <table> or <schema>.<table>').describe('The table to extract.'),
  cursor: identifier.describe('Column that grows as rows are added or changed: an id, or updated_at.'),
  key: z.array(identifier).min(1).optional().describe("Columns that identify a row (tie-breaker and record key); default: the table's primary key."),
  columns: z.array(identifier).min(1).optional().describe('Columns to send; default: all. The cursor and key columns are always read.'),
  batchSize: z.number().int().min(1).max(100_000).default(1000).describe('Rows per poll (LIMIT).'),
  topic: z.string().min(1).describe('Topic the rows go to.'),
  waitForTable: z.boolean().default(false).describe('A table that does not exist yet makes a poll that extracts nothing (for a table another part of the pipeline creates), instead of a failed poll.'),
});

export type DbExtractConfig = z.output<typeof dbExtractConfigSchema>;

interface StoredCursor {
  table: string;
  order: string[];
  values: unknown[];
}

interface Plan {
  table: TableName;
  columns: string[];
  order: string[];
  key: string[];
}

const CURSOR_KEY = 'cursor';

export function createDbExtract(name: string, config: DbExtractConfig, ctx: SourceContext): Source {
  const namespace = progressNamespace(name);
  const table = parseTableName(config.table);
  const where = `${config.driver} table ${config.table}`;
  const producer = ctx.log.producer();
  let driver: ExtractDriver | undefined;
  let plan: Plan | undefined;
  let after: unknown[] | undefined;
  let cursorLoaded = false;

  async function describePlan(db: ExtractDriver): Promise<Plan> {
    const info = await db.describe(table);
    if (!info) throw new TributaryError('SOURCE_NOT_FOUND', `${where} does not exist (or the user cannot see it) at ${config.url}`);
    const names = info.columns.map((c) => c.name);
    const missing = (column: string) => !names.includes(column);
    const listed = `; it has ${names.join(', ')}`;
    if (missing(config.cursor)) throw new TributaryError('SOURCE_NOT_FOUND', `${where} has no cursor column "${config.cursor}"${listed}`);
    const key = config.key ?? info.primaryKey;
    if (key.length === 0) throw new TributaryError('CONFIG_INVALID', `${where} has no primary key: name the columns that identify a row in "key"`);
    for (const column of [...key, ...(config.columns ?? [])]) {
      if (missing(column)) throw new TributaryError('SOURCE_NOT_FOUND', `${where} has no column "${column}"${listed}`);
    }
    if (info.columns.find((c) => c.name === config.cursor)?.nullable) {
      ctx.logger.warn({ source: name }, `${where}: cursor column ${config.cursor} is nullable; rows where it is NULL are never extracted`);
    }
    const order = [config.cursor, ...key.filter((column) => column !== config.cursor)];
    const columns = config.columns ? [...new Set([...order, ...config.columns])] : names;
    return { table, columns, order, key };
  }

  async function prepare(): Promise<{ db: ExtractDriver; plan: Plan }> {
    driver ??= await connectDriver(config.driver, { url: config.url, ...(config.password === undefined ? {} : { password: config.password }) });
    try {
      plan ??= await describePlan(driver);
    } catch (error) {
      throw wrap(error, 'reading the table description');
    }
    if (!cursorLoaded) {
      const stored = await ctx.state.get(namespace, CURSOR_KEY);
      if (stored) {
        const cursor = JSON.parse(stored.toString('utf8')) as StoredCursor;
        if (cursor.table !== config.table || cursor.order.join(',') !== plan.order.join(',')) {
          throw new TributaryError(
            'CONFIG_INVALID',
            `source ${name}: its stored cursor is over ${cursor.table} (${cursor.order.join(', ')}), but the config reads ${config.table} (${plan.order.join(', ')}); clear the state namespace ${namespace} to extract from the start`,
          );
        }
        after = cursor.values;
      }
      cursorLoaded = true;
    }
    return { db: driver, plan };
  }

  function wrap(error: unknown, doing: string): unknown {
    if (isTributaryError(error)) return error;
    if (isConnectionError(error)) {
      // The connection is gone; the next poll opens a new one.
      const lost = driver;
      driver = undefined;
      void lost?.close().catch(() => undefined);
      return new TributaryError('SOURCE_UNAVAILABLE', `${where}: connection lost while ${doing}: ${(error as Error).message}`, { cause: error });
    }
    return new TributaryError('SOURCE_INVALID_RESPONSE', `${where}: ${doing} failed: ${(error as Error).message}`, { cause: error });
  }

  function recordKey(row: Row, key: string[]): Buffer {
    const values = key.map((column) => jsonSafeRow({ v: row[column] }).v);
    return Buffer.from(values.length === 1 ? String(values[0]) : JSON.stringify(values));
  }

  return {
    name,
    async poll(): Promise<PollResult> {
      if (config.waitForTable && plan === undefined) {
        driver ??= await connectDriver(config.driver, { url: config.url, ...(config.password === undefined ? {} : { password: config.password }) });
        let exists: boolean;
        try {
          exists = (await driver.describe(table)) !== undefined;
        } catch (error) {
          throw wrap(error, 'reading the table description');
        }
        if (!exists) return { emitted: 0, skipped: 0, rejected: 0, done: true };
      }
      const { db, plan: p } = await prepare();
      const query = buildBatchQuery({ dialect: config.driver, table: p.table, columns: p.columns, order: p.order, ...(after ? { after } : {}), limit: config.batchSize });
      let rows: Row[];
      try {
        rows = await db.query(query.sql, query.values);
      } catch (error) {
        throw wrap(error, `reading a batch from ${quoteTable(config.driver, p.table)}`);
      }
      if (rows.length === 0) return { emitted: 0, skipped: 0, rejected: 0, done: true };
      const records = rows.map(
        (row): ProducerRecord => ({
          topic: config.topic,
          key: recordKey(row, p.key),
          value: Buffer.from(JSON.stringify(jsonSafeRow(row))),
          headers: { 'tributary-source': Buffer.from(name), 'tributary-table': Buffer.from(config.table) },
        }),
      );
      await producer.send(records);
      const last = rows[rows.length - 1] ?? {};
      const next = p.order.map((column) => last[column]);
      const stored: StoredCursor = { table: config.table, order: p.order, values: next };
      await ctx.state.commit(namespace, new Map([[CURSOR_KEY, Buffer.from(JSON.stringify(stored))]]));
      after = next;
      return { emitted: rows.length, skipped: 0, rejected: 0, done: rows.length < config.batchSize };
    },
    async close() {
      await producer.close();
      await driver?.close();
      driver = undefined;
    },
  };
}

export const dbExtractSource: SourceComponent<typeof dbExtractConfigSchema> = {
  name: 'db-extract',
  configSchema: dbExtractConfigSchema,
  create: (config, ctx) => createDbExtract(config.name ?? `db-extract-${config.table}`, config, ctx),
};
