/**
 * Rows as PostgreSQL COPY text format (the default of `COPY ... FROM STDIN`): one line per row,
 * fields separated by tabs, `\N` for NULL. Inside a field a backslash, tab, newline and carriage
 * return are escaped; everything else, unicode included, goes through as UTF-8 (node-postgres
 * always sets client_encoding to UTF8). Escaping every backslash also means no data line can read
 * as the `\.` end-of-data marker.
 */
import type { ColumnType, Row, TableSpec } from '../sink.ts';
import { columnType } from '../table-spec.ts';

const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

export function escapeCopyText(text: string): string {
  return text.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!);
}

/** One checked value as a COPY text field. */
export function copyField(type: ColumnType, value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  switch (type) {
    case 'text':
      return escapeCopyText(value as string);
    case 'json':
      return escapeCopyText(JSON.stringify(value));
    case 'integer':
    case 'bigint':
    case 'double':
      // A number's toString is the shortest text that reads back as the same double.
      return (value as number | bigint).toString();
    case 'boolean':
      return value ? 't' : 'f';
    case 'timestamp':
      return (value as Date).toISOString();
  }
}

/** The rows, each prefixed by its index (the staging table's row index column), in chunks of about 64 KiB. */
export function* copyLines(spec: TableSpec, columns: readonly string[], rows: readonly Row[]): Generator<string> {
  const types = columns.map((column) => columnType(spec, column));
  let chunk = '';
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index]!;
    let line = String(index);
    for (let c = 0; c < columns.length; c++) line += '\t' + copyField(types[c]!, row[columns[c]!]);
    chunk += line + '\n';
    if (chunk.length >= 65_536) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}
