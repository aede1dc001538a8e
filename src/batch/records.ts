/**
 * The record-function path of a batch transform: rows are read out of DuckDB a chunk at a time
 * (2,048 rows), given to the same `(record) → record | null | record[]` function a stream job uses,
 * and appended to `_records` through DuckDB's appender. Rows stay in DuckDB's columnar form except
 * while the function holds them.
 */
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { TributaryError } from '../errors.ts';
import type { Column } from '../lake/manifest.ts';
import type { BatchRecord, RecordFunction, RecordValue } from './batch-job.ts';
import { exec, ident } from './duckdb.ts';

const SUPPORTED = new Set(['VARCHAR', 'BOOLEAN', 'INTEGER', 'BIGINT', 'DOUBLE']);

function appendValue(appender: DuckDBAppender, column: Column, value: RecordValue | undefined): void {
  if (value === null || value === undefined) return appender.appendNull();
  switch (column.type) {
    case 'VARCHAR':
      return appender.appendVarchar(String(value));
    case 'BOOLEAN':
      return appender.appendBoolean(Boolean(value));
    case 'INTEGER':
      return appender.appendInteger(Number(value));
    case 'BIGINT':
      return appender.appendBigInt(BigInt(value));
    default:
      return appender.appendDouble(Number(value));
  }
}

/** Plain values for the function: DuckDB's JS conversion gives dates as Date objects, which become ISO dates here. */
function toRecord(row: Record<string, unknown>): BatchRecord {
  const record: BatchRecord = {};
  for (const [name, value] of Object.entries(row)) {
    record[name] = value instanceof Date ? value.toISOString().slice(0, 10) : (value as RecordValue);
  }
  return record;
}

export async function applyRecords(connection: DuckDBConnection, records: { fn: RecordFunction; columns: readonly Column[] }, source: string): Promise<{ dropped: number; out: number }> {
  for (const column of records.columns) {
    if (!SUPPORTED.has(column.type)) throw new TributaryError('CONFIG_INVALID', `record function column ${column.name}: type ${column.type} is not one of ${[...SUPPORTED].join(', ')}`);
  }
  // The partition value travels beside each record, so a function need not know the partitioning.
  const columns: readonly Column[] = [...records.columns, { name: '_part', type: 'VARCHAR' }];
  await exec(connection, `CREATE OR REPLACE TEMP TABLE _records (${columns.map((c) => `${ident(c.name)} ${c.type}`).join(', ')})`, 'record function output table');
  const appender = await connection.createAppender('_records');
  let dropped = 0;
  let out = 0;
  const emit = (record: BatchRecord, part: RecordValue) => {
    for (const column of columns) appendValue(appender, column, column.name === '_part' ? part : record[column.name]);
    appender.endRow();
    out++;
  };
  const result = await connection.stream(`SELECT * FROM ${source}`);
  for await (const chunk of result.yieldRowObjectJs()) {
    for (const row of chunk) {
      const { _part: part = null, ...values } = row as Record<string, unknown>;
      const record = toRecord(values);
      let produced: BatchRecord | null | readonly BatchRecord[];
      try {
        produced = records.fn(record);
      } catch (error) {
        throw new TributaryError('BATCH_QUERY_FAILED', `record function threw on ${JSON.stringify(record).slice(0, 200)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      if (produced === null) dropped++;
      else if (Array.isArray(produced)) {
        if (produced.length === 0) dropped++;
        for (const r of produced as readonly BatchRecord[]) emit(r, part as RecordValue);
      } else emit(produced as BatchRecord, part as RecordValue);
    }
  }
  appender.closeSync();
  return { dropped, out };
}
