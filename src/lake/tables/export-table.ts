/**
 * A plain copy of one table, for engines that do not read DuckLake: one Parquet or CSV file with the
 * rows of one snapshot (the current one by default), read in one transaction, so it is consistent
 * whatever writers do meanwhile.
 */
import { TributaryError } from '../../errors.ts';
import { firstLine, literal, query } from './sql.ts';
import type { AsOf, LakeTables, TableZone } from './tables.ts';

export type ExportFormat = 'parquet' | 'csv';

export interface ExportResult {
  rows: number;
  target: string;
  /** The snapshot the copy holds. */
  snapshot: number;
}

export async function exportTable(tables: LakeTables, zone: TableZone, dataset: string, options: { format: ExportFormat; target: string; asOf?: AsOf }): Promise<ExportResult> {
  if (!(await tables.exists(zone, dataset))) throw new TributaryError('LAKE_NOT_FOUND', `No table ${zone}.${dataset} in the lake`);
  const c = await tables.instance.connect();
  try {
    await c.run('BEGIN TRANSACTION');
    const snapshot = options.asOf && 'version' in options.asOf ? options.asOf.version : Number((await query(c, `SELECT id FROM "${tables.alias}".current_snapshot()`))[0]?.id ?? 0);
    const relation = tables.relation(zone, dataset, options.asOf ?? { version: snapshot });
    const format = options.format === 'csv' ? 'FORMAT csv, HEADER true' : 'FORMAT parquet, COMPRESSION zstd';
    let rows: number;
    try {
      rows = Number((await c.run(`COPY (SELECT * FROM ${relation}) TO ${literal(options.target)} (${format})`)).rowsChanged);
    } catch (error) {
      throw new TributaryError('LAKE_UNAVAILABLE', `Exporting ${zone}.${dataset} to ${options.target}: ${firstLine(error)}`, { cause: error, retryable: false });
    } finally {
      await c.run('COMMIT').catch(() => undefined);
    }
    return { rows, target: options.target, snapshot };
  } finally {
    c.closeSync();
  }
}
