/**
 * The SQL of an incremental extract, for MariaDB/MySQL, PostgreSQL and SQLite: identifiers checked
 * and quoted, every value a bind value.
 *
 * A batch is the next `limit` rows after the cursor in (cursor column, key columns) order:
 *
 *   WHERE (c > ? OR (c = ? AND (k > ?)))  ORDER BY c, k  LIMIT ?
 *
 * The key columns break ties, so rows sharing one cursor value are split between batches without
 * losing or repeating any: the cursor is the whole tuple of the last row sent. With the cursor column
 * being the key (`id`), the tuple is that one column.
 */
import { TributaryError } from '../../errors.ts';

export type Dialect = 'mysql' | 'postgres' | 'sqlite';

/** Unquoted names only: letters, digits, `_`, `$`; what both engines take without surprises. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,63}$/;

export interface TableName {
  schema?: string;
  name: string;
}

export function parseTableName(text: string): TableName {
  const parts = text.split('.');
  if (parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new TributaryError('CONFIG_INVALID', `table ${JSON.stringify(text)}: expected <table> or <schema>.<table> of letters, digits and "_"`);
  }
  return parts.length === 2 ? { schema: parts[0] ?? '', name: parts[1] ?? '' } : { name: parts[0] ?? '' };
}

export function quote(dialect: Dialect, name: string): string {
  // Checked names hold no quote character; the check is repeated here so no caller can skip it.
  if (!IDENTIFIER.test(name)) throw new TributaryError('CONFIG_INVALID', `refusing to use ${JSON.stringify(name)} as an identifier`);
  return dialect === 'mysql' ? `\`${name}\`` : `"${name}"`;
}

export function quoteTable(dialect: Dialect, table: TableName): string {
  return table.schema === undefined ? quote(dialect, table.name) : `${quote(dialect, table.schema)}.${quote(dialect, table.name)}`;
}

export interface BatchQuery {
  sql: string;
  values: unknown[];
}

export interface BatchRequest {
  dialect: Dialect;
  table: TableName;
  columns: readonly string[];
  /** Cursor column first, then the key columns: the order rows are read in, and the cursor's shape. */
  order: readonly string[];
  /** The cursor: values of `order` of the last row sent; undefined for the first batch. */
  after?: readonly unknown[];
  limit: number;
}

export function buildBatchQuery(request: BatchRequest): BatchQuery {
  const { dialect, order, after, limit } = request;
  if (order.length === 0) throw new TributaryError('INTERNAL', 'an extract needs at least one order column');
  if (after !== undefined && after.length !== order.length) throw new TributaryError('INTERNAL', `cursor has ${after.length} values for ${order.length} order columns`);
  if (!Number.isSafeInteger(limit) || limit < 1) throw new TributaryError('INTERNAL', `batch size ${limit}`);
  const values: unknown[] = [];
  const bind = (value: unknown) => {
    values.push(value);
    return dialect === 'postgres' ? `$${values.length}` : '?';
  };
  // (a > ? OR (a = ? AND (b > ? OR (b = ? AND c > ?)))): the tuple (a, b, c) after the cursor.
  const after_ = (i: number): string => {
    const column = quote(dialect, order[i] ?? '');
    const value = after?.[i];
    if (i === order.length - 1) return `${column} > ${bind(value)}`;
    return `(${column} > ${bind(value)} OR (${column} = ${bind(value)} AND ${after_(i + 1)}))`;
  };
  const where = after === undefined ? '' : ` WHERE ${after_(0)}`;
  const list = request.columns.map((c) => quote(dialect, c)).join(', ');
  const orderBy = order.map((c) => quote(dialect, c)).join(', ');
  // mysql2 prepared statements want LIMIT as a string; PostgreSQL takes the number.
  const limitParam = bind(dialect === 'mysql' ? String(limit) : limit);
  return { sql: `SELECT ${list} FROM ${quoteTable(dialect, request.table)}${where} ORDER BY ${orderBy} LIMIT ${limitParam}`, values };
}
