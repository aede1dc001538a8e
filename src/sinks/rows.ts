/**
 * What every sink does to rows and positions before its store sees them, the same way for all
 * three: checking values against the column types, collapsing rows with the same key, and ordering
 * rows by key.
 *
 * Values a column accepts (and `scan()` gives back):
 * - text: a string.
 * - integer: an integer from -2^31 to 2^31-1 (32 bits in every store).
 * - bigint: a safe integer number or a bigint within 64 bits; read back as a number when it is a
 *   safe integer, else as a bigint.
 * - double: a finite number (SQLite turns NaN into NULL, so no store gets one).
 * - boolean: true or false.
 * - timestamp: a valid Date, kept to the millisecond.
 * - json: anything JSON.stringify accepts; read back parsed. A null json value is SQL NULL.
 * Any column may be null or missing (stored as NULL), except key columns.
 */
import { TributaryError } from '../errors.ts';
import type { RecordPosition } from '../log/log.ts';
import type { ColumnType, Row, TableSpec } from './sink.ts';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** What a value of `type` must be, when `value` is not one; undefined when it is. */
function expectation(type: ColumnType, value: unknown): string | undefined {
  switch (type) {
    case 'text':
      return typeof value === 'string' ? undefined : 'a string';
    case 'integer':
      return Number.isInteger(value) && (value as number) >= INT32_MIN && (value as number) <= INT32_MAX ? undefined : 'an integer from -2147483648 to 2147483647';
    case 'bigint':
      if (typeof value === 'bigint') return value >= INT64_MIN && value <= INT64_MAX ? undefined : 'a 64-bit integer';
      return Number.isSafeInteger(value) ? undefined : 'a safe integer or a bigint within 64 bits';
    case 'double':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'a finite number';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'true or false';
    case 'timestamp':
      return value instanceof Date && !Number.isNaN(value.getTime()) ? undefined : 'a valid Date';
    case 'json':
      try {
        return JSON.stringify(value) === undefined ? 'a value JSON can hold' : undefined;
      } catch {
        return 'a value JSON can hold (no cycles, no bigint)';
      }
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : 'a Date';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value === 'number') return Number.isInteger(value) ? 'the integer number ' + String(value) : 'a fractional number';
  // Strings and objects are named by type only: their contents may be data nobody wants in a log.
  return `a ${typeof value}`;
}

/**
 * SINK_REJECTED worded the same by every sink: `postgres sink: table t refused row 3, column c: why`;
 * `delete` names an entry of the write's deletes instead of a row.
 */
export function rejection(sink: string, table: string, problem: string, where: { row?: number | undefined; delete?: number | undefined; column?: string | undefined } = {}, cause?: unknown): TributaryError {
  const item = where.row !== undefined ? ` row ${where.row}` : where.delete !== undefined ? ` delete ${where.delete}` : '';
  const place = item + (where.column === undefined ? '' : `${item === '' ? '' : ','} column ${where.column}`);
  return new TributaryError('SINK_REJECTED', `${sink} sink: table ${table} refused${place || ' the write'}: ${problem}`, { cause });
}

function rejectedValue(sink: string, table: string, row: number, column: string, problem: string): TributaryError {
  return rejection(sink, table, problem, { row, column });
}

/**
 * Throws SINK_REJECTED for the first delete that does not name a row: not an object, a column the
 * table lacks, a key column missing, null or of the wrong type. Other columns are not looked at.
 */
export function checkDeletes(sink: string, spec: TableSpec, deletes: readonly Row[]): void {
  deletes.forEach((key, index) => {
    if (typeof key !== 'object' || key === null) throw rejection(sink, spec.name, 'not an object', { delete: index });
    for (const column of Object.keys(key)) {
      if (spec.columns[column] === undefined) throw rejection(sink, spec.name, 'the table has no such column', { delete: index, column });
    }
    for (const column of spec.key) {
      const value = key[column];
      if (value === null || value === undefined) throw rejection(sink, spec.name, 'a key column cannot be null or missing', { delete: index, column });
      const type = spec.columns[column]!;
      const expected = expectation(type, value);
      if (expected) throw rejection(sink, spec.name, `expected ${expected} (${type}), got ${kindOf(value)}`, { delete: index, column });
    }
  });
}

/** Throws SINK_REJECTED for the first row with a value its column cannot hold, naming table, row index and column. */
export function checkRows(sink: string, spec: TableSpec, rows: readonly Row[]): void {
  rows.forEach((row, index) => {
    if (typeof row !== 'object' || row === null) throw rejection(sink, spec.name, 'not an object', { row: index });
    for (const [column, value] of Object.entries(row)) {
      const type = spec.columns[column];
      if (type === undefined) throw rejectedValue(sink, spec.name, index, column, 'the table has no such column');
      if (value === null || value === undefined) continue;
      const expected = expectation(type, value);
      if (expected) throw rejectedValue(sink, spec.name, index, column, `expected ${expected} (${type}), got ${kindOf(value)}`);
    }
    for (const column of spec.key) {
      if (row[column] === null || row[column] === undefined) throw rejectedValue(sink, spec.name, index, column, 'a key column cannot be null or missing');
    }
  });
}

/** The positions with the last one per topic and partition kept; SINK_REJECTED for a malformed one. */
export function checkPositions(sink: string, table: string, positions: readonly RecordPosition[]): RecordPosition[] {
  const last = new Map<string, RecordPosition>();
  positions.forEach((p, index) => {
    const ok = typeof p?.topic === 'string' && p.topic !== '' && Number.isInteger(p.partition) && p.partition >= 0 && p.partition <= INT32_MAX && Number.isSafeInteger(p.offset) && p.offset >= 0;
    if (!ok) throw rejection(sink, table, `position ${index} is malformed: expected a topic, a partition from 0 and an offset from 0`);
    last.set(`${p.partition}:${p.topic}`, { topic: p.topic, partition: p.partition, offset: p.offset });
  });
  return [...last.values()];
}

/** A string equal for two rows exactly when their keys are equal in every store (bigint 5 and 5n, the same instant). */
export function keyOf(spec: TableSpec, row: Row, columns: readonly string[] = spec.key): string {
  return keyOfColumns(row, columns);
}

/** `keyOf` for a caller that knows the key columns but not the whole spec. */
export function keyOfColumns(row: Row, columns: readonly string[]): string {
  return JSON.stringify(columns.map((column) => normalizeKeyPart(row[column])));
}

function normalizeKeyPart(value: unknown): unknown {
  if (value instanceof Date) return `d${value.getTime()}`;
  if (typeof value === 'bigint' || typeof value === 'number') return `n${value.toString()}`;
  return value;
}

/** The last row for each key, in the order the keys first appeared. */
export function lastPerKey(spec: TableSpec, rows: readonly Row[]): Row[] {
  const byKey = new Map<string, Row>();
  for (const row of rows) byKey.set(keyOf(spec, row), row);
  return [...byKey.values()];
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') {
    // By UTF-8 bytes, as PostgreSQL's "C" collation and SQLite's BINARY do.
    return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  }
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) return a < b ? -1 : a > b ? 1 : 0;
  return 0;
}

/** Orders rows by their key columns, the order `scan()` promises. */
export function compareByKey(spec: TableSpec): (a: Row, b: Row) => number {
  return (a, b) => {
    for (const column of spec.key) {
      const order = compareValues(a[column], b[column]);
      if (order !== 0) return order;
    }
    return 0;
  };
}

/** A 64-bit integer read back: a number when it is safe, else a bigint. */
export function fromInt64(value: bigint | number | string): number | bigint {
  const big = typeof value === 'bigint' ? value : BigInt(value);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}
